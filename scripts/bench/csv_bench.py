"""Times CSV readers on the same files, each in a fresh process so peak RSS is its own.

Each reader is timed as it is usually called. Called that way, pandas and polars leave an ISO
timestamp column as text, while Weir and pyarrow parse it, so a file with one is also read by
pandas (`parse_dates`) and polars (`try_parse_dates`) asked to parse it. Every reader reports
the column types it produced, and two ratios are printed: against the fastest reader whatever
its types, and against the fastest whose types equal Weir's."""
import os, subprocess, sys, time, json
from benchlib import arguments
from table_kinds import arrow_kind

HERE = os.path.dirname(os.path.abspath(__file__))

# (label, code, only for files with a timestamp column)
READERS = [
    ("pandas.read_csv", "import pandas as pd; t = pd.read_csv(PATH)", False),
    ("pyarrow.csv.read_csv", "import pyarrow.csv as pc; t = pc.read_csv(PATH)", False),
    ("polars.read_csv", "import polars as pl; t = pl.read_csv(PATH)", False),
    ("pandas, parse_dates", "import pandas as pd; t = pd.read_csv(PATH, parse_dates=TIMESTAMPS)", True),
    ("polars, try_parse_dates", "import polars as pl; t = pl.read_csv(PATH, try_parse_dates=True)", True),
]


def run_python(code, path, timestamps):
    # Import the library before the clock starts: we time reading, not interpreter start-up.
    setup, work = code.split(";", 1)
    prog = f"""
import time as _time, json as _json, sys as _sys
_sys.path.insert(0, {HERE!r})
from table_kinds import kinds as _kinds
PATH = {path!r}
TIMESTAMPS = {timestamps!r}
{setup}
_start = _time.perf_counter()
{work.strip()}
_seconds = _time.perf_counter() - _start
print(_json.dumps({{"seconds": _seconds, "kinds": _kinds(t)}}))
"""
    proc = subprocess.run(["/usr/bin/time", "-f", "%M", sys.executable, "-c", prog], check=True, capture_output=True, text=True)
    result = json.loads(proc.stdout)
    return result["seconds"], int(proc.stderr.strip().splitlines()[-1]), result["kinds"]


def run_weir(weir, path, out, fmt):
    cmd = ["/usr/bin/time", "-f", "%M", weir, "convert", path, out, "--format", fmt]
    if os.path.exists(out) and out != "/dev/null":
        os.remove(out)
    t = time.perf_counter()
    proc = subprocess.run(cmd, check=True, capture_output=True, text=True)
    seconds = time.perf_counter() - t
    return seconds, int(proc.stderr.strip().splitlines()[-1])


def arrow_kinds(path):
    import pyarrow as pa
    with pa.memory_map(path) as source:
        return [arrow_kind(f.type) for f in pa.ipc.open_file(source).schema]


def main():
    ap = arguments()
    a = ap.parse_args()
    print(f"cores: {os.cpu_count()}  (best of {a.repeat} runs; peak RSS of that process)")
    for name in ["order_products.csv", "orders.csv"]:
        path = os.path.join(a.data, name)
        size = os.path.getsize(path)
        arrow = os.path.join(a.data, name.replace(".csv", ".arrow"))
        results = {}
        for label, fmt_out in [("weir -> Arrow file", (arrow, "arrow")), ("weir -> Arrow (/dev/null)", ("/dev/null", "arrow"))]:
            best = min((run_weir(a.weir, path, *fmt_out) for _ in range(a.repeat)), key=lambda r: r[0])
            results[label] = best
        arrow_size = os.path.getsize(arrow)
        weir_kinds = arrow_kinds(arrow)
        with open(path) as f:
            header = f.readline().strip().split(",")
        timestamps = [n for n, k in zip(header, weir_kinds) if k == "timestamp"]
        same = {}
        for label, code, needs_timestamps in READERS:
            if needs_timestamps and not timestamps:
                continue
            runs = [run_python(code, path, timestamps) for _ in range(a.repeat)]
            seconds, rss, kinds = min(runs, key=lambda r: r[0])
            results[label] = (seconds, rss)
            same[label] = kinds == weir_kinds
        fastest_any = min(v[0] for k, v in results.items() if not k.startswith("weir"))
        fastest_same = min(v[0] for k, v in results.items() if same.get(k))
        print(f"\n{name}: {size / 1e6:.0f} MB CSV, Arrow {arrow_size / 1e6:.0f} MB; Weir's column types: {', '.join(weir_kinds)}")
        print(f"  {'reader':28} {'seconds':>8} {'MB/s':>8} {'peak RSS MB':>12} {'same types':>10} {'x fastest':>10} {'x fastest same types':>21} {'RSS/Arrow':>10}")
        for label, (sec, rss_kb) in results.items():
            kinds = "yes" if label.startswith("weir") or same[label] else "no"
            print(f"  {label:28} {sec:8.3f} {size / 1e6 / sec:8.0f} {rss_kb / 1024:12.0f} {kinds:>10} {fastest_any / sec:10.2f} "
                  f"{fastest_same / sec:21.2f} {rss_kb * 1024 / arrow_size:10.2f}")


if __name__ == "__main__":
    main()
