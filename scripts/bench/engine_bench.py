#!/usr/bin/env python3
"""Engine overhead, side by side: Weir against DVC and Snakemake on the same DAG shape
(10 chains of small stages plus a fan-in; see gen_pipeline.py).

For each size it times, in one run: Weir's first run, fully cached re-run and `weir plan`
(plus `weir --version` start-up); Snakemake's first run, `snakemake -n` and a no-op run; DVC's
`dvc repro` first run, `dvc status` and a no-op `dvc repro`. Each timing is the median of
--repeat runs (first runs: one; the cached run after one warm-up re-run). Prints a table and the ratios.
"""
import argparse
import datetime
import random
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def timed(cmd, cwd, repeat=1, env=None):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        times.append(time.perf_counter() - start)
        if result.returncode != 0:
            sys.exit(f"{' '.join(cmd)} failed in {cwd}:\n{result.stderr.decode()[-2000:]}")
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--weir", required=True)
    parser.add_argument("--bin", default=os.path.dirname(sys.executable), help="folder with dvc and snakemake")
    parser.add_argument("--sizes", default="100,1000")
    parser.add_argument("--dvc-max", type=int, default=100, help="largest size to run DVC on (it takes minutes per 1,000 stages)")
    # Eleven: a shared machine's noise moves the median of five by 10-20%.
    parser.add_argument("--repeat", type=int, default=11)
    parser.add_argument("--daily-files", type=int, default=365,
                        help="files of the incremental-glob benchmark (0 skips it)")
    args = parser.parse_args()
    if args.daily_files:
        incremental(args)
    snakemake = os.path.join(args.bin, "snakemake")
    dvc = os.path.join(args.bin, "dvc")
    rows = []
    for size in [int(s) for s in args.sizes.split(",")]:
        root = tempfile.mkdtemp(prefix=f"weir-engine-{size}-")
        subprocess.run([sys.executable, os.path.join(HERE, "gen_pipeline.py"), root, "--stages", str(size)], check=True)
        r = {"size": size}
        weir_env = dict(os.environ, WEIR_STATE_DIR=os.path.join(root, ".weir"))
        r["weir --version"] = timed([args.weir, "--version"], root, args.repeat)
        r["weir first run"] = timed([args.weir, "run", "pipeline.yaml", "--json"], root, 1, weir_env)
        # The first re-run also keeps the report body every later identical run reuses: time the
        # steady state a scheduled pipeline is in, after that one.
        timed([args.weir, "run", "pipeline.yaml", "--json"], root, 1, weir_env)
        r["weir cached run"] = timed([args.weir, "run", "pipeline.yaml", "--json"], root, args.repeat, weir_env)
        r["weir plan"] = timed([args.weir, "plan", "pipeline.yaml"], root, args.repeat, weir_env)

        snake_dir = os.path.join(root, "snake")
        os.makedirs(snake_dir)
        shutil.copytree(os.path.join(root, "data"), os.path.join(snake_dir, "data"))
        shutil.copy(os.path.join(root, "Snakefile"), snake_dir)
        r["snakemake first run"] = timed([snakemake, "--cores", "2", "--quiet"], snake_dir, 1)
        r["snakemake -n"] = timed([snakemake, "-n", "--cores", "2", "--quiet"], snake_dir, args.repeat)
        r["snakemake no-op run"] = timed([snakemake, "--cores", "2", "--quiet"], snake_dir, args.repeat)

        if size <= args.dvc_max:
            dvc_dir = os.path.join(root, "dvc")
            os.makedirs(dvc_dir)
            shutil.copytree(os.path.join(root, "data"), os.path.join(dvc_dir, "data"))
            shutil.copy(os.path.join(root, "dvc.yaml"), dvc_dir)
            os.makedirs(os.path.join(dvc_dir, "out"))
            subprocess.run([dvc, "init", "--no-scm", "-q"], cwd=dvc_dir, check=True)
            subprocess.run([dvc, "config", "core.analytics", "false"], cwd=dvc_dir, check=True)
            r["dvc first run"] = timed([dvc, "repro", "-q"], dvc_dir, 1)
            r["dvc status"] = timed([dvc, "status", "-q"], dvc_dir, args.repeat)
            r["dvc no-op repro"] = timed([dvc, "repro", "-q"], dvc_dir, args.repeat)
        rows.append(r)
        shutil.rmtree(root, ignore_errors=True)

    for r in rows:
        n = r["size"]
        print(f"\n== {n} stages ==")
        for name, value in r.items():
            if name != "size":
                print(f"  {name:22s} {value * 1000:9.1f} ms")
        per_stage = r["weir first run"] / n * 1000
        print(f"  weir first-run overhead per stage: {per_stage:.2f} ms")
        checks = [("plan / dry run", r["weir plan"], [r["snakemake -n"]] + ([r["dvc status"]] if "dvc status" in r else [])),
                  ("fully cached run", r["weir cached run"], [r["snakemake no-op run"]] + ([r["dvc no-op repro"]] if "dvc no-op repro" in r else [])),
                  ("first run", r["weir first run"], [r["snakemake first run"]] + ([r["dvc first run"]] if "dvc first run" in r else []))]
        for label, mine, theirs in checks:
            print(f"  {label:18s} weir is {min(theirs) / mine:6.1f}x faster than the faster of the others")


