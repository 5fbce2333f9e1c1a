"""Reference for the pca_kmeans and pivot stages: scikit-learn and pandas on the same data.

    python segments.py pca FEATURES.csv '{"components": 5, "k": 4, "n_init": 10, "standardize": false,
                                          "labels": [...], "k_range": [2, 10]}'
    python segments.py pivot LINES.csv '{"row": "u", "column": "a", "value": null, "agg": "count"}'

pca: FEATURES.csv has an `id` column then the features. Prints the explained variance ratios,
the components, KMeans' best inertia, the adjusted Rand index between KMeans' labels and the
given `labels`, and (with k_range) the inertia per k and kneed's elbow.
pivot: prints pandas pivot_table(fill_value=0) as {"rows": [...], "columns": [...], "cells": [[...]]}."""
import json, sys
import numpy as np, pandas as pd

mode, path, params = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
if mode == "affinity":
    df = pd.read_csv(path, dtype={"segment": str, "category": str}, keep_default_na=False)
    weight = df[params["value"]] if params.get("value") else pd.Series(1.0, index=df.index)
    purchases = df.assign(w=weight).pivot_table(index="segment", columns="category", values="w", aggfunc="sum", fill_value=0)
    share = purchases.div(purchases.sum(axis=1), axis=0)
    overall = purchases.sum(axis=0) / purchases.to_numpy().sum()
    lift = share / overall
    rows = [{"segment": s, "category": c, "purchases": float(purchases.loc[s, c]), "share": float(share.loc[s, c]),
             "overall_share": float(overall[c]), "lift": float(lift.loc[s, c])} for s in purchases.index for c in purchases.columns]
    print(json.dumps(rows))
    sys.exit()
if mode == "cohort":
    df = pd.read_csv(path, dtype={"customer": str}, keep_default_na=False)
    ts = pd.to_datetime(df["timestamp"], utc=True, format="ISO8601").dt.tz_localize(None)
    df["month"] = ts.dt.to_period("M")
    df["cohort"] = df.groupby("customer")["month"].transform("min")
    df["months_since"] = (df["month"] - df["cohort"]).apply(lambda d: d.n)
    active = df.groupby(["cohort", "months_since"])["customer"].nunique()
    size = df.groupby("cohort")["customer"].nunique()
    rows = [{"cohort": str(c.start_time.date()), "months_since": int(m), "customers": int(n), "cohort_size": int(size[c]),
             "retention": float(n / size[c])} for (c, m), n in active.items()]
    print(json.dumps(rows))
    sys.exit()
if mode == "pivot":
    df = pd.read_csv(path)
    agg = {"count": "size", "sum": "sum", "mean": "mean"}[params["agg"]]
    values = params.get("value")
    if values is None:
        table = df.pivot_table(index=params["row"], columns=params["column"], aggfunc="size", fill_value=0)
    else:
        table = df.pivot_table(index=params["row"], columns=params["column"], values=values, aggfunc=agg, fill_value=0)
    print(json.dumps({"rows": [str(x) for x in table.index], "columns": [str(x) for x in table.columns],
                      "cells": table.to_numpy(dtype=float).tolist()}))
    sys.exit()

from sklearn.decomposition import PCA
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score
from sklearn.preprocessing import StandardScaler

df = pd.read_csv(path)
x = df.drop(columns=["id"]).to_numpy(dtype=float)
if params.get("standardize"):
    x = StandardScaler().fit_transform(x)
pca = PCA(n_components=params["components"])
scores = pca.fit_transform(x)
out = {"solver": pca._fit_svd_solver, "explained_variance_ratio": pca.explained_variance_ratio_.tolist(),
       "components": pca.components_.tolist()}
km = KMeans(n_clusters=params["k"], n_init=params.get("n_init", 10), random_state=0).fit(scores)
out["inertia"] = float(km.inertia_)
if "labels" in params:
    out["ari"] = float(adjusted_rand_score(km.labels_, params["labels"]))
if "k_range" in params:
    from kneed import KneeLocator
    low, high = params["k_range"]
    ks = list(range(low, high + 1))
    inertias = [float(KMeans(n_clusters=k, n_init=params.get("n_init", 10), random_state=0).fit(scores).inertia_) for k in ks]
    out["elbow"] = {"k": ks, "inertia": inertias,
                    "knee": (lambda k: None if k is None else int(k))(KneeLocator(ks, inertias, curve="convex", direction="decreasing").knee)}
    if "inertias" in params:
        # kneed on the caller's own inertia curve, to check the elbow rule itself
        knee = KneeLocator(ks, params["inertias"], curve="convex", direction="decreasing").knee
        out["knee_of_given"] = None if knee is None else int(knee)
print(json.dumps(out))
