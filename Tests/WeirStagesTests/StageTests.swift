import Foundation
import Testing
import WeirCore
import WeirTable

@testable import WeirStages

/// Loads `yaml`, plans it with no cache, and runs `stage` on the given input tables; its "out" port.
func runStage(_ yaml: String, stage id: String, inputs: [Table] = [], directory: String = "/tmp") throws -> (
    Schema?, Table?
) {
    let (schemas, outputs) = try planAndRun(yaml, stage: id, inputs: inputs, directory: directory)
    return (schemas["out"], outputs["out"])
}

/// Loads `yaml`, plans `stage` with no cache (diagnostics thrown), runs it on `inputs`.
func planAndRun(_ yaml: String, stage id: String, inputs: [Table], directory: String) throws -> (
    [String: Schema], [String: Table]
) {
    let registry = BuiltinStages.registry
    let pipeline = try PipelineLoader(registry: registry, environment: [:]).load(
        text: yaml, file: directory + "/p.yaml")
    let spec = pipeline.stage(id)!
    let type = registry[spec.typeName]!
    var context = PlanContext(stage: spec, inputSchemas: inputs.map(\.schema), pipelineDirectory: directory)
    let schemas = type.outputSchemas(&context)
    if context.diagnostics.hasErrors { throw DiagnosticError(context.diagnostics.diagnostics) }
    let run = RunContext(
        stage: spec, inputs: inputs, outputSchemas: schemas, pipelineDirectory: directory,
        runDirectory: directory + "/run")
    return (schemas, try type.run(run))
}

/// Like `runStage`, for stages with several output ports; checks each against its planned schema.
func runStageOutputs(_ yaml: String, stage id: String, inputs: [Table] = [], directory: String = "/tmp") throws
    -> [String: Table]
{
    let (schemas, outputs) = try planAndRun(yaml, stage: id, inputs: inputs, directory: directory)
    for (port, table) in outputs { #expect(schemas[port]?.admits(table.schema) == true, "port \(port) schema") }
    #expect(Set(outputs.keys) == Set(schemas.keys))
    return outputs
}

@Suite struct SQLStageTests {
    let everyType = try! Table(fields: [
        ("i", Column(int64: [1, nil, -3])),
        ("f", Column(float64: [1.5, 2.25, nil])),
        ("s", Column(string: ["a", nil, "0012"])),
        ("b", Column(bool: [true, false, nil])),
        ("ts", Column(.timestamp, [.timestamp(1_707_858_065_050_000), .null, .timestamp(0)])),
        ("d", Column(.date, [.date(19_766), .date(0), .null])),
    ])

    @Test func passThroughKeepsEveryTypeAndValue() throws {
        let yaml =
            "stages:\n  t: { type: extract.csv, path: x.csv }\n  q: { type: sql, input: t, query: \"SELECT * FROM t\" }\n"
        let (schema, table) = try runStage(yaml, stage: "q", inputs: [everyType])
        #expect(schema == everyType.schema)
        #expect(table?.schema == everyType.schema)
        for c in 0..<everyType.columnCount { #expect(table?.columns[c].values == everyType.columns[c].values) }
    }

    @Test func expressionTypesAndTimestampFunctions() throws {
        let yaml = """
            stages:
              t: { type: extract.csv, path: x.csv }
              q:
                type: sql
                input: t
                query: "SELECT count(*) AS n, avg(f) AS mean, max(ts) AS latest, min(s) AS first, date(max(ts)) AS day, sum(ts >= '2024-01-01') AS recent FROM t"
                schema: { latest: timestamp, day: date }

            """
        let (schema, table) = try runStage(yaml, stage: "q", inputs: [everyType])
        #expect(
            schema
                == Schema([
                    Field("n", .int64), Field("mean", .float64), Field("latest", .timestamp), Field("first", .string),
                    Field("day", .date), Field("recent", .int64),
                ]))
        #expect(
            table?.row(0) == [
                .int64(3), .float64(1.875), .timestamp(1_707_858_065_050_000), .string("0012"), .date(19_766),
                .int64(1),
            ])
    }

    @Test func badQueriesAreDiagnostics() {
        let yaml =
            "stages:\n  t: { type: extract.csv, path: x.csv }\n  q: { type: sql, input: t, query: \"SELECT nope FROM t\" }\n"
        #expect(throws: DiagnosticError.self) { try runStage(yaml, stage: "q", inputs: [everyType]) }
        let two =
            "stages:\n  t: { type: extract.csv, path: x.csv }\n  q: { type: sql, input: t, query: \"SELECT 1 AS a; SELECT 2 AS b\" }\n"
        #expect(throws: DiagnosticError.self) { try runStage(two, stage: "q", inputs: [everyType]) }
    }

    @Test func announcedTypeMismatchIsAClearError() throws {
        let yaml =
            "stages:\n  t: { type: extract.csv, path: x.csv }\n  q: { type: sql, input: t, query: \"SELECT f AS v FROM t\", schema: { v: int64 } }\n"
        do {
            _ = try runStage(yaml, stage: "q", inputs: [everyType])
            Issue.record("expected an error")
        } catch let error as StageError {
            #expect(error.message == "result column 'v' is int64 but row 1 holds 1.5")
        }
    }
}

