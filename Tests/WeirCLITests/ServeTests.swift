import Foundation
import Testing
import WeirTestSupport

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A `weir serve` process on a free port of 127.0.0.1, over a scratch project's state.
final class ServeProcess {
    let process: Process
    let port: Int

    init(_ weir: WeirProcess, arguments: [String] = [], environment: [String: String] = [:]) throws {
        let log = "serve-\(UUID().uuidString).log"
        var runner = weir
        runner.environment.merge(environment) { _, new in new }
        process = try runner.start(["serve", "--port", "0"] + arguments, output: log)
        guard try weir.waitFor("listening on http://127.0.0.1:", in: log) else {
            process.terminate()
            throw ServeTestError("weir serve did not start: \((try? weir.read(log + ".err")) ?? "")")
        }
        let text = try weir.read(log)
        let found = text.range(of: #"127\.0\.0\.1:(\d+)"#, options: .regularExpression).map {
            String(text[$0].split(separator: ":")[1])
        }
        guard let found, let port = Int(found) else { throw ServeTestError("no port in: \(text)") }
        self.port = port
    }

    deinit {
        process.terminate()
        process.waitUntilExit()
    }

    struct Answer {
        var status: Int
        var body: String
        var headers: [String: String]
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]) ?? [:] }
    }

    /// One request, answered or failed within ten seconds.
    func request(_ path: String, method: String = "GET", body: String? = nil, headers: [String: String] = [:]) throws
        -> Answer
    {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!, timeoutInterval: 10)
        request.httpMethod = method
        request.httpBody = body.map { Data($0.utf8) }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var answer: Answer?
        nonisolated(unsafe) var failure: (any Error)?
        URLSession.shared.dataTask(with: request) { data, response, error in
            if let http = response as? HTTPURLResponse {
                let fields = Dictionary(
                    http.allHeaderFields.map { ("\($0.key)".lowercased(), "\($0.value)") },
                    uniquingKeysWith: { a, _ in a })
                answer = Answer(
                    status: http.statusCode, body: String(decoding: data ?? Data(), as: UTF8.self), headers: fields)
            }
            failure = error
            done.signal()
        }.resume()
        done.wait()
        if let answer { return answer }
        throw failure ?? ServeTestError("no answer for \(path)")
    }
}

struct ServeTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

@Suite(.serialized) struct ServeTests {
    /// A project with one pipeline run three times (the last one failing), a secret in a param.
    static func project() throws -> WeirProcess {
        var weir = try WeirProcess()
        weir.environment["SERVE_SECRET"] = "s3cr3t-value-123"
        var rows = "user_id,segment,score\n"
        for i in 0..<2000 { rows += "u\(i),\(["a", "b", "c"][i % 3]),\(i)\n" }
        try weir.write("users.csv", rows)
        try weir.write(
            "p.yaml",
            """
            pipeline: shop
            params:
              token: ${env.SERVE_SECRET}
              most: 100000
            stages:
              users: { type: extract.csv, path: users.csv }
              check: { type: sql, input: users, query: "SELECT CASE WHEN count(*) > ${params.most} THEN error('too many users') ELSE 1 END AS ok FROM users" }
              top: { type: sql, input: users, query: "SELECT segment, count(*) AS n, max(score) AS best FROM users GROUP BY segment ORDER BY segment" }
              copy: { type: load.csv, input: top, path: "out/top-${params.token}.csv" }

            """)
        for _ in 0..<2 { #expect(try weir.run("run", "p.yaml").status == 0) }
        #expect(try weir.run("run", "p.yaml", "--param", "most=5").status == 1)
        return weir
    }

    @Test func apiListsPagesAndLooksUp() throws {
        let weir = try Self.project()
        let server = try ServeProcess(weir)
        let pipelines = try server.request("/api/v1/pipelines").json["pipelines"] as? [[String: Any]]
        #expect(pipelines?.first?["name"] as? String == "shop" && pipelines?.first?["runs"] as? Int == 3)

        let page = try server.request("/api/v1/runs?pipeline=shop&limit=2").json
        #expect(page["total"] as? Int == 3 && (page["runs"] as? [Any])?.count == 2)
        let failed = try server.request("/api/v1/runs?status=failed").json["runs"] as? [[String: Any]]
        #expect(failed?.count == 1)
        let id = try #require(failed?.first?["run_id"] as? String)
        let run = try server.request("/api/v1/runs/\(id)").json
        let stages = try #require(run["stages"] as? [[String: Any]])
        let log = try server.request("/runs/\(id)/logs/check")
        #expect(log.status == 200 && log.body.contains("too many users"), "\(log.body)")
        #expect(try server.request("/runs/\(id)/logs/nostage").status == 404)
        let runPage = try server.request("/runs/\(id)").body
        #expect(runPage.contains("href=\"/runs/\(id)/logs/check\""))
        #expect(runPage.contains("<div id=\"drawings\"><h2>Pipeline</h2><svg") && runPage.contains("<h2>Timeline</h2>"))
        #expect(
            stages.contains {
                $0["stage"] as? String == "check" && $0["status"] as? String == "failed"
                    && ($0["error"] as? String)?.contains("too many users") == true
            })

        let rows = try server.request("/api/v1/outputs/shop/users?offset=1998&limit=5&columns=user_id,score").json
        #expect(rows["rows_total"] as? Int == 2000)
        #expect((rows["rows"] as? [[String: Any]])?.map { $0["user_id"] as? String } == ["u1998", "u1999"])
        #expect((rows["rows"] as? [[String: Any]])?.first?["score"] as? Int == 1998)
        #expect((rows["rows"] as? [[String: Any]])?.first?["segment"] == nil)

        let found = try server.request("/api/v1/lookup/shop/users?user_id=u1234").json
        #expect(
            found["matches"] as? Int == 1 && (found["rows"] as? [[String: Any]])?.first?["segment"] as? String == "b")
        let bySegment = try server.request("/api/v1/lookup/shop/top.out?segment=c").json
        #expect((bySegment["rows"] as? [[String: Any]])?.first?["n"] as? Int == 666)

