"""Runs the recommendation quality benchmark (see scripts/bench/recommend)."""
import argparse, os, subprocess, sys, tempfile, time
import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "reference"))
from recommend import metrics  # noqa: E402  (the reference metrics the evaluate stage is tested against)

PIPELINE = """
stages:
  order_lines: {{ type: extract.csv, path: "{data}/order_products.csv" }}
  orders: {{ type: extract.csv, path: "{data}/orders.csv" }}
  groups: {{ type: extract.csv, path: "{data}/user_groups.csv" }}
  lines:
    type: sql
    inputs: [order_lines, orders, groups]
    query: |
      SELECT o.user_id, l.order_id, o.order_number, l.product_id, g."group" AS segment
      FROM order_lines l JOIN orders o USING (order_id) LEFT JOIN groups g USING (user_id)
  held_out: {{ type: split, input: lines, user: user_id, order: order_id, sequence: order_number }}
  hybrid: {{ type: recommend, input: held_out.train, user: user_id, item: product_id, segment: segment }}
  repeat: {{ type: recommend, input: held_out.train, user: user_id, item: product_id, method: repeat }}
  train_csv: {{ type: load.csv, input: held_out.train, path: "{out}/train.csv" }}
  test_csv: {{ type: load.csv, input: held_out.test, path: "{out}/test.csv" }}
  hybrid_csv: {{ type: load.csv, input: hybrid.recommendations, path: "{out}/hybrid.csv" }}
  repeat_csv: {{ type: load.csv, input: repeat.recommendations, path: "{out}/repeat.csv" }}
"""


def run_weir(weir, directory, data):
    with open(os.path.join(directory, "p.yaml"), "w") as f:
        f.write(PIPELINE.format(data=data, out=directory))
    env = dict(os.environ, WEIR_STATE_DIR=os.path.join(directory, ".weir"))
    subprocess.run([weir, "run", "p.yaml", "--json"], cwd=directory, env=env, check=True, stdout=subprocess.PIPE)


def implicit_als(train, test):
    import scipy.sparse as sp
    from implicit.als import AlternatingLeastSquares
    users = np.sort(train.user.unique()); items = np.sort(train.item.unique())
    u = np.searchsorted(users, train.user); i = np.searchsorted(items, train.item)
    matrix = sp.csr_matrix((np.ones(len(train), dtype=np.float32), (u, i)), shape=(len(users), len(items)))
    matrix.sum_duplicates()
    started = time.perf_counter()
    model = AlternatingLeastSquares(factors=64, iterations=15, regularization=0.01, alpha=1.0, random_state=0)
    model.fit(matrix, show_progress=False)
    wanted = np.searchsorted(users, np.sort(test.user.unique()))
    rows = []
    for filter_seen in (False, True):
        ids, _ = model.recommend(wanted, matrix[wanted], N=10, filter_already_liked_items=filter_seen)
        recs = pd.DataFrame([(users[w], items[c], r + 1) for w, row in zip(wanted, ids) for r, c in enumerate(row) if c >= 0],
                            columns=["user", "item", "rank"])
        rows.append((f"implicit ALS 64x15{' (unseen only)' if filter_seen else ''}", recs))
    return rows, time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--weir", required=True)
    parser.add_argument("--data", required=True)
    args = parser.parse_args()
    directory = tempfile.mkdtemp(prefix="weir-recommend-")
    started = time.perf_counter()
    run_weir(args.weir, directory, os.path.abspath(args.data))
    weir_seconds = time.perf_counter() - started
    read = lambda name: pd.read_csv(os.path.join(directory, name)).rename(columns={"user_id": "user", "product_id": "item"})
    train, test = read("train.csv"), read("test.csv")
    results = [("weir recommend (hybrid, default)", read("hybrid.csv")), ("weir recommend method: repeat", read("repeat.csv"))]
    als, als_seconds = implicit_als(train[["user", "item"]], test[["user", "item"]])
    results += als
    print(f"== {train.user.nunique()} users, {len(train)} training lines, {len(test)} held-out lines ({test.user.nunique()} users) ==")
    print(f"weir pipeline (split, hybrid, repeat, CSV loads): {weir_seconds:.1f} s; implicit ALS fit + recommend: {als_seconds:.1f} s")
    for name, recs in results:
        m = metrics(recs[["user", "item", "rank"]], test[["user", "item"]].drop_duplicates(), 10)
        print(f"  {name:38s} NDCG@10 {m['ndcg']:.4f}  precision@10 {m['precision']:.4f}  hit rate {m['hit_rate']:.4f}")


if __name__ == "__main__":
    main()
