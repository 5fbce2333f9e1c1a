"""Times Weir's pivot, pca_kmeans and rfm stages (stage seconds from `weir run --json`, best
of --repeat, inputs already extracted) against pandas + scikit-learn on the same data, in
memory, as a user would run them."""
import json, os, shutil, subprocess, tempfile, time
import numpy as np, pandas as pd, pyarrow as pa, pyarrow.csv as pacsv
from benchlib import arguments, best, weir_stage

PIPELINE = """
stages:
  lines:
    type: extract.csv
    path: {lines}
  user_aisles:
    type: pivot
    input: lines
    row: user_id
    column: aisle_id
    prefix: aisle_
  segments:
    type: pca_kmeans
    input: user_aisles
    id: user_id
    components: 10
    k: 5
    n_init: 10
  purchases:
    type: extract.csv
    path: {purchases}
  rfm:
    type: rfm
    input: purchases
    customer: customer
    order: order_id
    timestamp: ts
    amount: amount
"""

def main():
    ap = arguments()
    ap.add_argument("--rfm-lines", type=int, default=1_000_000)
    a = ap.parse_args()
    data = os.path.abspath(a.data)

    # Inputs: one row per order line with its user and aisle; 1M purchase lines for RFM.
    lines_csv = os.path.join(data, "user_aisle_lines.csv")
    if not os.path.exists(lines_csv):
        op = pacsv.read_csv(f"{data}/order_products.csv", convert_options=pacsv.ConvertOptions(include_columns=["order_id", "product_id"])).to_pandas()
        orders = pd.read_csv(f"{data}/orders.csv", usecols=["order_id", "user_id"])
        products = pd.read_csv(f"{data}/products.csv", usecols=["product_id", "aisle_id"])
        user_of = np.zeros(orders.order_id.max() + 1, dtype=np.int64); user_of[orders.order_id] = orders.user_id
        aisle_of = np.zeros(products.product_id.max() + 1, dtype=np.int64); aisle_of[products.product_id] = products.aisle_id
        pacsv.write_csv(pa.table({"user_id": user_of[op.order_id.to_numpy()], "aisle_id": aisle_of[op.product_id.to_numpy()]}), lines_csv)
    purchases_csv = os.path.join(data, f"purchases-{a.rfm_lines}.csv")
    if not os.path.exists(purchases_csv):
        rng = np.random.default_rng(3)
        n = a.rfm_lines
        customers = rng.integers(0, n // 10, n)
        ts = np.datetime64("2017-01-01T00:00:00") + rng.integers(0, 700 * 86400, n).astype("timedelta64[s]")
        pacsv.write_csv(pa.table({"customer": [f"c{c:07d}" for c in customers], "order_id": rng.integers(0, n // 2, n),
                                  "ts": pa.array(ts), "amount": np.round(np.exp(rng.normal(4, 0.8, n)), 2)}), purchases_csv)

    work = tempfile.mkdtemp(prefix="weir-bench-segments-")
    pipeline = os.path.join(work, "segments.yaml")
    with open(pipeline, "w") as f:
        f.write(PIPELINE.format(lines=lines_csv, purchases=purchases_csv))
    state = os.path.join(work, "state")
    subprocess.run([a.weir, "run", pipeline, "--state-dir", state], check=True, capture_output=True)
    weir_pivot = min(weir_stage(a.weir, pipeline, state, "user_aisles")[0] for _ in range(a.repeat))
    weir_segments = min(weir_stage(a.weir, pipeline, state, "segments")[0] for _ in range(a.repeat))
    weir_rfm = min(weir_stage(a.weir, pipeline, state, "rfm")[0] for _ in range(a.repeat))
    shutil.rmtree(work)

    lines = pacsv.read_csv(lines_csv).to_pandas()
    print(f"cores: {os.cpu_count()}; {len(lines):,} order lines, {lines.user_id.nunique():,} users, {lines.aisle_id.nunique()} aisles")
    pandas_pivot, matrix = best(lambda: lines.pivot_table(index="user_id", columns="aisle_id", aggfunc="size", fill_value=0), 1)
    from sklearn.decomposition import PCA
    from sklearn.cluster import KMeans
    def sk():
        scores = PCA(n_components=10).fit_transform(matrix.to_numpy(dtype=float))
        return KMeans(n_clusters=5, n_init=10, random_state=0).fit(scores).inertia_
    sklearn_seconds, inertia = best(sk, a.repeat)

    purchases = pd.read_csv(purchases_csv, parse_dates=["ts"])
    def rfm():
        as_of = purchases.ts.max() + pd.Timedelta(days=1)
        g = purchases.groupby("customer")
        r = pd.DataFrame({"recency_days": (as_of - g.ts.max()).dt.days, "frequency": g.order_id.nunique(), "monetary": g.amount.sum()})
        r["r"] = pd.qcut(r.recency_days.rank(method="first"), 5, labels=[5, 4, 3, 2, 1])
        r["f"] = pd.qcut(r.frequency.rank(method="first"), 5, labels=[1, 2, 3, 4, 5])
        r["m"] = pd.qcut(r.monetary.rank(method="first"), 5, labels=[1, 2, 3, 4, 5])
        return r
    pandas_rfm, _ = best(rfm, a.repeat)

    print(f"{'step':<34}{'weir s':>9}{'reference s':>13}{'ratio':>9}")
    for name, mine, theirs, ref in [("pivot users x aisles", weir_pivot, pandas_pivot, "pandas.pivot_table"),
                                    ("PCA(10) + KMeans(5, n_init=10)", weir_segments, sklearn_seconds, "scikit-learn"),
                                    (f"RFM on {a.rfm_lines:,} lines", weir_rfm, pandas_rfm, "pandas")]:
        print(f"{name:<34}{mine:>9.2f}{theirs:>13.2f}{theirs / mine:>8.1f}x   (weir / {ref} = {mine / theirs:.2f})")
    print(f"scikit-learn inertia {inertia:.4g}")

if __name__ == "__main__":
    main()
