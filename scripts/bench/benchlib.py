"""Helpers the benchmark scripts share: their common arguments, best-of timing and one forced
Weir stage's time."""
import argparse, json, subprocess, time


def best(fn, repeat):
    """The shortest of `repeat` timed calls of fn, and fn's last result."""
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return min(times), result


def weir_stage(weir, pipeline, state, stage):
    """Runs `stage` alone with --force and returns (seconds, rows) from its stage_finished event."""
    out = subprocess.run([weir, "run", pipeline, "--state-dir", state, "-s", stage, "--force", "--json"],
                         check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        event = json.loads(line)
        if event["event"] == "stage_finished" and event["stage"] == stage:
            return event["seconds"], event.get("rows")
    raise SystemExit(f"no stage_finished event for {stage}:\n{out}")


def arguments(repeat=3):
    """A parser with the arguments every benchmark takes: the weir binary, the data folder and
    how many timed repeats to keep the best of."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--weir", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--repeat", type=int, default=repeat)
    return ap
