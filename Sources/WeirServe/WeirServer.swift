import Foundation
import Hummingbird
import WeirCore
import WeirTable

/// `weir serve`: Hummingbird 2 (SwiftNIO underneath, maintained, async, no code generation)
/// serving pages and the JSON API over a state directory opened read-only. Writes (starting a
/// run) need `Authorization: Bearer $WEIR_SERVE_TOKEN`; with no token set they are refused.
public struct WeirServer: Sendable {
    public struct Configuration: Sendable {
        public var host = "127.0.0.1"
        public var port = 8080
        /// Pipeline files under this folder may be run through the API.
        public var project: String
        /// The `weir` executable that runs them.
        public var weir: String
        public var token: String?
        /// Reads a pipeline file, for the schedules page.
        public var load: @Sendable (String) throws -> Pipeline
        /// Requests per second one client may make (a burst of twice that is allowed).
        public var rateLimit = 200

        public init(
            project: String, weir: String, token: String?, load: @escaping @Sendable (String) throws -> Pipeline
        ) {
            self.project = project
            self.weir = weir
            self.token = token
            self.load = load
        }
    }

    let catalog: Catalog
    let configuration: Configuration

    public init(workspace: Workspace, configuration: Configuration) {
        catalog = Catalog(workspace: workspace)
        self.configuration = configuration
    }

    /// Serves until the process is stopped; `onListening` gets the port actually bound.
    public func run(onListening: @escaping @Sendable (Int) -> Void) async throws {
        let app = Application(
            router: router(),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "weir"),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? 0) }
        )
        try await app.runService()
    }

    func router() -> Router<ServeContext> {
        let router = Router(context: ServeContext.self)
        router.add(
            middleware: Guard(token: configuration.token, limiter: RateLimiter(perSecond: configuration.rateLimit)))
        let api = API(catalog: catalog)
        addAPIRoutes(router, api: api)
        addPageRoutes(router, pages: Pages(catalog: catalog, api: api))
        return router
    }

    /// `/api/v1/…`: JSON, CSV and Arrow answers, and runs started by POST.
    private func addAPIRoutes(_ router: Router<ServeContext>, api: API) {
        let launcher = RunLauncher(
            project: configuration.project, weir: configuration.weir, stateDirectory: catalog.workspace.root)
        router.get("/api/v1/openapi.json") { _, _ in Reply.json(OpenAPIDocument.text) }
        router.get("/api/v1/pipelines") { _, _ in Reply.json { try api.pipelines() } }
        router.get("/api/v1/runs") { request, _ in Reply.json { try api.runs(Query(request.uri.query)) } }
        router.get("/api/v1/runs/:id") { _, context in Reply.json { try api.run(context.parameters.get("id") ?? "") } }
        router.get("/api/v1/outputs/:pipeline/:name") { request, context in
            let (pipeline, name) = (context.parameters.get("pipeline") ?? "", context.parameters.get("name") ?? "")
            let query = Query(request.uri.query)
            switch query["format"] {
            case "csv", "arrow":
                return Reply.download {
                    try Download(catalog: catalog).file(pipeline: pipeline, name: name, format: query["format"]!)
                }
            case nil: return Reply.json { try api.outputs(pipeline: pipeline, name: name, query) }
            case let other?: return Reply.failure(.badRequest("format: csv or arrow, got '\(other)'"), json: true)
            }
        }
        router.get("/api/v1/lookup/:pipeline/:name") { request, context in
            Reply.json {
                try api.lookup(
                    pipeline: context.parameters.get("pipeline") ?? "", name: context.parameters.get("name") ?? "",
                    Query(request.uri.query))
            }
        }
        router.post("/api/v1/runs") { request, _ in
            let body: ByteBuffer
            do { body = try await request.body.collect(upTo: 64 << 10) } catch {
                return Reply.failure(.tooLarge("the body may hold at most 64 KiB"), json: true)
            }
            return Reply.json(status: .accepted) { try launcher.start(Data(body.readableBytesView)) }
        }
    }

    /// The HTML pages, their live event streams, logs, reports and chart pictures.
    private func addPageRoutes(_ router: Router<ServeContext>, pages: Pages) {
        router.get("/") { _, _ in Reply.html { try pages.pipelines() } }
        router.get("/runs") { request, _ in Reply.html { try pages.runs(Query(request.uri.query)) } }
        router.get("/runs/:id") { _, context in Reply.html { try pages.run(context.parameters.get("id") ?? "") } }
        router.get("/schedules") { _, _ in
            Reply.html { try SchedulesPage(catalog: catalog, load: configuration.load).html() }
        }
        router.get("/runs/:id/events") { _, context in
            let live = LiveRun(catalog: catalog, id: context.parameters.get("id") ?? "")
            var headers = HTTPFields()
            headers[.contentType] = "text/event-stream"
            headers[.cacheControl] = "no-store"
            return Response(
                status: .ok, headers: headers,
                body: ResponseBody { writer in
                    try await live.stream { try await writer.write(ByteBuffer(string: $0)) }
                    try await writer.finish(nil)
                })
        }
        router.get("/runs/:id/logs/:stage") { _, context in
            do {
                let text = try Download(catalog: catalog).log(
                    context.parameters.get("id") ?? "", stage: context.parameters.get("stage") ?? "")
                return Reply.text(text, type: "text/plain; charset=utf-8", status: .ok)
            } catch { return Reply.failure(Reply.serveError(error), json: false) }
        }
        router.get("/runs/:id/report") { _, context in
            Reply.html { try Download(catalog: catalog).report(context.parameters.get("id") ?? "") }
        }
        router.get("/outputs/:pipeline/:name/svg") { _, context in
            do {
                var response = Reply.text(
                    try pages.chartSVG(
                        pipeline: context.parameters.get("pipeline") ?? "", name: context.parameters.get("name") ?? ""),
                    type: "image/svg+xml", status: .ok)
                response.headers[.contentSecurityPolicy] = "default-src 'none'; style-src 'unsafe-inline'"
                return response
            } catch { return Reply.failure(Reply.serveError(error), json: false) }
        }
        router.get("/outputs/:pipeline/:name/stats") { _, context in
            Reply.html {
                try pages.stats(
                    pipeline: context.parameters.get("pipeline") ?? "", name: context.parameters.get("name") ?? "")
            }
        }
        router.get("/outputs/:pipeline/:name") { request, context in
            Reply.html {
                try pages.output(
                    pipeline: context.parameters.get("pipeline") ?? "", name: context.parameters.get("name") ?? "",
                    Query(request.uri.query))
            }
        }
    }
}