@Suite struct ExtractCSVTests {
    @Test func globUnifiesTypesAndAddsFileNames() throws {
        let directory = "/tmp/weir-extract-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory + "/data", withIntermediateDirectories: true)
        try "id,v,t\n1,2,007\n".write(toFile: directory + "/data/a.csv", atomically: true, encoding: .utf8)
        try "id,v,t\n2,2.5,x\n".write(toFile: directory + "/data/b.csv", atomically: true, encoding: .utf8)
        let yaml = "stages:\n  e: { type: extract.csv, path: data/*.csv, filename_column: file }\n"
        let (_, table) = try runStage(yaml, stage: "e", directory: directory)
        #expect(
            table?.schema
                == Schema([Field("id", .int64), Field("v", .float64), Field("t", .string), Field("file", .string)]))
        // "007" is re-read as text, not reformatted from an integer.
        #expect(table?.column("t")?.values == [.string("007"), .string("x")])
        #expect(table?.column("file")?.values == [.string("data/a.csv"), .string("data/b.csv")])
    }

    @Test func mismatchedHeadersAndMissingFilesNameTheFiles() throws {
        let directory = "/tmp/weir-extract-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory + "/data", withIntermediateDirectories: true)
        try "id,v\n1,2\n".write(toFile: directory + "/data/a.csv", atomically: true, encoding: .utf8)
        try "id,w\n2,3\n".write(toFile: directory + "/data/b.csv", atomically: true, encoding: .utf8)
        let yaml = "stages:\n  e: { type: extract.csv, path: data/*.csv }\n"
        do {
            _ = try runStage(yaml, stage: "e", directory: directory)
            Issue.record("expected an error")
        } catch let error as DiagnosticError {
            #expect(error.description.contains("data/b.csv has columns (id, w) but data/a.csv has (id, v)"))
        }
        let none = "stages:\n  e: { type: extract.csv, path: data/*.tsv }\n"
        #expect(throws: DiagnosticError.self) { try runStage(none, stage: "e", directory: directory) }
    }
}

@Suite struct TopTests {
    @Test func topMatchesNlargestKeepFirst() throws {
        let input = try Table(fields: [
            ("k", Column(string: ["a", "b", "c", "d", "e"])), ("v", Column(float64: [3, nil, 5, 3, 1])),
        ])
        let yaml = "stages:\n  t: { type: extract.csv, path: x.csv }\n  q: { type: top, input: t, by: v, n: 3 }\n"
        let (_, table) = try runStage(yaml, stage: "q", inputs: [input])
        // pandas: df.nlargest(3, 'v', keep='first') -> c, a, d
        #expect(table?.column("k")?.values == [.string("c"), .string("a"), .string("d")])
    }

    @Test func largeIntegersRankExactly() throws {
        let big = Int64(1) << 60
        let input = try Table(fields: [
            ("k", Column(string: ["a", "b", "c"])), ("v", Column(int64: [big, big + 1, nil])),
        ])
        let yaml = "stages:\n  t: { type: extract.csv, path: x.csv }\n  q: { type: top, input: t, by: v, n: 1 }\n"
        let (_, table) = try runStage(yaml, stage: "q", inputs: [input])
        #expect(table?.column("k")?.values == [.string("b")])
    }
}
