"""Olist-shaped e-commerce data: customers, orders and order payments, as in the Brazilian
Olist dataset seed 001 analyses with RFM. A person (customer_unique_id) places one or more
orders, each under its own customer_id; latent groups (loyal big spenders, regulars,
bargain hunters, one-off buyers, lapsed) give RFM and clustering real structure.
Deterministic by --seed; --scale 1 is ~96k people and ~99k orders.

    python scripts/gen/olist.py --scale 0.02 --out data/olist

Writes customers.csv, orders.csv, order_payments.csv and person_groups.csv (the truth)."""
import argparse, os
import numpy as np
import pyarrow as pa, pyarrow.csv as pacsv

STATES = ["SP", "RJ", "MG", "RS", "PR", "SC", "BA", "DF", "ES", "GO", "PE", "CE", "PA", "MT", "MA"]
CITIES = {"SP": "sao paulo", "RJ": "rio de janeiro", "MG": "belo horizonte", "RS": "porto alegre", "PR": "curitiba",
          "SC": "florianopolis", "BA": "salvador", "DF": "brasilia", "ES": "vitoria", "GO": "goiania",
          "PE": "recife", "CE": "fortaleza", "PA": "belem", "MT": "cuiaba", "MA": "sao luis"}
# name, share of people, mean extra orders, log-mean and log-sd of an order's value, days active
GROUPS = [("loyal big spenders", 0.04, 3.0, 6.0, 0.5, 600),
          ("regulars", 0.08, 1.2, 4.8, 0.5, 500),
          ("one-off buyers", 0.60, 0.0, 4.6, 0.7, 700),
          ("bargain hunters", 0.18, 0.3, 3.6, 0.4, 700),
          ("lapsed", 0.10, 0.1, 4.9, 0.6, 250)]
START = np.datetime64("2016-09-04T00:00:00")
SPAN_DAYS = 730


def hexids(rng, n):
    return [f"{a:016x}{b:016x}" for a, b in zip(rng.integers(0, 2**63, n), rng.integers(0, 2**63, n))]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    rng = np.random.default_rng(a.seed)
    os.makedirs(a.out, exist_ok=True)
    write = lambda name, cols: pacsv.write_csv(pa.table(cols), os.path.join(a.out, name))

    people = max(20, int(round(96_096 * a.scale)))
    shares = np.array([g[1] for g in GROUPS])
    group = rng.choice(len(GROUPS), people, p=shares / shares.sum())
    extra = np.array([g[2] for g in GROUPS])[group]
    orders_per = 1 + rng.poisson(extra)
    n_orders = int(orders_per.sum())
    person_of_order = np.repeat(np.arange(people), orders_per)
    g = group[person_of_order]
    # Purchase times: lapsed people buy early in the window; others anywhere.
    active = np.array([x[5] for x in GROUPS])[g]
    offset_days = np.where(g == 4, rng.uniform(0, active), rng.uniform(0, SPAN_DAYS, n_orders))
    secs = (offset_days * 86400).astype(np.int64) + rng.integers(8 * 3600, 23 * 3600, n_orders) % 86400
    purchase = START + secs.astype("timedelta64[s]")
    approved = purchase + rng.integers(600, 2 * 86400, n_orders).astype("timedelta64[s]")
    delivered = purchase + (rng.gamma(3, 4, n_orders) * 86400).astype(np.int64).astype("timedelta64[s]")
    estimated = (purchase + np.timedelta64(24, "D")).astype("datetime64[D]")
    status = np.where(rng.random(n_orders) < 0.97, "delivered", rng.choice(["shipped", "canceled", "invoiced"], n_orders))
    delivered_mask = status != "delivered"

    unique_ids = np.array(hexids(rng, people))
    customer_ids = np.array(hexids(rng, n_orders))
    order_ids = np.array(hexids(rng, n_orders))
    state = rng.choice(len(STATES), people, p=np.r_[0.42, 0.13, 0.12, 0.06, 0.05, 0.04, 0.04, 0.03, 0.02, 0.02, 0.02, 0.02, 0.01, 0.01, 0.01])
    order_state = state[person_of_order]
    write("customers.csv", {
        "customer_id": customer_ids,
        "customer_unique_id": unique_ids[person_of_order],
        "customer_zip_code_prefix": rng.integers(1000, 99990, n_orders),
        "customer_city": [CITIES[STATES[s]] for s in order_state],
        "customer_state": [STATES[s] for s in order_state],
    })
    order = np.argsort(purchase, kind="stable")
    write("orders.csv", {
        "order_id": order_ids[order],
        "customer_id": customer_ids[order],
        "order_status": status[order],
        "order_purchase_timestamp": pa.array(purchase[order].astype("datetime64[s]")),
        "order_approved_at": pa.array(approved[order].astype("datetime64[s]")),
        "order_delivered_customer_date": pa.array(delivered[order].astype("datetime64[s]"), mask=delivered_mask[order]),
        "order_estimated_delivery_date": pa.array(estimated[order]),
    })
    # Payments: most orders one payment, some split across a voucher and a card.
    value = np.round(np.exp(rng.normal(np.array([x[3] for x in GROUPS])[g], np.array([x[4] for x in GROUPS])[g])), 2)
    split = rng.random(n_orders) < 0.04
    pay_order = np.r_[np.arange(n_orders), np.flatnonzero(split)]
    seq = np.r_[np.ones(n_orders, dtype=np.int64), np.full(split.sum(), 2)]
    voucher = np.round(value[split] * rng.uniform(0.1, 0.5, split.sum()), 2)
    amounts = value.copy()
    amounts[split] -= voucher
    pay_value = np.r_[amounts, voucher]
    ptype = np.r_[rng.choice(["credit_card", "boleto", "debit_card"], n_orders, p=[0.78, 0.19, 0.03]), np.full(split.sum(), "voucher")]
    installments = np.where(ptype == "credit_card", rng.integers(1, 11, len(ptype)), 1)
    write("order_payments.csv", {"order_id": order_ids[pay_order], "payment_sequential": seq, "payment_type": ptype,
                                 "payment_installments": installments, "payment_value": np.round(pay_value, 2)})
    write("person_groups.csv", {"customer_unique_id": unique_ids, "group": [GROUPS[x][0] for x in group]})


if __name__ == "__main__":
    main()
