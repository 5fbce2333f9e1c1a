"""Reference for the apriori stage: mlxtend on the same lines, as a user would run it.

    python apriori.py LINES.csv '{"min_support": 0.01, "top_items": 100, ...}'

LINES.csv has columns basket,item (item read as a string). Prints JSON: itemsets as
{items, support, length} and rules as {antecedents, consequents, metrics: [support, confidence,
lift, leverage, conviction (null when infinite)]}, itemsets written as the stage writes them (sorted, `|`-joined)."""
import json, math, sys
import pandas as pd
from mlxtend.frequent_patterns import apriori, association_rules
from mlxtend.preprocessing import TransactionEncoder

path, params = sys.argv[1], json.loads(sys.argv[2])
lines = pd.read_csv(path, dtype={"basket": str, "item": str}, keep_default_na=False)
if "top_items" in params:
    counts = lines.drop_duplicates().groupby("item").basket.nunique()
    key = counts.index.map(int) if params.get("numeric_items") else counts.index
    ranked = pd.DataFrame({"n": counts.values, "key": key}, index=counts.index).sort_values(["n", "key"], ascending=[False, True])
    lines = lines[lines.item.isin(ranked.index[: params["top_items"]])]
baskets = lines.groupby("basket").item.apply(list)
encoder = TransactionEncoder()
onehot = pd.DataFrame(encoder.fit(baskets).transform(baskets), columns=encoder.columns_)
itemsets = apriori(onehot, min_support=params["min_support"], use_colnames=True, max_len=params.get("max_len"))

def name(s):
    return "|".join(x.replace("|", "\\|") for x in sorted(s))

def num(x):
    return None if math.isinf(x) else x   # infinite conviction

out = {"baskets": len(onehot),
       "itemsets": [{"items": name(s), "support": v, "length": len(s)} for s, v in zip(itemsets.itemsets, itemsets.support)]}
if len(itemsets):
    rules = association_rules(itemsets, metric=params.get("metric", "lift"), min_threshold=params.get("min_threshold", 1.0))
    out["rules"] = [{"antecedents": name(r.antecedents), "consequents": name(r.consequents),
                     "metrics": [r.support, r.confidence, r.lift, r.leverage, num(r.conviction)]}
                    for r in rules.itertuples()]
else:
    out["rules"] = []
print(json.dumps(out))
