"""Reference for the rfm stage: pandas, as seed 001's notebook computes RFM.

    python rfm.py LINES.csv '{"order": true, "monetary": "sum", "as_of": null}'

LINES.csv has columns customer,order,timestamp,amount (customer and order read as strings,
timestamp ISO 8601). Prints JSON rows: customer, recency_days, frequency, monetary, r, f, m."""
import json, sys
import pandas as pd

path, params = sys.argv[1], json.loads(sys.argv[2])
df = pd.read_csv(path, dtype={"customer": str, "order": str}, keep_default_na=False)
df["timestamp"] = pd.to_datetime(df["timestamp"], utc=True, format="ISO8601")
as_of = pd.Timestamp(params["as_of"], tz="UTC") if params.get("as_of") else df.timestamp.max() + pd.Timedelta(days=1)
g = df.groupby("customer")
frequency = g["order"].nunique() if params.get("order") else g["timestamp"].apply(lambda s: s.dt.floor("D").nunique())
monetary = g["amount"].mean() if params.get("monetary") == "mean" else g["amount"].sum()
rfm = pd.DataFrame({"recency_days": (as_of - g["timestamp"].max()).dt.days, "frequency": frequency, "monetary": monetary})
if params.get("scoring") == "minmax":
    span = lambda s: (s.max() - s.min()) or float("nan")
    rfm["r"] = ((rfm.recency_days.max() - rfm.recency_days) / span(rfm.recency_days) * 5).fillna(0)
    rfm["f"] = ((rfm.frequency - rfm.frequency.min()) / span(rfm.frequency) * 5).fillna(0)
    rfm["m"] = ((rfm.monetary - rfm.monetary.min()) / span(rfm.monetary) * 5).fillna(0)
else:
    rfm["r"] = pd.qcut(rfm.recency_days.rank(method="first"), 5, labels=[5, 4, 3, 2, 1]).astype(int)
    rfm["f"] = pd.qcut(rfm.frequency.rank(method="first"), 5, labels=[1, 2, 3, 4, 5]).astype(int)
    rfm["m"] = pd.qcut(rfm.monetary.rank(method="first"), 5, labels=[1, 2, 3, 4, 5]).astype(int)
rows = [{"customer": c, "recency_days": int(r.recency_days), "frequency": int(r.frequency), "monetary": float(r.monetary),
         "r": float(r.r), "f": float(r.f), "m": float(r.m)} for c, r in rfm.iterrows()]
print(json.dumps(rows))
