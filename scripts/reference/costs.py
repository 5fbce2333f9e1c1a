"""Reference for cost.spikes, cost.trend and cost.totals: pandas on the same daily costs.

    python costs.py MODE COSTS.csv '{"date": ..., "group": ..., "value": ..., "window": 365, ...}'

MODE is spikes, trend or totals. Rows of the same day and group are added; every group gets
every day from the first date to the last (missing days 0), as the stages do. Prints JSON."""
import json, math, sys
import numpy as np, pandas as pd

mode, path, p = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
df = pd.read_csv(path, keep_default_na=False)
df[p["date"]] = pd.to_datetime(df[p["date"]])
wide = df.pivot_table(index=p["date"], columns=p["group"], values=p["value"], aggfunc="sum", fill_value=0.0)
wide = wide.reindex(pd.date_range(wide.index.min(), wide.index.max(), freq="D"), fill_value=0.0)

def num(x):
    return None if x is None or (isinstance(x, float) and (math.isnan(x) or math.isinf(x))) else float(x)

rows = []
if mode == "spikes":
    window, history, threshold = p.get("window", 365), p.get("min_history", 14), p.get("threshold", 1.0)
    for g in wide.columns:
        s = wide[g]
        mean = s.rolling(window, min_periods=history).mean().shift(1)
        std = s.rolling(window, min_periods=history).std().shift(1)
        z = ((s - mean) / std).where(std > 0)
        for d in s.index:
            rows.append({"date": str(d.date()), "group": g, "value": float(s[d]), "mean": num(mean[d]), "std": num(std[d]),
                         "z": num(z[d]), "flagged": bool(z[d] > threshold) if not math.isnan(z[d]) else False})
elif mode == "trend":
    for g in wide.columns:
        s = wide[g]
        fast = s.ewm(span=p.get("fast", 12), adjust=False).mean()
        slow = s.ewm(span=p.get("slow", 26), adjust=False).mean()
        macd = fast - slow
        signal = macd.ewm(span=p.get("signal", 9), adjust=False).mean()
        sign = np.sign(macd - signal)
        for i, d in enumerate(s.index):
            cross = None
            if i > 0 and sign.iloc[i] != sign.iloc[i - 1]:
                cross = "up" if sign.iloc[i] > sign.iloc[i - 1] else "down"
            rows.append({"date": str(d.date()), "group": g, "ema_fast": fast[d], "ema_slow": slow[d], "macd": macd[d],
                         "signal": signal[d], "cross": cross})
elif mode == "totals":
    total = wide.sum(axis=1)
    dod, wow = total.diff(1), total.diff(7)
    dod_pct, wow_pct = total.pct_change(1) * 100, total.pct_change(7) * 100
    daily = [{"date": str(d.date()), "total": float(total[d]), "dod_change": num(dod[d]), "dod_pct": num(dod_pct[d]),
              "wow_change": num(wow[d]), "wow_pct": num(wow_pct[d])} for d in total.index]
    last = wide.index.max()
    month = wide[wide.index >= last.replace(day=1)]
    rows = {"daily": daily, "month": last.strftime("%Y-%m"), "mtd": {g: float(month[g].sum()) for g in wide.columns}}
print(json.dumps(rows))
