"""Times CSV readers on the same files, each in a fresh process so peak RSS is its own."""
import os, subprocess, sys, time, json
from benchlib import arguments

READERS = {
    "pandas.read_csv": "import pandas as pd; df = pd.read_csv(PATH)",
    "pyarrow.csv.read_csv": "import pyarrow.csv as pc; t = pc.read_csv(PATH)",
    "polars.read_csv": "import polars as pl; df = pl.read_csv(PATH)",
}

def run_python(code, path):
    # Import the library before the clock starts: we time reading, not interpreter start-up.
    setup, work = code.split(";", 1)
    prog = f"""
import time as _time, json as _json
PATH = {path!r}
{setup}
_start = _time.perf_counter()
{work.strip()}
print(_json.dumps({{"seconds": _time.perf_counter() - _start}}))
"""
    proc = subprocess.run(["/usr/bin/time", "-f", "%M", sys.executable, "-c", prog], check=True, capture_output=True, text=True)
    return json.loads(proc.stdout)["seconds"], int(proc.stderr.strip().splitlines()[-1])

def run_weir(weir, path, out, fmt):
    cmd = ["/usr/bin/time", "-f", "%M", weir, "convert", path, out, "--format", fmt]
    if os.path.exists(out) and out != "/dev/null":
        os.remove(out)
    t = time.perf_counter()
    proc = subprocess.run(cmd, check=True, capture_output=True, text=True)
    seconds = time.perf_counter() - t
    return seconds, int(proc.stderr.strip().splitlines()[-1])

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
        for label, code in READERS.items():
            best = min((run_python(code, path) for _ in range(a.repeat)), key=lambda r: r[0])
            results[label] = best
        fastest_ref = min(v[0] for k, v in results.items() if not k.startswith("weir"))
        print(f"\n{name}: {size / 1e6:.0f} MB CSV, Arrow {arrow_size / 1e6:.0f} MB")
        print(f"  {'reader':28} {'seconds':>8} {'MB/s':>8} {'peak RSS MB':>12} {'x fastest ref':>14} {'RSS/Arrow':>10}")
        for label, (sec, rss_kb) in results.items():
            print(f"  {label:28} {sec:8.3f} {size / 1e6 / sec:8.0f} {rss_kb / 1024:12.0f} {fastest_ref / sec:14.2f} {rss_kb * 1024 / arrow_size:10.2f}")

if __name__ == "__main__":
    main()