def daily_file(path, day, rows):
    rng = random.Random(day.toordinal())
    with open(path, "w") as f:
        f.write("ts,customer_id,product,quantity,price,status\n")
        for r in range(rows):
            f.write(f"{day}T{r % 24:02d}:{r % 60:02d}:00Z,{rng.randint(1, 100000)},p{rng.randint(1, 5000)},"
                    f"{rng.randint(1, 9)},{rng.random() * 100:.2f},{rng.choice(['ok', 'refund', 'void'])}\n")


def incremental(args, rows=20000):
    """A glob of daily CSV files that grows by one file: the full read (a first run, every file
    parsed and kept) against a run after one new file (that file parsed, the rest reused)."""
    root = tempfile.mkdtemp(prefix="weir-incremental-")
    os.makedirs(os.path.join(root, "daily"))
    first = datetime.date(2025, 1, 1)
    for i in range(args.daily_files):
        day = first + datetime.timedelta(days=i)
        daily_file(os.path.join(root, "daily", f"{day}.csv"), day, rows)
    with open(os.path.join(root, "daily.yaml"), "w") as f:
        f.write('stages:\n  daily: { type: extract.csv, path: "daily/*.csv" }\n')
    size = sum(os.path.getsize(os.path.join(root, "daily", n)) for n in os.listdir(os.path.join(root, "daily")))
    full = []
    for k in range(args.repeat):
        env = dict(os.environ, WEIR_STATE_DIR=os.path.join(root, f".weir-full-{k}"))
        full.append(timed([args.weir, "run", "daily.yaml"], root, 1, env))
    env = dict(os.environ, WEIR_STATE_DIR=os.path.join(root, ".weir"))
    timed([args.weir, "run", "daily.yaml"], root, 1, env)
    grown = []
    for k in range(args.repeat):
        day = first + datetime.timedelta(days=args.daily_files + k)
        daily_file(os.path.join(root, "daily", f"{day}.csv"), day, rows)
        start = time.perf_counter()
        result = subprocess.run([args.weir, "run", "daily.yaml", "--json"], cwd=root, env=env, capture_output=True, text=True)
        grown.append(time.perf_counter() - start)
        if '"files":{"parsed":1,"reused":' not in result.stdout:
            sys.exit(f"the grown run did not parse exactly one file:\n{result.stdout}{result.stderr}")
    shutil.rmtree(root, ignore_errors=True)
    full_s, grown_s = statistics.median(full), statistics.median(grown)
    print(f"== incremental glob: {args.daily_files} daily files, {size / 1e6:.0f} MB ==")
    print(f"  full read (first run, every file parsed)   {full_s * 1000:9.1f} ms")
    print(f"  one new file (1 parsed, the rest reused)   {grown_s * 1000:9.1f} ms")
    print(f"  the grown run costs {grown_s / full_s * 100:.1f}% of the full read")


if __name__ == "__main__":
    main()
