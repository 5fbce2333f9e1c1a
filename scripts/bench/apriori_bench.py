"""Times basket analysis on the same order lines: Weir's apriori stage (through `weir run`,
its stage time from the JSON events) against mlxtend, efficient-apriori and pyfim in this
process, starting from the order lines in memory, as a user would run each."""
import json, os, shutil, subprocess, sys, tempfile, time
import numpy as np, pandas as pd, pyarrow.csv as pacsv
from benchlib import arguments, best, weir_stage

def weir_pipeline(data, min_support, all_support):
    return f"""
stages:
  lines:
    type: extract.csv
    path: {data}/order_products.csv
  top100:
    type: apriori
    input: lines
    transaction: order_id
    item: product_id
    top_items: 100
    min_support: {min_support}
  all_products:
    type: apriori
    input: lines
    transaction: order_id
    item: product_id
    min_support: {all_support}
"""

def main():
    ap = arguments()
    ap.add_argument("--min-support", type=float, default=0.005)
    ap.add_argument("--all-support", type=float, default=0.001)
    ap.add_argument("--skip-slow", action="store_true", help="skip efficient-apriori and mlxtend apriori")
    a = ap.parse_args()
    a.data = os.path.abspath(a.data)
    results = {}

    # Weir: a cold run (CSV extraction + both stages), then each stage forced, best of --repeat.
    work = tempfile.mkdtemp(prefix="weir-bench-apriori-")
    pipeline = os.path.join(work, "basket.yaml")
    with open(pipeline, "w") as f:
        f.write(weir_pipeline(a.data, a.min_support, a.all_support))
    state = os.path.join(work, "state")
    t = time.perf_counter()
    subprocess.run([a.weir, "run", pipeline, "--state-dir", state, "--jobs", "1"], check=True, capture_output=True)
    cold = time.perf_counter() - t
    top = min((weir_stage(a.weir, pipeline, state, "top100") for _ in range(a.repeat)), key=lambda r: r[0])
    allp = min((weir_stage(a.weir, pipeline, state, "all_products") for _ in range(a.repeat)), key=lambda r: r[0])
    shutil.rmtree(work)
    print(f"cores: {os.cpu_count()}; data: {a.data}")
    print(f"weir apriori, top 100 products, min_support {a.min_support}: {top[0]:.3f} s  {top[1]}")
    print(f"weir apriori, all products, min_support {a.all_support}: {allp[0]:.3f} s  {allp[1]}")
    print(f"weir cold run (CSV extract + both stages, one at a time): {cold:.2f} s")

    # The reference tools, from the order lines in memory.
    lines = pacsv.read_csv(f"{a.data}/order_products.csv",
                           convert_options=pacsv.ConvertOptions(include_columns=["order_id", "product_id"])).to_pandas()
    print(f"{len(lines):,} order lines, {lines.order_id.nunique():,} orders")

    def top_lines():
        top = lines.product_id.value_counts().head(100).index
        return lines[lines.product_id.isin(top)]

    def onehot():
        sub = top_lines()
        return sub.assign(x=True).pivot_table(index="order_id", columns="product_id", values="x",
                                              aggfunc="any", fill_value=False).astype(bool)

    def transactions():
        sub = top_lines().sort_values("order_id", kind="stable")
        bounds = np.flatnonzero(np.diff(sub.order_id.to_numpy())) + 1
        return [x.tolist() for x in np.split(sub.product_id.to_numpy(), bounds)]

    prep_onehot, matrix = best(onehot, 1)
    prep_lists, tracts = best(transactions, 1)
    print(f"prep: top-100 one-hot {prep_onehot:.2f} s ({matrix.shape[0]:,} baskets x {matrix.shape[1]}); "
          f"top-100 basket lists {prep_lists:.2f} s")
    results["weir"] = top[0]

    from mlxtend.frequent_patterns import apriori, fpgrowth, association_rules
    def mlx(algo):
        def run():
            # low_memory: the default apriori needs ~30 GiB at this size and fails.
            options = {"low_memory": True} if algo is apriori else {}
            fi = algo(matrix, min_support=a.min_support, use_colnames=True, **options)
            rules = association_rules(fi, metric="lift", min_threshold=1.0)
            return len(fi), len(rules)
        return run
    mining = {}
    for name, algo in [("mlxtend.fpgrowth", fpgrowth)] + ([] if a.skip_slow else [("mlxtend.apriori", apriori)]):
        seconds, counts = best(mlx(algo), 1)
        mining[name] = seconds
        results[name] = seconds + prep_onehot
        print(f"{name}: mining + rules {seconds:.2f} s, with one-hot {results[name]:.2f} s  itemsets/rules {counts}")

    import fim
    for name in ["apriori", "fpgrowth", "eclat"]:
        fn = getattr(fim, name)
        seconds, found = best(lambda: fn(tracts, target="s", supp=a.min_support * 100, report="s"), 1)
        mining[f"pyfim.{name}"] = seconds
        results[f"pyfim.{name}"] = seconds + prep_lists
        print(f"pyfim.{name}: mining {seconds:.2f} s, with basket lists {results[f'pyfim.{name}']:.2f} s  itemsets {len(found)}")

    if not a.skip_slow:
        from efficient_apriori import apriori as eapriori
        tuples = [tuple(t) for t in tracts]
        seconds, (itemsets, rules) = best(lambda: eapriori(tuples, min_support=a.min_support, min_confidence=0.0), 1)
        mining["efficient-apriori"] = seconds
        results["efficient-apriori"] = seconds + prep_lists
        print(f"efficient-apriori: mining + rules {seconds:.2f} s  itemsets {sum(len(v) for v in itemsets.values())}")

    print()
    print(f"{'tool':<22}{'seconds':>10}{'weir faster by':>16}   (mining only: weir faster by)")
    for name, seconds in sorted(results.items(), key=lambda kv: kv[1]):
        extra = f"{mining[name] / top[0]:>10.1f}x" if name in mining else ""
        print(f"{name:<22}{seconds:>10.2f}{seconds / top[0]:>15.1f}x   {extra}")

if __name__ == "__main__":
    main()
