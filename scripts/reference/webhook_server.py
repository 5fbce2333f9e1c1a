"""A stand-in Slack incoming webhook on 127.0.0.1 for tests.

    python webhook_server.py DIR [STATUS ...]

Listens on a free port and writes it to DIR/port. Answers each POST with the next STATUS in
the list (then 200 for ever); a 429 carries Retry-After: 1. Every request body is appended
to DIR/requests.jsonl, and the bodies it answered 2xx to DIR/accepted.jsonl. With
WEBHOOK_ECHO_PATH set, a 5xx answer quotes the request path back."""
import http.server, json, os, signal, sys

# A test runner's threads may block SIGTERM, and a child inherits the mask: unblock it so the
# test can stop this server.
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})

directory, statuses = sys.argv[1], [int(s) for s in sys.argv[2:]]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        status = statuses.pop(0) if statuses else 200
        with open(os.path.join(directory, "requests.jsonl"), "ab") as f:
            f.write(body + b"\n")
        if 200 <= status < 300:
            with open(os.path.join(directory, "accepted.jsonl"), "ab") as f:
                f.write(body + b"\n")
        self.send_response(status)
        if status == 429:
            self.send_header("Retry-After", "1")
        answer = b"ok" if status < 300 else b"rate_limited" if status == 429 else b"server_error"
        if status >= 500 and os.environ.get("WEBHOOK_ECHO_PATH"):
            # As some servers do: the request path, quoted back in the error body.
            answer += b": no route for " + self.path.encode()
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
with open(os.path.join(directory, "port.tmp"), "w") as f:
    f.write(str(server.server_address[1]))
os.rename(os.path.join(directory, "port.tmp"), os.path.join(directory, "port"))
server.serve_forever()
