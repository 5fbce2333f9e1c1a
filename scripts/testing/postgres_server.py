#!/usr/bin/env python3
"""A PostgreSQL server for one test process (scripts/testing/postgres.sh start on a free port):
prints one JSON line, {"url", "folder"}, or {"error"} when no server can start; takes SQL
commands on stdin, {"op": "sql", "sql": TEXT}, answered by the psql shell (independent of
Weir) as {"ok": true, "out": TEXT}; stops the server and removes its folder when stdin closes.
"""
import json
import os
import socket
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    try:
        out = subprocess.run([os.path.join(HERE, "postgres.sh"), "start", str(free_port())], check=True,
                             capture_output=True, text=True).stdout.split()
    except (subprocess.CalledProcessError, OSError) as error:
        print(json.dumps({"error": str(getattr(error, "stderr", "") or error)}), flush=True)
        return
    folder, url = out[-2], out[-1]
    print(json.dumps({"url": url, "folder": folder}), flush=True)
    try:
        for line in sys.stdin:
            command = json.loads(line)
            done = subprocess.run(["psql", url, "-X", "-qAt", "-v", "ON_ERROR_STOP=1", "-c", command["sql"]],
                                  capture_output=True, text=True)
            answer = {"ok": done.returncode == 0, "out": done.stdout, "error": done.stderr}
            print(json.dumps(answer), flush=True)
    finally:
        subprocess.run([os.path.join(HERE, "postgres.sh"), "stop", folder], capture_output=True)


if __name__ == "__main__":
    main()
