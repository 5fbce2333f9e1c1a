#!/usr/bin/env python3
"""A static HTTP server on 127.0.0.1 for Weir's http(s):// source tests (stdlib only).

Serves the files of the folder given as its argument with an ETag (MD5 of the content) and
Last-Modified, answers HEAD, redirects /moved/<path> to /<path> (302), answers the first N
requests for /flaky/N/<path> with 503 (then serves <path>), and counts the GETs
of files; GET /__counts returns and resets that count. Prints {"endpoint": ...} on one line,
then serves until stdin closes.
"""
import hashlib
import json
import os
import sys
import threading
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

root = os.path.abspath(sys.argv[1])
gets = 0
lock = threading.Lock()
flaky = {}


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, body_wanted):
        global gets
        if self.path == "/__counts":
            with lock:
                body, gets_now = json.dumps({"GET": gets}).encode(), gets
                gets = 0
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if self.path.startswith("/moved/"):
            self.send_response(302)
            self.send_header("Location", self.path[len("/moved"):])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        relative = self.path.lstrip("/").split("?")[0]
        if relative.startswith("flaky/"):
            _, times, relative = relative.split("/", 2)
            with lock:
                flaky[relative] = flaky.get(relative, 0) + 1
                failing = flaky[relative] <= int(times)
            if failing:
                self.send_response(503)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
        path = os.path.join(root, relative)
        if not os.path.isfile(path):
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        data = open(path, "rb").read()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("ETag", '"' + hashlib.md5(data).hexdigest() + '"')
        self.send_header("Last-Modified", formatdate(os.path.getmtime(path), usegmt=True))
        self.end_headers()
        if body_wanted:
            with lock:
                gets += 1
            self.wfile.write(data)

    def do_GET(self):
        self.answer(True)

    def do_HEAD(self):
        self.answer(False)


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
print(json.dumps({"endpoint": f"http://127.0.0.1:{server.server_address[1]}"}), flush=True)
sys.stdin.read()
server.shutdown()
