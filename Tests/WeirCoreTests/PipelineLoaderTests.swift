import Testing
import WeirTable

@testable import WeirCore

/// A source whose schema is its `columns` parameter (all int64).
struct ToySource: StageType {
    let name = "toy.source"
    let version = "1"
    let summary = "test source"
    let inputs = InputArity.none
    struct Params: StageParameters {
        var columns: [String] = []
        var path: String?
        static let declarations: [ParamDeclaration<Self>] = [
            .param("columns", \.columns, required: true, help: "column names"),
            .param("path", \.path, help: "a path"),
        ]
    }
    var params: [ParamSpec] { Params.specs }
    func outputSchemas(_ context: inout PlanContext) -> [String: Schema] {
        ["out": Schema(context.parameters(Params.self).columns.map { Field($0, .int64) })]
    }
    func run(_ context: RunContext) throws -> [String: Table] { [:] }
}

/// Sums a numeric column by a key column.
struct ToySum: StageType {
    let name = "toy.sum"
    let version = "1"
    let summary = "test sum"
    let inputs = InputArity.one
    /// Declared once; the planner checks `value` and `by` against the input without the stage.
    struct Params: StageParameters {
        enum Mode: String, ParamChoice { case sum, mean }
        var value = "amount"
        var by = ""
        var k = 4
        var mode = Mode.sum
        static let declarations: [ParamDeclaration<Self>] = [
            .param("value", \.value, .column(types: [.int64, .float64]), help: "numbers"),
            .param("by", \.by, .column(types: []), required: true, help: "key"),
            .param("k", \.k, help: "a number"),
            .param("mode", \.mode, help: "aggregate"),
        ]
    }
    var params: [ParamSpec] { Params.specs }
    func outputSchemas(_ context: inout PlanContext) -> [String: Schema] {
        let by = context.inputSchemas.first?[context.parameters(Params.self).by]
        return ["out": Schema([by ?? Field("by", .string), Field("total", .float64)])]
    }
    func run(_ context: RunContext) throws -> [String: Table] { [:] }
}

let toyRegistry = StageRegistry([ToySource(), ToySum()])

func diagnostics(_ yaml: String, env: [String: String] = [:], overrides: [String: String] = [:]) -> [String] {
    do {
        let pipeline = try PipelineLoader(registry: toyRegistry, environment: env, overrides: overrides).load(
            text: yaml, file: "p.yaml")
        _ = try SchemaPlanner.plan(pipeline, registry: toyRegistry)
        return []
    } catch let error as DiagnosticError {
        return error.diagnostics.map(\.description)
    } catch {
        return ["unexpected \(error)"]
    }
}

/// Parameters declared once: the spec's default is the property's initial value, values reach
/// typed properties, and a value of another shape is an error at its key.
@Suite struct StageParameterTests {
    @Test func declarationsGiveSpecsAndDecodeTypedValues() throws {
        let specs = ToySum.Params.specs
        #expect(specs.map(\.name) == ["value", "by", "k", "mode"])
        #expect(specs[0].defaultValue == .string("amount") && specs[0].kind == .column(types: [.int64, .float64]))
        #expect(specs[1].required && specs[1].defaultValue == nil)
        #expect(specs[2].defaultValue == .int(4) && specs[3].kind == .choice(["sum", "mean"]))
        let pipeline = try PipelineLoader(registry: toyRegistry).load(
            text: """
                pipeline: p
                stages:
                  src: { type: toy.source, columns: [a, b] }
                  sum: { type: toy.sum, input: src, by: a, value: b, mode: mean }
                """, file: "p.yaml")
        let params = try ToySum.Params.decode(try #require(pipeline.stage("sum")))
        #expect(params.by == "a" && params.value == "b" && params.k == 4 && params.mode == .mean)
        var wrong = try #require(pipeline.stage("sum"))
        wrong.params["k"]?.value = .string("four")
        #expect(throws: StageError.self) { try ToySum.Params.decode(wrong) }
    }
}

@Suite struct PipelineDiagnostics {
    @Test func validPipelineLoadsInDependencyOrder() throws {
        let yaml = """
            pipeline: demo
            params: { k: 3 }
            stages:
              total: { type: toy.sum, input: src, by: customer, k: "${params.k}" }
              src: { type: toy.source, columns: [customer, amount] }
            """
        let pipeline = try PipelineLoader(registry: toyRegistry, environment: [:]).load(text: yaml, file: "p.yaml")
        #expect(pipeline.name == "demo")
        #expect(pipeline.stageIDs == ["src", "total"])
        #expect(pipeline.stage("total")?.param("k") == .int(3))
        #expect(pipeline.stage("total")?.param("mode") == .string("sum"))
        let schemas = try SchemaPlanner.plan(pipeline, registry: toyRegistry)
        #expect(schemas["total"]?["out"] == Schema([Field("customer", .int64), Field("total", .float64)]))
    }

