import ArgumentParser
import Foundation
import WeirCore
import WeirStages

/// `weir schema`: a JSON Schema (draft 2020-12) of pipeline files, from the same declarations
/// the loader checks: engine keys, every stage type with its parameters (types, choices,
/// defaults, help), and the user-defined stages of the project it runs in.
struct Schema_: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print a JSON Schema (draft 2020-12) for pipeline files, for editors (yaml-language-server, VS Code)."
    )

    @Option(help: "The project folder whose stages/ manifests are included (default: the current folder).")
    var project: String?

    func run() throws {
        let folder = URL(fileURLWithPath: project ?? FileManager.default.currentDirectoryPath).standardizedFileURL.path
        let registry = BuiltinStages.registry(forPipeline: folder + "/pipeline.yaml")
        let data = try JSONSerialization.data(
            withJSONObject: PipelineSchema(registry: registry).document,
            options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        Output.raw(String(decoding: data, as: UTF8.self) + "\n")
    }
}

/// The schema document, built from the registry and the loader's key lists.
struct PipelineSchema {
    let registry: StageRegistry

    /// `${params.name}` or `${env.NAME}`: allowed wherever a value is.
    static var substitution: [String: Any] {
        ["type": "string", "pattern": "^\\$\\{(params|env)\\.[A-Za-z_][A-Za-z0-9_]*\\}$"]
    }

    var document: [String: Any] {
        var defs: [String: Any] = [
            "substitution": Self.substitution, "slurm": Self.closed(SlurmResources.keys.map { ($0, [:]) }),
        ]
        var branches: [[String: Any]] = []
        for name in registry.names where !name.hasPrefix("command:") {
            guard let type = registry[name] else { continue }
            defs["stage-" + name] = stage(type)
            branches.append([
                "if": ["properties": ["type": ["const": name]], "required": ["type"]],
                "then": ["$ref": "#/$defs/stage-" + name],
            ])
        }
        let commands = registry.commandNames.compactMap { name in registry["command:" + name].map { (name, $0) } }
        for (name, type) in commands {
            defs["command-" + name] = stage(type, extra: ["stage": ["const": name]])
            branches.append([
                "if": [
                    "properties": ["type": ["const": "command"], "stage": ["const": name]],
                    "required": ["type", "stage"],
                ],
                "then": ["$ref": "#/$defs/command-" + name],
            ])
        }
        let typeNames = registry.names.filter { !$0.hasPrefix("command:") } + ["command"]
        defs["stage"] = [
            "type": "object", "required": ["type"], "allOf": branches,
            "properties": ["type": ["enum": typeNames, "description": "the stage type"]],
        ]
        let notification: [String: Any] = Self.closed([
            ("webhook", ["type": "string"]), ("format", ["enum": ["slack", "json"]]),
            ("retries", ["type": "integer"]),
        ])
        let top: [(String, Any)] = [
            ("pipeline", ["type": "string", "description": "the pipeline's name (default: the file's name)"]),
            ("description", ["type": "string"]),
            (
                "params",
                ["type": "object", "description": "values referred to as ${params.name}; --param name=value overrides"]
            ),
            ("stages", ["type": "object", "additionalProperties": ["$ref": "#/$defs/stage"]]),
            (
                "cache",
                Self.closed([
                    (
                        "remote",
                        ["type": "string", "description": "s3://bucket/prefix or a folder shared with other machines"]
                    )
                ])
            ),
            ("executor", ["enum": ["local", "slurm"]]),
            ("slurm", ["$ref": "#/$defs/slurm"]),
            (
                "schedule",
                Self.closed(["cron", "timezone", "catchup", "max_catchup", "overlap", "jitter"].map { ($0, [:]) })
            ),
            ("notify", Self.closed([("on_failure", notification), ("on_success", notification)])),
            (
                "retention",
                Self.closed([("runs", ["type": "string", "description": "how long run folders are kept, e.g. 30d"])])
            ),
        ]
        return [
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "https://weir.invalid/schema/pipeline.json",
            "title": "Weir pipeline file", "type": "object", "required": ["stages"],
            "properties": Dictionary(uniqueKeysWithValues: top), "patternProperties": ["^x-": [:]],
            "additionalProperties": false, "$defs": defs,
        ]
    }

    /// An object with exactly these keys.
    static func closed(_ keys: [(String, Any)]) -> [String: Any] {
        ["type": "object", "properties": Dictionary(uniqueKeysWithValues: keys), "additionalProperties": false]
    }

    func stage(_ type: any StageType, extra: [String: Any] = [:]) -> [String: Any] {
        var properties: [String: Any] = [
            "type": ["type": "string"], "description": ["type": "string"],
            "retries": Self.orSubstitution(["type": "integer", "minimum": 0]),
            "timeout": ["type": ["string", "number"], "description": "e.g. 90s, 30m, 2h"],
            "slurm": ["$ref": "#/$defs/slurm"],
        ]
        switch type.inputs {
        case .none: break
        case .one: properties["input"] = ["type": "string", "description": "the upstream stage (stage.port)"]
        case .many:
            properties["input"] = ["type": "string", "description": "the upstream stage (stage.port)"]
            properties["inputs"] = ["type": "array", "items": ["type": "string"]]
        }
        for spec in type.params {
            var schema = Self.value(spec.kind)
            schema["description"] = spec.help
            if let value = spec.defaultValue { schema["default"] = Self.json(value) }
            properties[spec.name] = schema
        }
        for (key, value) in extra { properties[key] = value }
        var result: [String: Any] = [
            "type": "object", "properties": properties, "additionalProperties": false,
            "description": type.summary,
        ]
        let required = type.params.filter(\.required).map(\.name)
        if !required.isEmpty { result["required"] = required }
        return result
    }

    static func orSubstitution(_ schema: [String: Any]) -> [String: Any] {
        ["anyOf": [schema, ["$ref": "#/$defs/substitution"]]]
    }

    static func value(_ kind: ParamKind) -> [String: Any] {
        switch kind {
        case .string, .query, .column: return ["type": "string"]
        case .int: return orSubstitution(["type": "integer"])
        case .double: return orSubstitution(["type": "number"])
        case .bool: return orSubstitution(["type": "boolean"])
        case .stringList, .columns:
            return ["anyOf": [["type": "array", "items": ["type": "string"]], ["type": "string"]]]
        case .choice(let words): return orSubstitution(["enum": words])
        case .columnTypes:
            return [
                "type": "object",
                "additionalProperties": ["enum": ["int64", "float64", "bool", "string", "timestamp", "date"]],
            ]
        case .any: return [:]
        }
    }

    static func json(_ value: ParamValue) -> Any {
        switch value {
        case .string(let s): s
        case .int(let i): i
        case .double(let d): d
        case .bool(let b): b
        case .list(let items): items.map(json)
        case .map(let map): map.mapValues(json)
        case .null: NSNull()
        }
    }
}
