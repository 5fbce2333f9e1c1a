import Foundation
import Testing
import WeirTestSupport

/// User-defined `command` stages, run by the `weir` binary: the shipped review_sentiment
/// example, and scripts that fail in each way a manifest promises to catch.
@Suite(.enabled(if: ReferencePython.available)) struct CommandStageTests {
    /// A project with the repository's review_sentiment stage and the reference Python first on PATH.
    func project() throws -> WeirProcess {
        var weir = try WeirProcess()
        let root = ReferencePython.packageRoot.path
        for file in ["review_sentiment.yaml", "review_sentiment.py"] {
            try weir.write("stages/" + file, String(contentsOfFile: "\(root)/stages/\(file)", encoding: .utf8))
        }
        let python = try #require(ReferencePython.path)
        let bin = (python as NSString).deletingLastPathComponent
        weir.environment["PATH"] = bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        return weir
    }

    @Test func theReviewSentimentExampleScoresText() throws {
        let weir = try project()
        try weir.write(
            "reviews.csv",
            """
            review_id,review_text
            r1,"Great quality, love it!"
            r2,Terrible. Broke after a week
            r3,Not good
            r4,Not bad at all
            r5,The box was blue
            r6,
            r7,"Very good, but arrived late"

            """)
        try weir.write(
            "pipelines/p.yaml",
            """
            pipeline: sentiment
            stages:
              reviews: { type: extract.csv, path: ../reviews.csv }
              sentiment: { type: command, stage: review_sentiment, input: reviews }
              out: { type: load.csv, input: sentiment, path: ../out.csv }

            """)
        let result = try weir.run("run", "pipelines/p.yaml", "--json")
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        // Scores by the lexicon's rule: +1/-1 per word ("great", "quality", "love" are all
        // positive), negation flips, "very" doubles: r7 is (2 - 1) / 3.
        #expect(
            try weir.read("out.csv") == """
                review_id,score,label,positive_words,negative_words
                r1,1.0,positive,3,0
                r2,-1.0,negative,0,2
                r3,-1.0,negative,0,1
                r4,1.0,positive,1,0
                r5,0.0,neutral,0,0
                r6,,empty,0,0
                r7,0.3333333333333333,positive,1,1

                """)

        // Cached while nothing changes; editing the script re-runs the stage, and says why.
        #expect(try weir.run("run", "pipelines/p.yaml", "--json").stages("cached").count == 3)
        let script = try weir.read("stages/review_sentiment.py")
        try weir.write(
            "stages/review_sentiment.py",
            script.replacingOccurrences(of: "\"great\",", with: "\"great\",") + "\n# edited\n")
        let plan = try weir.run("plan", "pipelines/p.yaml")
        #expect(plan.stdout.contains("code version changed"), "\(plan.stdout)")
        #expect(try weir.run("run", "pipelines/p.yaml", "--json").stages("ran").contains("sentiment"))
    }

    func failing(_ name: String, run: String, script: String? = nil) throws -> (WeirProcess, WeirProcess.Result) {
        let weir = try project()
        try weir.write(
            "stages/\(name).yaml",
            """
            run: \(run)
            inputs:
              rows: { columns: { id: int64 } }
            outputs:
              out: { columns: { id: int64, doubled: float64 } }

            """)
        if let script { try weir.write("stages/\(name).py", script) }
        try weir.write("rows.csv", "id\n1\n2\n")
        try weir.write(
            "p.yaml",
            """
            pipeline: failing
            stages:
              rows: { type: extract.csv, path: rows.csv }
              user: { type: command, stage: \(name), input: rows }
              after: { type: sql, input: user, query: "SELECT count(*) AS n FROM user" }

            """)
        let result = try weir.run("run", "p.yaml", "--json")
        return (weir, result)
    }

    func error(_ result: WeirProcess.Result, _ stage: String) -> String {
        result.events.first { $0["event"] as? String == "stage_finished" && $0["stage"] as? String == stage }?["error"]
            as? String ?? ""
    }

    @Test func aNonZeroExitFailsTheStageNamingTheManifest() throws {
        let (_, result) = try failing("exits", run: "sh -c 'echo reading rows; echo boom - no such column >&2; exit 3'")
        #expect(result.status == 1)
        #expect(result.statuses["user"] == "failed" && result.statuses["after"] == "skipped")
        let message = error(result, "user")
        #expect(
            message.hasPrefix(
                "stages/exits.yaml: `sh -c 'echo reading rows; echo boom - no such column >&2; exit 3'` exited with status 3"
            ), "\(message)")
        #expect(message.contains("| boom - no such column"))
    }

    @Test func theWrongSchemaFailsTheStageNamingTheColumns() throws {
        let (_, result) = try failing(
            "wrong_schema", run: "python3 stages/wrong_schema.py",
            script: """
                import os, pyarrow as pa, pyarrow.ipc as ipc
                rows = ipc.open_file(os.environ["WEIR_INPUT_ROWS"]).read_all()
                table = pa.table({"id": rows.column("id"), "doubled": pa.array(["x", "y"]), "extra": pa.array([1, 2])})
                with ipc.new_file(os.environ["WEIR_OUTPUT_OUT"], table.schema) as w:
                    w.write_table(table)

                """)
        #expect(result.status == 1)
        let message = error(result, "user")
        #expect(
            message.hasPrefix(
                "stages/wrong_schema.yaml: output 'out' does not match its declared schema: "
                    + "column 'doubled' is string, declared float64; column 'extra' is not declared"), "\(message)")
    }

    @Test func writingNothingFailsTheStage() throws {
        let (_, result) = try failing("silent", run: "true")
        #expect(result.status == 1)
        #expect(
            error(result, "user")
                == "stages/silent.yaml: the command wrote nothing to output 'out'; it should write an Arrow IPC file to $WEIR_OUTPUT_OUT"
        )
    }

    @Test func aGoodScriptSeesItsEnvironmentAndItsColumnsComeInDeclaredOrder() throws {
        let (weir, result) = try failing(
            "good", run: "python3 stages/good.py",
            script: """
                import json, os, pyarrow as pa, pyarrow.compute as pc, pyarrow.ipc as ipc
                assert json.loads(os.environ["WEIR_PARAMS"]) == {}, os.environ["WEIR_PARAMS"]
                assert os.environ["WEIR_STAGE"] == "user"
                rows = ipc.open_file(json.loads(os.environ["WEIR_INPUTS"])["rows"]).read_all()
                table = pa.table({"doubled": pc.multiply(rows.column("id").cast(pa.float64()), 2), "id": rows.column("id")})
                with ipc.new_file(os.environ["WEIR_OUTPUT_OUT"], table.schema) as w:
                    w.write_table(table)

                """)
        #expect(result.status == 0, "\(error(result, "user"))")
        let shown = try weir.run("show", "p.yaml", "user", "--format", "csv")
        #expect(shown.stdout == "id,doubled\n1,2.0\n2,4.0\n")  // in the declared order
    }

    @Test func manifestAndInputProblemsAreReportedBeforeRunning() throws {
        let weir = try project()
        try weir.write("stages/broken.yaml", "run: x\noutputs:\n  out: { columns: { a: decimal } }\n")
        try weir.write("r.csv", "review_id,body\nr1,fine\n")
        try weir.write(
            "p.yaml",
            """
            pipeline: problems
            stages:
              r: { type: extract.csv, path: r.csv }
              s: { type: command, stage: review_sentiment, input: r }
              b: { type: command, stage: broken, input: r }
              m: { type: command, stage: review_sentment, input: r }

            """)
        let result = try weir.run("plan", "p.yaml")
        #expect(result.status == 2)
        #expect(
            result.stderr.contains("stages/broken.yaml:3:24: error: column 'a' of output 'out' needs a type"),
            "\(result.stderr)")
        #expect(
            result.stderr.contains("no stage manifest 'review_sentment'") && result.stderr.contains("review_sentiment"),
            "\(result.stderr)")
        #expect(
            result.stderr.contains(
                "stages/review_sentiment.yaml needs column 'review_text' (string) in input 'reviews', but r has no such column"
            ),
            "\(result.stderr)")
    }
}
