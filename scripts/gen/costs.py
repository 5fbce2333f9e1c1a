"""Daily AWS costs in the style of a Cost and Usage Report export (seed 000): one row per
usage day, service and usage type, with weekly seasonality, trends, planted spikes on known
days and one planted trend reversal. Deterministic by --seed.

    python scripts/gen/costs.py --days 400 --out data/costs

Writes daily_costs.csv (line_item_usage_start_date, product_servicename,
line_item_usage_type, line_item_unblended_cost) and truth.json (the planted spikes and the
reversal)."""
import argparse, json, os
import numpy as np
import pyarrow as pa, pyarrow.csv as pacsv

SERVICES = ["Amazon Elastic Compute Cloud", "Amazon Simple Storage Service", "Amazon Relational Database Service",
            "AWS Lambda", "Amazon CloudFront", "Amazon DynamoDB", "Amazon Elastic Container Service",
            "Amazon Elastic Kubernetes Service", "Amazon CloudWatch", "Amazon Simple Queue Service",
            "Amazon Kinesis", "AWS Glue", "Amazon Athena", "Amazon Redshift", "AWS Key Management Service"]
USAGE = ["Usage", "Requests", "DataTransfer-Out-Bytes"]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--days", type=int, default=400)
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=3)
    a = p.parse_args()
    rng = np.random.default_rng(a.seed)
    os.makedirs(a.out, exist_ok=True)
    start = np.datetime64("2024-01-01")
    days = np.arange(a.days)
    rows = {"line_item_usage_start_date": [], "product_servicename": [], "line_item_usage_type": [], "line_item_unblended_cost": []}
    spikes, reversal = [], None
    for s, service in enumerate(SERVICES):
        base = rng.uniform(5, 400) if s else 1200.0
        trend = rng.uniform(-0.0005, 0.0015) * base
        weekly = 1 + 0.15 * np.where(((days + 0) % 7) >= 5, -1, 0.4) * (s % 3 != 2)
        noise = rng.normal(1, 0.05, a.days)
        cost = np.maximum(0.01, (base + trend * days) * weekly * noise)
        if s == 3:
            # The planted reversal: a long rise that turns into a fall 20 days before the end.
            turn = a.days - 20
            cost = base * (1 + 0.01 * np.minimum(days, turn) - 0.04 * np.maximum(0, days - turn)) * weekly
            reversal = {"service": service, "turn_date": str(start + turn)}
        # Planted spikes: three days per service at 2.5x-4x, one of them on the last day for two services.
        picks = list(rng.choice(np.arange(30, a.days - 3), 3, replace=False))
        if s in (0, 5):
            picks.append(a.days - 1)
        for d in picks:
            cost[d] *= rng.uniform(2.5, 4.0)
            spikes.append({"service": service, "date": str(start + int(d))})
        shares = rng.dirichlet(np.ones(len(USAGE)))
        # The last service stopped two weeks ago: its missing days must count as zero.
        active = days[: a.days - 14] if s == len(SERVICES) - 1 else days
        for u, usage in enumerate(USAGE):
            rows["line_item_usage_start_date"] += [str(start + int(d)) for d in active]
            rows["product_servicename"] += [service] * len(active)
            rows["line_item_usage_type"] += [usage] * len(active)
            rows["line_item_unblended_cost"] += list(np.round(cost[active] * shares[u], 6))
    order = np.lexsort((rows["product_servicename"], rows["line_item_usage_start_date"]))
    table = pa.table({k: np.array(v)[order] for k, v in rows.items()})
    pacsv.write_csv(table, os.path.join(a.out, "daily_costs.csv"))
    with open(os.path.join(a.out, "truth.json"), "w") as f:
        json.dump({"seed": a.seed, "days": a.days, "spikes": spikes, "reversal": reversal}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
