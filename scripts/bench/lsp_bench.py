"""Times `weir lsp` as an editor drives it: open a 1,000-stage pipeline, then send the whole
text again (didChange) N times and time each until its diagnostics come back.

    python lsp_bench.py WEIR [--stages 1000] [--changes 6]
"""
import argparse
import json
import os
import subprocess
import tempfile
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("weir")
    ap.add_argument("--stages", type=int, default=1000)
    ap.add_argument("--changes", type=int, default=6)
    args = ap.parse_args()
    folder = tempfile.mkdtemp(prefix="weir-lsp-")
    open(os.path.join(folder, "src.csv"), "w").write("x\n1\n")
    text = "pipeline: big\nstages:\n  s0: { type: extract.csv, path: src.csv }\n" + "".join(
        f"  s{i}: {{ type: sql, input: s{i - 1}, query: \"SELECT x + 1 AS x FROM s{i - 1}\" }}\n" for i in range(1, args.stages))
    server = subprocess.Popen([args.weir, "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=folder)

    def send(message):
        body = json.dumps(dict(message, jsonrpc="2.0")).encode()
        server.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        server.stdin.flush()

    def read():
        header = b""
        while not header.endswith(b"\r\n\r\n"):
            header += server.stdout.read(1)
        return json.loads(server.stdout.read(int(header.split(b":")[1].strip())))

    uri = "file://" + os.path.join(folder, "big.yaml")
    send({"id": 1, "method": "initialize", "params": {}})
    read()
    started = time.perf_counter()
    send({"method": "textDocument/didOpen", "params": {"textDocument": {"uri": uri, "text": text, "version": 1}}})
    read()
    print(f"open ({args.stages} stages, every query typed): {(time.perf_counter() - started) * 1000:.1f} ms")
    times = []
    for version in range(2, 2 + args.changes):
        started = time.perf_counter()
        edited = text.replace("x + 1 AS x FROM s500", f"x + {version} AS x FROM s500")
        send({"method": "textDocument/didChange", "params": {"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": edited}]}})
        read()
        times.append((time.perf_counter() - started) * 1000)
    print("didChange -> diagnostics: " + ", ".join(f"{t:.1f}" for t in times) + f" ms (best {min(times):.1f})")
    server.stdin.close()
    server.wait()


if __name__ == "__main__":
    main()
