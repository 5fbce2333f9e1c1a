import Foundation
import Testing
import WeirTestSupport

/// Children never outlive Weir: a command stage past its timeout, and a run interrupted by
/// Ctrl-C or SIGTERM, end the stage's whole process group and say what happened.
@Suite(.enabled(if: ReferencePython.available)) struct ProcessHygieneTests {
    /// A command stage whose script starts a background child, and both leave a mark file
    /// after `seconds`, unless they are killed first.
    func project(timeout: String? = nil, seconds: Int = 3) throws -> WeirProcess {
        let weir = try WeirProcess()
        try weir.write(
            "stages/slow.yaml",
            """
            run: "sh -c 'sleep \(seconds); touch mark-child' & sleep \(seconds); touch mark-leader"
            inputs:
              rows: { columns: { id: int64 } }
            outputs:
              out: { columns: { id: int64 } }

            """)
        try weir.write("rows.csv", "id\n1\n")
        try weir.write(
            "p.yaml",
            """
            stages:
              rows: { type: extract.csv, path: rows.csv }
              slow: { type: command, stage: slow, input: rows\(timeout.map { ", timeout: \($0)" } ?? "") }
              after: { type: sql, input: slow, query: "SELECT count(*) AS n FROM slow" }

            """)
        return weir
    }

    func marks(_ weir: WeirProcess) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: weir.directory)) ?? []).filter { $0.hasPrefix("mark-") }
    }

    @Test func aTimedOutCommandLeavesNothingRunning() throws {
        let weir = try project(timeout: "1")
        let run = try weir.run("run", "p.yaml", "--json")
        #expect(run.status == 1)
        #expect(run.statuses["slow"] == "failed")
        sleep(4)
        #expect(marks(weir).isEmpty, "the script went on after its timeout: \(marks(weir))")
    }

    /// Starts `weir run` in a new session (so Ctrl-C can be sent as a terminal sends it, to the
    /// whole group), waits for the stage to start, sends `signal` to the group or the process.
    func interrupt(_ weir: WeirProcess, signal: String, group: Bool) throws -> (status: Int, output: String) {
        let code = """
            import json, os, signal, subprocess, sys, time
            weir, folder, name, group = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "group"
            p = subprocess.Popen([weir, "run", "p.yaml"], cwd=folder, start_new_session=True,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=dict(os.environ, WEIR_KILL_GRACE="2"))
            lines = []
            for line in p.stdout:
                lines.append(line.decode())
                if "start" in line.decode() and "slow" in line.decode():
                    break
            time.sleep(0.5)
            number = getattr(signal, name)
            os.killpg(p.pid, number) if group else os.kill(p.pid, number)
            rest, _ = p.communicate(timeout=30)
            print(json.dumps({"status": p.returncode, "output": "".join(lines) + rest.decode()}))
            """
        let out = try ReferencePython.run(
            code, [WeirProcess.binary, weir.directory, signal, group ? "group" : "process"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
        return (object["status"] as? Int ?? -1, object["output"] as? String ?? "")
    }

    @Test func ctrlCEndsTheChildrenPrintsTheSummaryAndExits130() throws {
        let weir = try project()
        let (status, output) = try interrupt(weir, signal: "SIGINT", group: true)
        #expect(status == 130, "\(output)")
        #expect(output.contains("interrupted by SIGINT"), "\(output)")
        #expect(output.contains("STAGE") && output.contains("run interrupted"), "no summary: \(output)")
        sleep(4)
        #expect(marks(weir).isEmpty, "children outlived the run: \(marks(weir))")
        let history = try weir.run("history")
        #expect(history.stdout.contains("interrupted"), "\(history.stdout)")
    }

    @Test func sigtermToWeirAloneEndsItsChildrenToo() throws {
        let weir = try project()
        let (status, output) = try interrupt(weir, signal: "SIGTERM", group: false)
        #expect(status == 143, "\(output)")
        #expect(output.contains("interrupted by SIGTERM"), "\(output)")
        sleep(4)
        #expect(marks(weir).isEmpty, "children outlived the run: \(marks(weir))")
    }
}