/// Responses from the answers of `API` and `Pages`, errors included.
enum Reply {
    static func json(status: HTTPResponse.Status = .ok, _ make: () throws -> String) -> Response {
        do { return text(try make(), type: "application/json", status: status) } catch {
            return failure(serveError(error), json: true)
        }
    }

    static func serveError(_ error: any Error) -> ServeError { error as? ServeError ?? .internal("\(error)") }

    static func json(_ text: String) -> Response { Reply.text(text, type: "application/json", status: .ok) }

    static func html(_ make: () throws -> String) -> Response {
        do { return text(try make(), type: "text/html; charset=utf-8", status: .ok) } catch {
            return failure(serveError(error), json: false)
        }
    }

    static func download(_ make: () throws -> Download.File) -> Response {
        do {
            let file = try make()
            var headers = HTTPFields()
            headers[.contentType] = file.type
            headers[.contentDisposition] = "attachment; filename=\"\(file.name)\""
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: file.bytes)))
        } catch { return failure(serveError(error), json: true) }
    }

    static func failure(_ error: ServeError, json: Bool) -> Response {
        let status = HTTPResponse.Status(code: error.status)
        if json { return text(JSONText.error(error), type: "application/json", status: status) }
        return text(
            Pages.document("Error \(error.status)", "<p class=\"error\">\(Pages.escape(error.message))</p>"),
            type: "text/html; charset=utf-8", status: status)
    }

    static func text(_ text: String, type: String, status: HTTPResponse.Status) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
