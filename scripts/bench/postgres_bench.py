"""Extract and load N rows through PostgreSQL: Weir's extract.postgres / load.postgres against
psycopg 3's binary COPY (into Python rows, and raw bytes as a floor) and pandas read_sql /
to_sql, on the same server and table. Prints seconds, rows per second and ratios; checks that
every copy holds the same rows."""
import argparse
import os
import subprocess
import tempfile
import time

import pandas as pd
import psycopg
from sqlalchemy import create_engine

from benchlib import best, weir_stage

COLUMNS = "id bigint, user_id integer, amount double precision, qty integer, paid boolean, created timestamptz, day date, name text"
TYPES = ["int8", "int4", "float8", "int4", "bool", "timestamptz", "date", "text"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weir", required=True)
    ap.add_argument("--url", required=True)
    ap.add_argument("--rows", type=int, default=5_000_000)
    ap.add_argument("--pandas-rows", type=int, default=None, help="rows pandas loads with to_sql (default: all)")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    n = args.rows
    with psycopg.connect(args.url, autocommit=True) as db:
        db.execute("DROP TABLE IF EXISTS bench_rows")
        db.execute(f"CREATE TABLE bench_rows ({COLUMNS})")
        db.execute("INSERT INTO bench_rows SELECT g, g % 100000, (g % 10007) * 0.25, g % 7, g % 3 = 0, "
                   "timestamptz '2024-01-01' + g * interval '1 second', date '2024-01-01' + (g % 365), "
                   f"'customer-' || (g % 5000) FROM generate_series(1, {n}) g")
        db.execute("VACUUM ANALYZE bench_rows")
    print(f"{n:,} rows: {COLUMNS}")

    results = {}
    folder = tempfile.mkdtemp(prefix="weir-bench-pg-")
    pipeline = os.path.join(folder, "p.yaml")
    with open(pipeline, "w") as f:
        f.write("pipeline: pgbench\nstages:\n"
                "  src: { type: extract.postgres, dsn: \"${env.DATABASE_URL}\", table: bench_rows, version: bench }\n"
                "  back: { type: load.postgres, input: src, dsn: \"${env.DATABASE_URL}\", table: weir_copy }\n")
    os.environ["DATABASE_URL"] = args.url
    state = os.path.join(folder, ".weir")
    # Weir's own stage times (what the stage did, without process start and planning).
    results["extract: weir extract.postgres"] = min(weir_stage(args.weir, pipeline, state, "src")[0] for _ in range(args.repeat))
    results["load: weir load.postgres (incl. its row receipt)"] = min(weir_stage(args.weir, pipeline, state, "back")[0] for _ in range(args.repeat))

    def psycopg_rows():
        with psycopg.connect(args.url) as db, db.cursor() as cur:
            with cur.copy("COPY (SELECT * FROM bench_rows) TO STDOUT (FORMAT BINARY)") as copy:
                copy.set_types(TYPES)
                return list(copy.rows())

    def psycopg_bytes():
        total = 0
        with psycopg.connect(args.url) as db, db.cursor() as cur:
            with cur.copy("COPY (SELECT * FROM bench_rows) TO STDOUT (FORMAT BINARY)") as copy:
                for block in copy:
                    total += len(block)
        return total

    seconds, rows = best(psycopg_rows, args.repeat)
    results["extract: psycopg binary COPY -> rows"] = seconds
    results["extract: psycopg binary COPY, bytes only"] = best(psycopg_bytes, args.repeat)[0]

    def psycopg_load():
        with psycopg.connect(args.url) as db, db.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS psycopg_copy")
            cur.execute(f"CREATE TABLE psycopg_copy ({COLUMNS})")
            with cur.copy("COPY psycopg_copy FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(TYPES)
                for row in rows:
                    copy.write_row(row)

    results["load: psycopg binary COPY from rows"] = best(psycopg_load, args.repeat)[0]
    del rows

    engine = create_engine(args.url.replace("postgresql://", "postgresql+psycopg://"))
    seconds, frame = best(lambda: pd.read_sql("SELECT * FROM bench_rows", engine), 1)
    results["extract: pandas read_sql"] = seconds
    part = frame if args.pandas_rows is None else frame.head(args.pandas_rows)
    t = time.perf_counter()
    part.to_sql("pandas_copy", engine, if_exists="replace", index=False, chunksize=10_000)
    pandas_load = time.perf_counter() - t
    results[f"load: pandas to_sql ({len(part):,} rows)"] = pandas_load * (n / len(part))
    del frame, part

    with psycopg.connect(args.url) as db:
        sums = {table: db.execute(f"SELECT count(*), sum(id), sum(amount), count(name), sum(extract(epoch FROM created)) FROM {table}").fetchone()
                for table in ["bench_rows", "weir_copy", "psycopg_copy"]}
    for table, value in sums.items():
        assert value == sums["bench_rows"], f"{table} differs: {value} vs {sums['bench_rows']}"

    print(f"\n{'':56s} {'seconds':>9s} {'rows/s':>12s}")
    for name, seconds in results.items():
        note = " (scaled to all rows)" if "to_sql" in name and args.pandas_rows else ""
        print(f"{name:56s} {seconds:9.2f} {n / seconds:12,.0f}{note}")
    extract = results["extract: psycopg binary COPY -> rows"] / results["extract: weir extract.postgres"]
    load = results["load: psycopg binary COPY from rows"] / results["load: weir load.postgres (incl. its row receipt)"]
    print(f"\nweir extract is {extract:.2f}x psycopg COPY's speed, "
          f"{results['extract: pandas read_sql'] / results['extract: weir extract.postgres']:.2f}x pandas read_sql's")
    print(f"weir load is {load:.2f}x psycopg COPY's speed, "
          f"{[v for k, v in results.items() if 'to_sql' in k][0] / results['load: weir load.postgres (incl. its row receipt)']:.2f}x pandas to_sql's")
    print("every copy holds the same rows (count, sums of id, amount and created, names)")
    subprocess.run(["rm", "-rf", folder])


if __name__ == "__main__":
    main()
