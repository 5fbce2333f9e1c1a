"""Independent checks of Weir's chart stage.

    python chart.py aggregates INPUT_CSV OUTDIR
        Recomputes each chart data table Weir wrote to OUTDIR (data-<aggregate>.csv, grouped by
        cat and series; data-histogram.csv; data-pie.csv; data-heatmap.csv) with pandas and
        numpy from INPUT_CSV and prints "ok N" or the differences (exit 1).

    python chart.py browser SVG_DIR OUTDIR
        Opens every SVG in SVG_DIR in headless Chromium (Debian's chromium and chromedriver, by
        Selenium), saves a PNG of each into OUTDIR, and checks with the browser's own bounding
        boxes that no legend entry, title, axis title or tick label overlaps a mark, and that
        tick labels do not overlap each other. Prints "ok N" or the overlaps (exit 1).
"""
import math
import os
import sys


def close(a, b):
    if (a is None or (isinstance(a, float) and math.isnan(a))) and (b is None or (isinstance(b, float) and math.isnan(b))):
        return True
    if a is None or b is None:
        return False
    return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(a)), abs(float(b)))


def key(v):
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)


def aggregates(source, outdir):
    import numpy as np
    import pandas as pd

    frame = pd.read_csv(source, dtype={"cat": "string", "series": "string"})
    problems, checked = [], 0
    named = {"count": "count", "sum": "sum", "mean": "mean", "median": "median", "min": "min", "max": "max"}
    for aggregate, how in named.items():
        grouped = frame.groupby(["cat", "series"], dropna=False)["value"]
        expected = getattr(grouped, how)()
        if aggregate == "sum":
            # pandas sums an all-null group to 0; SQL (and Weir) to null.
            present = grouped.count()
            expected = expected.where(present > 0, other=np.nan)
        column = "count" if aggregate == "count" else f"{aggregate}_value"
        got = pd.read_csv(os.path.join(outdir, f"data-{aggregate}.csv"), dtype={"cat": "string", "series": "string"})
        got_map = {(key(r.cat), key(r.series)): getattr(r, column) for r in got.itertuples()}
        want_map = {(key(c), key(s)): v for (c, s), v in expected.items()}
        if set(got_map) != set(want_map):
            problems.append(f"{aggregate}: groups differ: weir {sorted(map(str, set(got_map) - set(want_map)))} pandas {sorted(map(str, set(want_map) - set(got_map)))}")
        for k, v in want_map.items():
            checked += 1
            if k in got_map and not close(None if pd.isna(got_map[k]) else got_map[k], None if pd.isna(v) else v):
                problems.append(f"{aggregate} {k}: weir {got_map[k]} pandas {v}")

    counts, edges = np.histogram(frame["value"].dropna().to_numpy(), bins=7)
    got = pd.read_csv(os.path.join(outdir, "data-histogram.csv"))
    for i in range(7):
        checked += 3
        row = got.iloc[i]
        if row["count"] != counts[i] or not close(row["bin_start"], edges[i]) or not close(row["bin_end"], edges[i + 1]):
            problems.append(f"histogram bin {i}: weir {tuple(row)} numpy ({edges[i]}, {edges[i + 1]}, {counts[i]})")

    sums = frame.groupby("cat", dropna=False)["amount"].sum()
    total = sums.sum()
    want_map = {key(c): v for c, v in sums.items()}
    got = pd.read_csv(os.path.join(outdir, "data-pie.csv"), dtype={"cat": "string"})
    got_map = {key(r.cat): (r.sum_amount, r.share) for r in got.itertuples()}
    if set(got_map) != set(want_map):
        problems.append(f"pie slices differ: weir {sorted(map(str, got_map))} pandas {sorted(map(str, want_map))}")
    for k, v in want_map.items():
        checked += 2
        if k in got_map and (not close(got_map[k][0], v) or not close(got_map[k][1], v / total)):
            problems.append(f"pie {k}: weir {got_map[k]} pandas {v} {v / total}")

    cells = frame.groupby(["cat", "hour"], dropna=False).size()
    got = pd.read_csv(os.path.join(outdir, "data-heatmap.csv"), dtype={"cat": "string"})
    got_map = {(key(r.cat), int(r.hour)): r.count for r in got.itertuples()}
    want_map = {(key(c), int(h)): n for (c, h), n in cells.items()}
    checked += len(want_map)
    if got_map != want_map:
        problems.append(f"heatmap cells differ: {len(set(got_map.items()) ^ set(want_map.items()))} entries")

    if problems:
        print("\n".join(problems[:40]))
        sys.exit(1)
    print(f"ok {checked}")


def overlaps(a, b):
    width = min(a["right"], b["right"]) - max(a["left"], b["left"])
    height = min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])
    return width > 0.5 and height > 0.5


def browser(svg_dir, outdir):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.makedirs(outdir, exist_ok=True)
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1000,800"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    script = """
        const box = e => { const r = e.getBoundingClientRect(); return {left: r.left, right: r.right, top: r.top, bottom: r.bottom, cls: e.getAttribute('class'), text: e.textContent}; };
        const all = s => Array.from(document.querySelectorAll(s)).map(box);
        return {marks: all('.mark').filter(b => b.right > b.left), labels: all('.legend, .legend-key, .title, .subtitle, .axis-title'),
                ticks: all('.tick-label'), count: document.querySelectorAll('.mark').length};
    """
    problems, count = [], 0
    try:
        for name in sorted(os.listdir(svg_dir)):
            if not name.endswith(".svg"):
                continue
            count += 1
            driver.get("file://" + os.path.abspath(os.path.join(svg_dir, name)))
            found = driver.execute_script(script)
            driver.save_screenshot(os.path.join(outdir, name[:-4] + ".png"))
            for label in found["labels"] + found["ticks"]:
                for mark in found["marks"]:
                    if overlaps(label, mark):
                        problems.append(f"{name}: {label['cls']} '{label['text'][:40]}' overlaps a mark at {mark}")
                        break
            ticks = found["ticks"]
            for i in range(len(ticks)):
                for j in range(i + 1, len(ticks)):
                    if overlaps(ticks[i], ticks[j]):
                        problems.append(f"{name}: tick labels '{ticks[i]['text']}' and '{ticks[j]['text']}' overlap")
            if found["count"] == 0 and "empty" not in name:
                problems.append(f"{name}: no marks")
    finally:
        driver.quit()
    if problems:
        print("\n".join(problems[:40]))
        sys.exit(1)
    print(f"ok {count}")


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "aggregates":
        aggregates(sys.argv[2], sys.argv[3])
    elif command == "browser":
        browser(sys.argv[2], sys.argv[3])
    else:
        sys.exit(f"unknown command {command}")