        let byScore = try server.request("/api/v1/outputs/shop/users?sort=score&desc=1&limit=3&columns=user_id").json
        #expect((byScore["rows"] as? [[String: Any]])?.map { $0["user_id"] as? String } == ["u1999", "u1998", "u1997"])
        let byName = try server.request("/api/v1/outputs/shop/users?sort=user_id&offset=1&limit=3&columns=user_id").json
        #expect((byName["rows"] as? [[String: Any]])?.map { $0["user_id"] as? String } == ["u1", "u10", "u100"])
        let past = try server.request("/api/v1/outputs/shop/users?sort=user_id&offset=5000&limit=20").json
        #expect((past["rows"] as? [Any])?.isEmpty == true && past["rows_total"] as? Int == 2000)
        #expect(try server.request("/api/v1/outputs/shop/users?sort=nope").status == 400)
        let stats = try server.request("/outputs/shop/users/stats").body
        #expect(
            stats.contains("<td>score</td><td>int64</td><td>2000</td><td>0</td><td>0</td><td>1999</td><td>999.5</td>"),
            "\(stats)")

        let csv = try server.request("/api/v1/outputs/shop/top?format=csv")
        #expect(csv.status == 200 && csv.body == "segment,n,best\na,667,1998\nb,667,1999\nc,666,1997\n")
        #expect(try server.request("/api/v1/openapi.json").json["openapi"] as? String == "3.0.3")
    }

    @Test func badRequestsAreClearErrorsNeverCrashes() throws {
        let weir = try Self.project()
        let server = try ServeProcess(weir)
        let cases: [(String, Int, String)] = [
            ("/api/v1/runs?limit=0", 400, "'limit' must be a whole number from 1 to 1000"),
            ("/api/v1/runs?offset=-1", 400, "'offset'"),
            ("/api/v1/runs/nope", 404, "no run 'nope'"),
            ("/api/v1/outputs/shop/nostage", 404, "no completed stage 'nostage'"),
            ("/api/v1/outputs/nopipe/users", 404, "no pipeline named 'nopipe'"),
            ("/api/v1/outputs/shop/users.nope", 404, "has no output 'nope'"),
            ("/api/v1/outputs/shop/users?columns=zzz", 400, "no column 'zzz'"),
            ("/api/v1/lookup/shop/users", 400, "name one column"),
            ("/api/v1/outputs/shop/users?format=xml", 400, "format"),
            ("/api/v1/runs/..%2F..%2Fetc%2Fpasswd", 400, "'..'"),
            ("/runs/%2e%2e/%2e%2e/report", 400, "may not contain"),
            ("/nowhere", 404, "no page"),
        ]
        for (path, status, text) in cases {
            let answer = try server.request(path)
            #expect(answer.status == status && answer.body.contains(text), "\(path): \(answer.status) \(answer.body)")
        }
        let page = try server.request("/")
        #expect(page.headers["x-content-type-options"] == "nosniff" && page.headers["x-frame-options"] == "DENY")
    }

    @Test func writesNeedTheTokenAndStayInTheProject() throws {
        let weir = try Self.project()
        let closed = try ServeProcess(weir)
        let refused = try closed.request("/api/v1/runs", method: "POST", body: #"{"pipeline": "p.yaml"}"#)
        #expect(refused.status == 403 && refused.body.contains("writes are disabled"))

        let token = "serve-token-\(UUID().uuidString)"
        let server = try ServeProcess(weir, environment: ["WEIR_SERVE_TOKEN": token])
        let auth = ["Authorization": "Bearer \(token)", "Content-Type": "application/json"]
        #expect(try server.request("/api/v1/runs", method: "POST", body: #"{"pipeline": "p.yaml"}"#).status == 401)
        #expect(
            try server.request(
                "/api/v1/runs", method: "POST", body: #"{"pipeline": "p.yaml"}"#,
                headers: ["Authorization": "Bearer wrong"]
            ).status == 401)
        let outside = try server.request(
            "/api/v1/runs", method: "POST", body: #"{"pipeline": "/etc/passwd"}"#, headers: auth)
        #expect(outside.status == 403, "\(outside.body)")
        let climbing = try server.request(
            "/api/v1/runs", method: "POST", body: #"{"pipeline": "../../etc/hosts"}"#, headers: auth)
        #expect(climbing.status == 403 || climbing.status == 404, "\(climbing.body)")
        #expect(try server.request("/api/v1/runs", method: "POST", body: "not json", headers: auth).status == 400)
        #expect(
            try server.request(
                "/api/v1/runs", method: "POST", body: String(repeating: "x", count: 100_000), headers: auth
            ).status == 413)

        let started = try server.request(
            "/api/v1/runs", method: "POST", body: #"{"pipeline": "p.yaml", "select": ["top+"]}"#, headers: auth)
        #expect(started.status == 202, "\(started.body)")
        var total = 3
        for _ in 0..<100 where total == 3 {
            Thread.sleep(forTimeInterval: 0.1)
            let runs = try server.request("/api/v1/runs?pipeline=shop&status=ok").json
            total = (runs["total"] as? Int ?? 0) + 1
        }
        #expect(total == 4)
    }

    @Test func secretsNeverAppearAndAReadOnlyStateDirServes() throws {
        let weir = try Self.project()
        let state = weir.directory + "/.weir"
        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: state)
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: state) }
        let server = try ServeProcess(weir)
        let id = try #require(
            (try server.request("/api/v1/runs?limit=1&status=ok").json["runs"] as? [[String: Any]])?.first?["run_id"]
                as? String)
        for path in [
            "/", "/runs", "/runs/\(id)", "/runs/\(id)/report", "/api/v1/runs/\(id)", "/outputs/shop/users",
            "/api/v1/runs",
        ] {
            let answer = try server.request(path)
            #expect(answer.status == 200, "\(path): \(answer.status) \(answer.body.prefix(300))")
            #expect(!answer.body.contains("s3cr3t-value-123"), "\(path) shows the secret")
        }
        let explorer = try server.request("/outputs/shop/users?offset=50").body
        #expect(
            explorer.contains("rows 51–100 of 2000") && explorer.contains("u99") && explorer.contains("rel=\"next\""))
    }

    /// The program of the test venv named `name` (schemathesis), beside its Python.
    static func venvTool(_ name: String) throws -> String {
        let python = try #require(
            ReferencePython.path, "no reference Python: run scripts/venv.sh scripts/requirements/test.txt")
        return URL(fileURLWithPath: python).deletingLastPathComponent().appendingPathComponent(name).path
    }

    static var browser: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/chromedriver")
            || ProcessInfo.processInfo.environment["WEIR_REQUIRE_BROWSER"] != nil
    }

    /// A real browser clicks from the runs page to a run, to a stage's output, and pages it;
    /// screenshots go to .build/test-output/serve/.
    @Test(.enabled(if: ReferencePython.available && ServeTests.browser)) func aBrowserClicksFromRunsToAPagedOutput()
        throws
    {
        let weir = try Self.project()
        let server = try ServeProcess(weir)
        let shots = ReferencePython.packageRoot.appendingPathComponent(".build/test-output/serve").path
        let said = try ReferencePython.run(
            "import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')",
            [
                ReferencePython.packageRoot.appendingPathComponent("scripts/testing/serve_browser.py").path,
                "http://127.0.0.1:\(server.port)", shots,
            ])
        #expect(said.contains("ok"))
        for page in ["pipelines", "runs", "run", "output", "output-page-2"] {
            #expect(FileManager.default.fileExists(atPath: "\(shots)/\(page).png"), "no screenshot of \(page)")
        }
    }

    /// schemathesis generates requests from the OpenAPI document: no answer is a 5xx, and every
    /// answer matches the document's status codes.
    @Test(.enabled(if: ReferencePython.available)) func schemathesisFindsNoServerError() throws {
        let weir = try Self.project()
        let server = try ServeProcess(weir)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Self.venvTool("schemathesis"))
        process.arguments = [
            "run", "http://127.0.0.1:\(server.port)/api/v1/openapi.json", "--checks",
            "not_a_server_error,status_code_conformance",
            "--max-examples", "40", "--seed", "1",
        ]
        process.environment = ProcessInfo.processInfo.environment.merging(["SCHEMATHESIS_HOOKS": "", "NO_COLOR": "1"]) {
            _, new in new
        }
        // schemathesis keeps a cache folder where it runs: the scratch folder, not the repository.
        process.currentDirectoryURL = URL(fileURLWithPath: weir.directory)
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(text.suffix(4000))")
    }

    /// A running run streams its stages as they finish, then its end; the schedules page shows
    /// a scheduled pipeline's next fire times.
    @Test func liveEventsAndSchedules() throws {
        let weir = try Self.project()
        try weir.write(
            "slow.yaml",
            """
            pipeline: slow
            schedule: { cron: "15 */6 * * *", timezone: Europe/Paris }
            stages:
              first: { type: extract.csv, path: users.csv }
              wait: { type: sql, input: first, query: "\(slowQuery("first", 6_000_000))" }

            """)
        let server = try ServeProcess(weir)
        let runner = try weir.start(["run", "slow.yaml", "--json"], output: "slow.out")
        defer { runner.waitUntilExit() }
        var id: String?
        for _ in 0..<200 where id == nil {
            id =
                (try server.request("/api/v1/runs?pipeline=slow&status=running").json["runs"] as? [[String: Any]])?
                .first?["run_id"] as? String
            if id == nil { Thread.sleep(forTimeInterval: 0.05) }
        }
        let running = try #require(id, "the run never showed as running")
        #expect(try server.request("/runs/\(running)").body.contains("new EventSource(\"/runs/\(running)/events\")"))
        let events = try server.request("/runs/\(running)/events")
        #expect(events.headers["content-type"] == "text/event-stream")
        #expect(events.body.contains("event: stage\ndata: {\"stage\":\"first\""), "\(events.body)")
        #expect(events.body.contains("event: stage\ndata: {\"stage\":\"wait\""), "\(events.body)")
        #expect(events.body.hasSuffix("\n\n") && events.body.contains("event: run\ndata: {\"run_id\":\"\(running)\""))
        #expect(events.body.contains("\"status\":\"ok\""))

        let schedules = try server.request("/schedules")
        #expect(
            schedules.status == 200 && schedules.body.contains("15 */6 * * *")
                && schedules.body.contains("Europe/Paris"), "\(schedules.body)")
        #expect(schedules.body.components(separatedBy: "<li>").count == 6)
    }

    /// A glob source's output is a manifest of its files' parts: a page reads only the parts it
    /// spans, across their boundaries, and matches a plain read.
    @Test func pagesOfAGlobOutputCrossItsParts() throws {
        let weir = try WeirProcess()
        for file in 0..<5 {
            try weir.write("days/\(file).csv", "id,day\n" + (0..<30).map { "\(file * 30 + $0),\(file)\n" }.joined())
        }
        try weir.write("p.yaml", "pipeline: days\nstages:\n  days: { type: extract.csv, path: \"days/*.csv\" }\n")
        #expect(try weir.run("run", "p.yaml").status == 0)
        let server = try ServeProcess(weir)
        let page = try server.request("/api/v1/outputs/days/days?offset=25&limit=10").json
        #expect(page["rows_total"] as? Int == 150)
        #expect((page["rows"] as? [[String: Any]])?.map { $0["id"] as? Int } == (25..<35).map { Optional($0) })
        let tail = try server.request("/api/v1/outputs/days/days?offset=140&limit=50").json
        #expect((tail["rows"] as? [[String: Any]])?.compactMap { $0["day"] as? Int } == Array(repeating: 4, count: 10))
        let past = try server.request("/api/v1/outputs/days/days?offset=400").json
        #expect((past["rows"] as? [Any])?.isEmpty == true && past["rows_total"] as? Int == 150)
        #expect(try server.request("/outputs/days/days?offset=50").body.contains("rows 51–100 of 150"))
        #expect(
            try server.request("/api/v1/outputs/days/days?sort=id&desc=1&limit=1").json["rows"] as? [[String: Int]] == [
                ["id": 149, "day": 4]
            ])
    }
}
