import Foundation
import Testing

/// Every diagnostic kind, reported at once with its exact file:line:col, by `weir validate`.
@Suite struct DiagnosticsTests {
    @Test func everyKindAtOnceWithPositions() throws {
        let weir = try WeirProcess()
        try weir.write("a.csv", "id,amount,name\n1,2.5,a\n")
        try weir.write(
            "p.yaml",
            """
            pipeline: bad
            stages:
              a: { type: extract.csv, path: a.csv, delimter: ";" }
              b: { type: extract.cvs, path: a.csv }
              c: { type: top, input: a, by: amount, n: many }
              d: { type: sql, inputs: [aa], query: "SELECT 1 AS one FROM aa" }
              e: { type: sql, inputs: [f], query: "SELECT * FROM f" }
              f: { type: sql, inputs: [e], query: "SELECT * FROM e" }
              g: { type: load.csv, input: a, path: "${env.WEIR_TEST_UNSET_DIR}/x.csv" }
              h: { type: top, input: a, by: amount_usd }
              i: { type: top, input: a, by: name }
              j: { type: sql, input: a, query: "SELECT idd FROM a" }

            """)
        let result = try weir.run("validate", "p.yaml")
        #expect(result.status == 2)
        let errors = result.stderr.split(separator: "\n").filter { $0.contains(": error: ") }.map(String.init)
        #expect(
            errors == [
                "p.yaml:3:40: error: unknown key 'delimter' for stage type extract.csv",
                "p.yaml:4:14: error: unknown stage type 'extract.cvs'",
                "p.yaml:5:44: error: `n` of stage 'c' must be an integer, found a string 'many'",
                "p.yaml:6:28: error: stage 'd' reads from 'aa', which is not a stage of this pipeline",
                "p.yaml:8:28: error: cycle: e -> f -> e",
                "p.yaml:9:40: error: environment variable WEIR_TEST_UNSET_DIR is not set",
                "p.yaml:10:33: error: h.by names column 'amount_usd' but a produces no such column (it has: id, amount, name)",
                "p.yaml:11:33: error: i.by names column 'name' of a, which is string; expected float64 or int64",
                "p.yaml:12:44: error: j.query: Binder Error: Referenced column \"idd\" not found in FROM clause!",
            ])
        #expect(result.stderr.contains("hint: did you mean 'delimiter'?"))
        #expect(result.stderr.contains("hint: did you mean 'extract.csv'"))
        #expect(result.stderr.contains("hint: did you mean 'amount'?"))
        #expect(result.stderr.contains("hint: tables: a(id, amount, name)"))
        #expect(result.stderr.contains("9 errors"))
        // The same problems stop a run before anything runs.
        let run = try weir.run("run", "p.yaml")
        #expect(run.status == 2)
        #expect(!FileManager.default.fileExists(atPath: weir.directory + "/.weir/objects"))
    }

    @Test func yamlSyntaxAndDuplicateIds() throws {
        let weir = try WeirProcess()
        try weir.write("syntax.yaml", "stages:\n  a: { type: extract.csv\n  b: 1\n")
        let syntax = try weir.run("validate", "syntax.yaml")
        #expect(syntax.status == 2)
        #expect(syntax.stderr.hasPrefix("syntax.yaml:3:"))
        #expect(syntax.stderr.contains("error: YAML syntax"))

        try weir.write(
            "dup.yaml", "stages:\n  a: { type: extract.csv, path: x.csv }\n  a: { type: extract.csv, path: y.csv }\n")
        let duplicate = try weir.run("validate", "dup.yaml")
        #expect(duplicate.status == 2)
        #expect(duplicate.stderr.hasPrefix("dup.yaml:3:3: error: duplicate key 'a'"))
    }

    @Test func missingSourceFileAndBadParamOverride() throws {
        let weir = try WeirProcess()
        try weir.write("p.yaml", "params: { n: 3 }\nstages:\n  a: { type: extract.csv, path: data/nothing.csv }\n")
        let result = try weir.run("validate", "p.yaml", "--param", "m=4")
        #expect(result.status == 2)
        #expect(result.stderr.contains("--param m: the pipeline declares no parameter 'm'"))
        #expect(result.stderr.contains("p.yaml:3:33: error: no such file 'data/nothing.csv'"))
    }

    @Test func commandLineErrorsExitTwo() throws {
        let weir = try WeirProcess()
        try weir.write("p.yaml", "stages:\n  a: { type: extract.csv, path: a.csv }\n")
        try weir.write("a.csv", "x\n1\n")
        #expect(try weir.run("run", "p.yaml", "--jobs", "0").status == 2)
        #expect(try weir.run("run", "p.yaml", "--no-such-flag").status == 2)
        let select = try weir.run("run", "p.yaml", "--select", "b")
        #expect(select.status == 2)
        #expect(select.stderr.contains("--select b: no stage 'b'"))
        #expect(try weir.run("--version").status == 0)
    }
}
