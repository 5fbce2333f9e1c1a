#!/usr/bin/env python3
"""weir serve under load (see scripts/bench/serve). Standard library only."""
import argparse
import http.client
import os
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def build_state(args, root):
    """A real run of a 2,000-stage pipeline with a 200k-row source, then copies of its run."""
    subprocess.run([sys.executable, os.path.join(HERE, "gen_pipeline.py"), root, "--stages", str(args.stages)], check=True)
    with open(os.path.join(root, "data", "users.csv"), "w") as f:
        f.write("user_id,segment,score\n")
        for i in range(200_000):
            f.write(f"u{i},s{i % 17},{i % 1000}\n")
    with open(os.path.join(root, "pipeline.yaml"), "a") as f:
        f.write("  users: { type: extract.csv, path: data/users.csv }\n")
    env = dict(os.environ, WEIR_STATE_DIR=os.path.join(root, ".weir"))
    subprocess.run([args.weir, "run", "pipeline.yaml", "--json"], cwd=root, env=env, check=True, stdout=subprocess.DEVNULL)
    db = sqlite3.connect(os.path.join(root, ".weir", "weir.sqlite"))
    (run_id,) = db.execute("SELECT id FROM runs").fetchone()
    columns = [c[1] for c in db.execute("PRAGMA table_info(runs)")]
    row = dict(zip(columns, db.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()))
    rng = random.Random(1)
    copies = []
    for i in range(args.runs - 1):
        copy = dict(row)
        copy["id"] = f"20250101-000000-{i:06x}"
        copy["started_at"] = row["started_at"] - 3600 * (i + 1)
        copy["status"] = rng.choice(["ok", "ok", "ok", "failed"])
        copies.append(tuple(copy[c] for c in columns))
    db.executemany(f"INSERT INTO runs({','.join(columns)}) VALUES ({','.join('?' * len(columns))})", copies)
    db.commit()
    db.close()
    return run_id


def serve(args, root):
    server = subprocess.Popen([args.weir, "serve", "--port", "0", "--state-dir", os.path.join(root, ".weir")], cwd=root,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    for line in server.stdout:
        found = re.search(r"127\.0\.0\.1:(\d+)", line)
        if found and "listening" in line:
            return server, int(found.group(1))
    sys.exit("weir serve did not start")


def timed(port, paths, rate=None, threads=4):
    """Requests `paths` over keep-alive connections; with `rate`, paced to that many per second
    in all. Returns (server ms, round-trip ms) lists."""
    server_ms, trip_ms, lock = [], [], threading.Lock()
    per_thread = [paths[i::threads] for i in range(threads)]

    def worker(mine):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        interval = threads / rate if rate else 0
        next_at = time.perf_counter()
        for path in mine:
            if interval:
                delay = next_at - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                next_at += interval
            start = time.perf_counter()
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            trip = (time.perf_counter() - start) * 1000
            if response.status != 200:
                sys.exit(f"{path}: HTTP {response.status}")
            app = float(re.search(r"dur=([0-9.]+)", response.getheader("Server-Timing")).group(1))
            with lock:
                server_ms.append(app)
                trip_ms.append(trip)
        conn.close()

    workers = [threading.Thread(target=worker, args=(m,)) for m in per_thread]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return server_ms, trip_ms


def p(values, q):
    return statistics.quantiles(values, n=100)[q - 1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--weir", required=True)
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--stages", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    root = tempfile.mkdtemp(prefix="weir-serve-bench-")
    run_id = build_state(args, root)
    server, port = serve(args, root)
    try:
        n = args.requests
        rng = random.Random(2)
        cases = [
            ("runs list (page of 50, 10k runs)", [f"/api/v1/runs?limit=50&offset={rng.randrange(0, args.runs - 50)}" for _ in range(n)], None),
            ("runs page, filtered by status", [f"/runs?status=failed&offset={rng.randrange(0, 2000)}" for _ in range(n)], None),
            (f"run page ({args.stages + 1} stages)", [f"/runs/{run_id}" for _ in range(n // 4)], None),
            (f"run API ({args.stages + 1} stages)", [f"/api/v1/runs/{run_id}" for _ in range(n // 4)], None),
            ("lookup in 200k rows at 1,000/s", [f"/api/v1/lookup/bench/users?user_id=u{rng.randrange(200_000)}" for _ in range(n)], 1000),
        ]
        timed(port, ["/api/v1/lookup/bench/users?user_id=u1", f"/runs/{run_id}"], threads=1)  # build the index, warm up
        print(f"{'request':<40}{'server p50':>12}{'server p95':>12}{'trip p50':>10}{'trip p95':>10}  (ms)")
        for name, paths, rate in cases:
            app, trip = timed(port, paths, rate)
            print(f"{name:<40}{p(app, 50):12.3f}{p(app, 95):12.3f}{p(trip, 50):10.3f}{p(trip, 95):10.3f}")
    finally:
        server.terminate()
        server.wait()
        subprocess.run(["rm", "-rf", root])


if __name__ == "__main__":
    main()
