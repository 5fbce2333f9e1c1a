"""Times log extraction on the same files: Weir (`weir run` of extract.logs + logs.transactions,
wall time of a cold run, which includes writing both stages' Arrow outputs durably, and the two
stages' own times, best of --repeat forced runs) against logs_reference.py in this process.
Checks that both found the same transactions."""
import glob, json, os, subprocess, tempfile, time
from benchlib import arguments, weir_stage
import logs_reference

def main():
    ap = arguments()
    a = ap.parse_args()
    files = sorted(glob.glob(os.path.join(a.data, "*.log*")))
    size = sum(os.path.getsize(f) for f in files)
    mb = size / 1e6
    work = tempfile.mkdtemp(prefix="weir-bench-logs-")
    pipeline = os.path.join(work, "logs.yaml")
    with open(pipeline, "w") as f:
        f.write(f"stages:\n  logs: {{ type: extract.logs, path: '{a.data}/*.log*' }}\n"
                f"  tx: {{ type: logs.transactions, input: logs }}\n")
    state = os.path.join(work, "state")
    t = time.perf_counter()
    subprocess.run([a.weir, "run", pipeline, "--state-dir", state], check=True, capture_output=True)
    cold = time.perf_counter() - t
    extract = min(weir_stage(a.weir, pipeline, state, "logs")[0] for _ in range(a.repeat))
    parse, rows = min((weir_stage(a.weir, pipeline, state, "tx") for _ in range(a.repeat)), key=lambda r: r[0])

    t = time.perf_counter()
    df, rejects = logs_reference.transactions(files)
    python = time.perf_counter() - t
    if len(df) != rows["out"] or rejects != rows["rejects"]:
        raise SystemExit(f"disagreement: Weir {rows}, Python {len(df)} rows and {rejects} rejects")

    stages = extract + parse
    print(f"{len(files)} files, {mb:.0f} MB, {rows['out']:,} transactions, {rows['rejects']} rejects (both tools agree)")
    print(f"{'tool':<44}{'seconds':>9}{'MB/s':>9}{'vs Python':>11}")
    for name, seconds in [("Weir stages (extract.logs + logs.transactions)", stages),
                          ("Weir cold run (wall, outputs written durably)", cold),
                          ("Python reference (regex split + tokenizer)", python)]:
        print(f"{name:<44}{seconds:>9.2f}{mb / seconds:>9.0f}{python / seconds:>10.1f}x")
    print(json.dumps({"mb": mb, "weir_stages": stages, "weir_extract": extract, "weir_transactions": parse,
                      "weir_cold": cold, "python": python}))

if __name__ == "__main__":
    main()
