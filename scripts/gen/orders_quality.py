"""An orders table with the anomalies seed 003 finds: zero-revenue orders, a 1.93-billion
order from a test account, B2B-sized orders and orders dated in the future. Deterministic by
--seed; --clean leaves the anomalies out.

    python scripts/gen/orders_quality.py --rows 5000 --out data/quality

Writes orders.csv (order_id, customer_id, customer_email, order_date, country, quantity,
revenue) and truth.json (the planted anomalies' order ids)."""
import argparse, json, os
import numpy as np
import pyarrow as pa, pyarrow.csv as pacsv


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=int, default=5000)
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=5)
    p.add_argument("--clean", action="store_true")
    p.add_argument("--name", default="orders.csv")
    a = p.parse_args()
    rng = np.random.default_rng(a.seed)
    os.makedirs(a.out, exist_ok=True)
    n = a.rows
    customers = rng.integers(1, n // 4, n)
    order_date = np.datetime64("2025-01-01") + rng.integers(0, 300, n).astype("timedelta64[D]")
    quantity = rng.integers(1, 6, n)
    revenue = np.round(quantity * np.exp(rng.normal(3.5, 0.6, n)), 2)
    emails = np.array([f"customer{c}@mail.example" for c in customers], dtype=object)
    truth = {"zero_revenue": [], "test_account": [], "b2b": [], "future": []}
    if not a.clean:
        picks = rng.choice(n, 50 + 1 + 20 + 5, replace=False)
        zero, test, b2b, future = picks[:50], picks[50], picks[51:71], picks[71:]
        revenue[zero] = 0.0
        revenue[test] = 1_930_000_000.0
        emails[test] = "qa-test@ourshop.example"
        revenue[b2b] = np.round(rng.uniform(50_000, 200_000, len(b2b)), 2)
        quantity[b2b] = rng.integers(200, 2000, len(b2b))
        order_date[future] = np.datetime64("2031-06-01") + rng.integers(0, 30, len(future)).astype("timedelta64[D]")
        truth = {"zero_revenue": [int(i) + 1 for i in zero], "test_account": [int(test) + 1],
                 "b2b": [int(i) + 1 for i in b2b], "future": [int(i) + 1 for i in future]}
    pacsv.write_csv(pa.table({"order_id": np.arange(1, n + 1), "customer_id": customers, "customer_email": emails.astype(str),
                              "order_date": order_date, "country": rng.choice(["BH", "SA", "AE", "KW", "QA"], n),
                              "quantity": quantity, "revenue": revenue}), os.path.join(a.out, a.name))
    with open(os.path.join(a.out, "truth.json" if not a.clean else "truth-clean.json"), "w") as f:
        json.dump(truth, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
