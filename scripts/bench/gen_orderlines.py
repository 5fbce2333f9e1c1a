"""Instacart-shaped CSVs for the CSV benchmark: order lines (order_id, product_id,
add_to_cart_order, reordered) and orders (order_id, user_id, eval_set, order_dow,
order_hour_of_day, days_since_prior_order, order_ts). Deterministic by seed."""
import argparse, numpy as np, polars as pl

p = argparse.ArgumentParser()
p.add_argument("--lines", type=int, default=32_000_000)
p.add_argument("--orders", type=int, default=3_400_000)
p.add_argument("--out", required=True)
p.add_argument("--seed", type=int, default=7)
a = p.parse_args()
rng = np.random.default_rng(a.seed)

sizes = rng.poisson(9, a.orders) + 1
order_ids = np.repeat(np.arange(1, a.orders + 1), sizes)[: a.lines]
if len(order_ids) < a.lines:
    order_ids = np.concatenate([order_ids, np.full(a.lines - len(order_ids), a.orders)])
starts = np.r_[0, np.flatnonzero(np.diff(order_ids)) + 1]
pos = np.arange(a.lines) - np.repeat(starts, np.diff(np.r_[starts, a.lines]))
pl.DataFrame({
    "order_id": order_ids,
    "product_id": rng.zipf(1.3, a.lines) % 49688 + 1,
    "add_to_cart_order": pos + 1,
    "reordered": (rng.random(a.lines) < 0.59).astype(np.int64),
}).write_csv(f"{a.out}/order_products.csv")

base = np.datetime64("2017-01-01T00:00:00")
secs = rng.integers(0, 365 * 86400, a.orders)
days = rng.integers(0, 31, a.orders).astype(float)
days[rng.random(a.orders) < 0.06] = np.nan
pl.DataFrame({
    "order_id": np.arange(1, a.orders + 1),
    "user_id": rng.integers(1, 206_210, a.orders),
    "eval_set": rng.choice(["prior", "train", "test"], a.orders, p=[0.94, 0.04, 0.02]),
    "order_dow": rng.integers(0, 7, a.orders),
    "order_hour_of_day": rng.integers(0, 24, a.orders),
    "days_since_prior_order": days,
    "order_ts": (base + secs.astype("timedelta64[s]")).astype("datetime64[us]"),
}).write_csv(f"{a.out}/orders.csv", datetime_format="%Y-%m-%dT%H:%M:%S")
