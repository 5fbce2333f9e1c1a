import ArgumentParser
import Foundation
import WeirCore
import WeirTable

/// `weir lsp`: a Language Server Protocol server on stdio for pipeline files: the diagnostics
/// of `weir validate` as the file is edited, completion of stage types, keys, input stages and
/// (in a column parameter) the upstream stage's columns, hover with a parameter's help or a
/// stage's output schema, and go-to-definition from an input to its stage.
struct LSP: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lsp",
        abstract:
            "Run a Language Server Protocol server on stdio for pipeline files (diagnostics, completion, hover, definition)."
    )

    func run() throws {
        LanguageServer().serve()
    }
}

final class LanguageServer {
    let transport = LSPTransport()
    var documents: [String: PipelineDocument] = [:]
    var shuttingDown = false

    func serve() {
        while let message = transport.read() {
            let method = message["method"] as? String ?? ""
            let params = message["params"] as? [String: Any] ?? [:]
            if let id = message["id"] {
                let result = answer(method, params)
                if let error = result.error {
                    transport.send(["id": id, "error": ["code": error.code, "message": error.message]])
                } else {
                    transport.send(["id": id, "result": result.value ?? NSNull()])
                }
            } else {
                if method == "exit" { return }
                notice(method, params)
            }
        }
    }

    func answer(_ method: String, _ params: [String: Any]) -> (value: Any?, error: (code: Int, message: String)?) {
        switch method {
        case "initialize":
            return (
                [
                    "capabilities": [
                        "textDocumentSync": 1, "hoverProvider": true, "definitionProvider": true,
                        "completionProvider": ["triggerCharacters": [":", " ", ".", "[", ","]],
                    ],
                    "serverInfo": ["name": "weir", "version": Weir.release],
                ], nil
            )
        case "shutdown":
            shuttingDown = true
            return (NSNull(), nil)
        case "textDocument/completion": return (position(params).map { completion($0.0, $0.1, $0.2) } ?? [], nil)
        case "textDocument/hover": return (position(params).flatMap { hover($0.0, $0.1, $0.2) }, nil)
        case "textDocument/definition": return (position(params).flatMap { definition($0.0, $0.1, $0.2) }, nil)
        default: return (nil, (-32601, "method not found: \(method)"))
        }
    }

    func notice(_ method: String, _ params: [String: Any]) {
        let textDocument = params["textDocument"] as? [String: Any] ?? [:]
        guard let uri = textDocument["uri"] as? String else { return }
        switch method {
        case "textDocument/didOpen":
            documents[uri] = PipelineDocument(path: Self.path(uri), text: textDocument["text"] as? String ?? "")
            publish(uri)
        case "textDocument/didChange":
            guard let change = (params["contentChanges"] as? [[String: Any]])?.last,
                let text = change["text"] as? String
            else { return }
            if let document = documents[uri] {
                document.update(text)
            } else {
                documents[uri] = PipelineDocument(path: Self.path(uri), text: text)
            }
            publish(uri)
        case "textDocument/didClose":
            documents[uri] = nil
            transport.send(["method": "textDocument/publishDiagnostics", "params": ["uri": uri, "diagnostics": []]])
        default: break
        }
    }

    static func path(_ uri: String) -> String {
        URL(string: uri).map { $0.isFileURL ? $0.path : uri } ?? uri
    }

    func position(_ params: [String: Any]) -> (PipelineDocument, Int, Int)? {
        guard let uri = (params["textDocument"] as? [String: Any])?["uri"] as? String, let document = documents[uri],
            let position = params["position"] as? [String: Any], let line = position["line"] as? Int,
            let character = position["character"] as? Int
        else { return nil }
        return (document, line, character)
    }

    /// Diagnostics in this file, each over the word it points at.
    func publish(_ uri: String) {
        guard let document = documents[uri] else { return }
        let items: [[String: Any]] = document.diagnostics.map { diagnostic in
            let line = max(0, (diagnostic.location?.line ?? 1) - 1)
            let column = max(0, (diagnostic.location?.column ?? 1) - 1)
            let word = document.word(line: line, character: column)
            let end = word.isEmpty ? document.line(line).count : column + word.count
            return [
                "range": [
                    "start": ["line": line, "character": column],
                    "end": ["line": line, "character": max(end, column + 1)],
                ],
                "severity": diagnostic.severity == .error ? 1 : 2, "source": "weir",
                "message": diagnostic.message + (diagnostic.hint.map { "\nhint: " + $0 } ?? ""),
            ]
        }
        transport.send(["method": "textDocument/publishDiagnostics", "params": ["uri": uri, "diagnostics": items]])
    }
}
