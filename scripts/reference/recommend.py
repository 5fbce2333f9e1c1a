"""References for the recommend and evaluate stages.

    python recommend.py metrics RECS.csv TRUTH.csv K
        RECS.csv: user,item,rank; TRUTH.csv: user,item. Prints the overall metrics as JSON,
        computed here with pandas and numpy from the textbook definitions (binary relevance;
        every truth user counts, one without recommendations scores 0).
    python recommend.py als TRAIN.csv TEST.csv FACTORS ITERATIONS
        Fits implicit's AlternatingLeastSquares (CPU, float32, alpha 1, regularization 0.01) on
        TRAIN (user,item lines, counts as weights) with seeds 0 to 4, recommends 10 unseen
        items per user, and prints JSON: NDCG@10 against TEST per seed and each seed's lists.
    python recommend.py bm25 TRAIN.csv K K1 B
        implicit's BM25Recommender on TRAIN (counts as weights): each item's K most similar other
        items with their scores, as JSON {item: [[similar, score], ...]}.
"""
import json, sys
import numpy as np
import pandas as pd


def metrics(recs, truth, k):
    recs = recs.sort_values(["user", "rank"], kind="stable").groupby("user").head(k)
    lists = recs.groupby("user")["item"].apply(list).to_dict()
    wanted = truth.groupby("user")["item"].apply(set).to_dict()
    out = {"precision": [], "recall": [], "ndcg": [], "map": [], "hit_rate": []}
    for user, items in wanted.items():
        ranked = lists.get(user, [])[:k]
        rel = np.array([1.0 if item in items else 0.0 for item in ranked])
        hits = rel.sum()
        discounts = 1.0 / np.log2(np.arange(2, len(rel) + 2))
        ideal = (1.0 / np.log2(np.arange(2, min(k, len(items)) + 2))).sum()
        precision_at = np.cumsum(rel) / np.arange(1, len(rel) + 1) if len(rel) else np.array([])
        out["precision"].append(hits / k)
        out["recall"].append(hits / len(items))
        out["ndcg"].append(float((rel * discounts).sum() / ideal))
        out["map"].append(float((precision_at * rel).sum() / min(k, len(items))))
        out["hit_rate"].append(1.0 if hits > 0 else 0.0)
    result = {name: float(np.mean(values)) for name, values in out.items()}
    evaluated = recs[recs.user.isin(wanted.keys())]
    catalogue = set(truth.item) | set(recs.item)
    result["coverage"] = len(set(evaluated.item)) / len(catalogue)
    return result


def als(train, test, factors, iterations):
    import scipy.sparse as sp
    from implicit.als import AlternatingLeastSquares
    users = np.sort(train.user.unique()); items = np.sort(train.item.unique())
    u = np.searchsorted(users, train.user); i = np.searchsorted(items, train.item)
    matrix = sp.csr_matrix((np.ones(len(train), dtype=np.float32), (u, i)), shape=(len(users), len(items)))
    matrix.sum_duplicates()
    truth = test.groupby("user")["item"].apply(set).to_dict()
    result = {}
    for seed in range(5):
        model = AlternatingLeastSquares(factors=factors, iterations=iterations, regularization=0.01, alpha=1.0,
                                        random_state=seed, num_threads=1)
        model.fit(matrix, show_progress=False)
        ids, _ = model.recommend(np.arange(len(users)), matrix, N=10, filter_already_liked_items=True)
        lists = {str(users[row]): [str(items[c]) for c in ids[row] if c >= 0] for row in range(len(users))}
        ndcg = []
        for user, items_wanted in truth.items():
            ranked = lists.get(str(user), [])
            rel = np.array([1.0 if item in items_wanted else 0.0 for item in ranked])
            ideal = (1.0 / np.log2(np.arange(2, min(10, len(items_wanted)) + 2))).sum()
            ndcg.append(float((rel / np.log2(np.arange(2, len(rel) + 2))).sum() / ideal))
        result[f"seed{seed}"] = {"ndcg": float(np.mean(ndcg)), "lists": lists}
    return result


def bm25(train, k, k1, b):
    import scipy.sparse as sp
    from implicit.nearest_neighbours import BM25Recommender
    users = np.sort(train.user.unique()); items = np.sort(train.item.unique())
    u = np.searchsorted(users, train.user); i = np.searchsorted(items, train.item)
    matrix = sp.csr_matrix((np.ones(len(train), dtype=np.float64), (u, i)), shape=(len(users), len(items)))
    matrix.sum_duplicates()
    model = BM25Recommender(K=k + 1, K1=k1, B=b, num_threads=1)
    model.fit(matrix, show_progress=False)
    similarity = model.similarity.tocsr()
    result = {}
    for row in range(len(items)):
        start, end = similarity.indptr[row], similarity.indptr[row + 1]
        pairs = [(str(items[c]), float(v)) for c, v in zip(similarity.indices[start:end], similarity.data[start:end]) if c != row]
        result[str(items[row])] = sorted(pairs, key=lambda p: -p[1])[:k]
    return result


if __name__ == "__main__":
    mode = sys.argv[1]
    read = lambda path: pd.read_csv(path, dtype={"user": str, "item": str}, keep_default_na=False)
    if mode == "metrics":
        print(json.dumps(metrics(read(sys.argv[2]), read(sys.argv[3]), int(sys.argv[4]))))
    elif mode == "bm25":
        print(json.dumps(bm25(read(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]))))
    else:
        test = read(sys.argv[3])
        test["item"] = test["item"].astype(str)
        print(json.dumps(als(read(sys.argv[2]), test, int(sys.argv[4]), int(sys.argv[5]))))