    @Test func yamlSyntaxError() {
        let found = diagnostics("stages:\n  a: { type: toy.source\n  b: 1\n")
        #expect(found.count == 1)
        #expect(found.first?.hasPrefix("p.yaml:3:") == true)
        #expect(found.first?.contains("error: YAML syntax") == true)
    }

    @Test func yamlValuesKeepTheirKindAndPosition() throws {
        let text = """
            base: &base { a: 1, b: two }
            m: { <<: *base, b: own, c: ~ }
            q: ['null', null, "", '~', NULL]

            """
        let root = try #require(try YAMLNode.parse(text, file: "y.yaml").get())
        let m = try #require(root["m"])
        // Own keys win over merged ones; merged keys follow the mapping's own.
        #expect(m.pairs?.map(\.key) == ["b", "c", "a"])
        #expect(m["b"]?.scalar == "own")
        #expect(m["c"]?.kind == .null)
        #expect(m["a"]?.location.line == 1)
        #expect(m.location == SourceLocation(file: "y.yaml", line: 2, column: 4))
        let q = try #require(root["q"]?.items)
        #expect(
            q.map(\.kind) == [
                .scalar("null", quoted: true), .null, .scalar("", quoted: true), .scalar("~", quoted: true), .null,
            ])
    }

    @Test func yamlStructureErrorsPointAtTheirPosition() {
        #expect(
            diagnostics("stages: {}\n---\nx: 1\n").first?.hasPrefix(
                "p.yaml:2:1: error: YAML syntax: the file holds a second document") == true)
        #expect(
            diagnostics("stages:\n  a: *nope\n").first?.hasPrefix(
                "p.yaml:2:6: error: YAML: the alias *nope names no anchor") == true)
        #expect(
            diagnostics("stages:\n  ? [a, b]\n  : 1\n").first?.hasPrefix(
                "p.yaml:2:5: error: YAML: a key here is a list") == true)
        #expect(
            diagnostics("stages:\n  a: { x: 1, x: 2 }\n").first?.hasPrefix("p.yaml:2:14: error: duplicate key 'x'")
                == true)
    }

    @Test func duplicateStageIds() {
        let found = diagnostics(
            "stages:\n  a: { type: toy.source, columns: [x] }\n  a: { type: toy.source, columns: [y] }\n")
        #expect(found.first?.hasPrefix("p.yaml:3:3: error: duplicate key 'a'") == true)
    }

    /// Past 16 keys the composer checks duplicates with a set: both ways find the repeat.
    @Test func duplicateStageIdsInALargeMapping() {
        for count in [3, 15, 16, 17, 40] {
            var yaml = "stages:\n"
            for i in 0..<count { yaml += "  s\(i): { type: toy.source, columns: [x] }\n" }
            yaml += "  s1: { type: toy.source, columns: [y] }\n"
            let found = diagnostics(yaml)
            #expect(
                found.first?.hasPrefix("p.yaml:\(count + 2):3: error: duplicate key 's1'") == true, "\(count): \(found)"
            )
        }
    }

    @Test func allProblemsAreReportedAtOnceWithPositionsAndHints() {
        let yaml = """
            pipeline: demo
            stage:
              x: 1
            stages:
              src: { type: toy.source, columns: [customer, amount] }
              sum1: { type: toy.summ, input: src }
              sum2: { type: toy.sum, inptus: src, by: customer }
              sum3: { type: toy.sum, input: scr, by: customer }
              sum4: { type: toy.sum, input: src, by: customer, k: many, mode: median }
            """
        let found = diagnostics(yaml)
        #expect(
            found == [
                "p.yaml:2:1: error: unknown key 'stage' at the top of the pipeline\n  hint: did you mean 'stages'?",
                "p.yaml:6:17: error: unknown stage type 'toy.summ'\n  hint: did you mean 'toy.sum'?",
                "p.yaml:7:3: error: toy.sum takes exactly one input (`input: stage`), got 0",
                "p.yaml:7:26: error: unknown key 'inptus' for stage type toy.sum\n  hint: did you mean 'input' or 'inputs'?",
                "p.yaml:8:33: error: stage 'sum3' reads from 'scr', which is not a stage of this pipeline\n  hint: did you mean 'src'?",
                "p.yaml:9:55: error: `k` of stage 'sum4' must be an integer, found a string 'many'",
                "p.yaml:9:67: error: `mode` of stage 'sum4' must be one of sum, mean, found 'median'\n  hint: did you mean 'mean'?",
            ])
    }

    @Test func cyclesPrintTheirPath() {
        let yaml = """
            stages:
              a: { type: toy.sum, input: c, by: x }
              b: { type: toy.sum, input: a, by: x }
              c: { type: toy.sum, input: b, by: x }
            """
        #expect(
            diagnostics(yaml) == [
                "p.yaml:3:30: error: cycle: a -> b -> c -> a\n  hint: a stage cannot depend, directly or through others, on its own output"
            ])
    }

    @Test func environmentVariablesAndParams() throws {
        let yaml = """
            params: { who: x }
            stages:
              src: { type: toy.source, columns: [x], path: "${env.SOURCE_PATH}" }
              other: { type: toy.source, columns: ["${params.whom}"], path: "${env.MISSING:-fallback}" }
            """
        #expect(
            diagnostics(yaml) == [
                "p.yaml:3:48: error: environment variable SOURCE_PATH is not set\n  hint: export SOURCE_PATH=..., or give a default: ${env.SOURCE_PATH:-default}",
                "p.yaml:4:40: error: unknown pipeline parameter 'whom' in ${params.whom}\n  hint: did you mean 'who'?",
            ])
        let pipeline = try PipelineLoader(registry: toyRegistry, environment: ["SOURCE_PATH": "s3://secret/x"])
            .load(text: yaml.replacingOccurrences(of: "whom", with: "who"), file: "p.yaml")
        let path = pipeline.stage("src")!.params["path"]!
        #expect(path.secret && path.environment == ["SOURCE_PATH"] && path.value == .string("s3://secret/x"))
        let fallback = pipeline.stage("other")!.params["path"]!
        #expect(!fallback.secret && fallback.value == .string("fallback"))
    }

    @Test func paramOverrides() throws {
        let yaml =
            "params: { k: 3 }\nstages:\n  src: { type: toy.source, columns: [x] }\n  s: { type: toy.sum, input: src, by: x, value: x, k: \"${params.k}\" }\n"
        let pipeline = try PipelineLoader(registry: toyRegistry, environment: [:], overrides: ["k": "9"]).load(
            text: yaml, file: "p.yaml")
        #expect(pipeline.stage("s")?.param("k") == .int(9))
        #expect(
            diagnostics(yaml, overrides: ["kk": "1"]) == [
                "error: --param kk: the pipeline declares no parameter 'kk'\n  hint: did you mean 'k'?"
            ])
    }

    @Test func columnContractsNameTheColumnsThatExist() {
        let yaml = """
            stages:
              src: { type: toy.source, columns: [customer, payment_value] }
              sum: { type: toy.sum, input: src, by: customer, value: amount }
            """
        #expect(
            diagnostics(yaml) == [
                "p.yaml:3:58: error: sum.value names column 'amount' but src produces no such column (it has: customer, payment_value)"
            ])
    }

    @Test func missingRequiredParamAndSourceWithInput() {
        let yaml = """
            stages:
              src: { type: toy.source, input: other }
              other: { type: toy.source, columns: [a] }
            """
        #expect(
            diagnostics(yaml) == [
                "p.yaml:2:3: error: stage 'src' (toy.source) needs `columns`: column names",
                "p.yaml:2:35: error: toy.source is a source and takes no input",
            ])
    }
}
