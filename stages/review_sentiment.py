#!/usr/bin/env python3
"""Weir command stage `review_sentiment` (manifest: review_sentiment.yaml).

Scores each review with a small lexicon: every positive word counts +1 and every negative word
-1, a negation ("not", "never", "no", "n't") within the two words before a word flips it, and
"very"/"really"/"so" before a word doubles it. The score is the sum over the number of
sentiment words, in [-1, 1]; labels are positive / neutral / negative around ±neutral_band.
Reviews with no text get a null score and the label "empty".
"""
import json
import os
import re
import sys

try:
    import pyarrow as pa
    import pyarrow.ipc as ipc
except ImportError:
    sys.exit("review_sentiment needs pyarrow in the python3 on PATH (pip install pyarrow)")

POSITIVE = set("""
amazing awesome beautiful best comfortable delighted easy excellent fantastic fast fine fresh friendly good
great happy helpful impressed love loved lovely nice perfect pleased quality quick recommend reliable smooth
solid sturdy superb wonderful worth
""".split())
NEGATIVE = set("""
awful bad broke broken cheap damaged defective disappointed disappointing dirty expensive fake faulty flimsy
horrible late leaking missing poor refund return returned rude slow terrible useless waste worst wrong
""".split())
NEGATIONS = {"not", "never", "no", "nothing", "hardly"}
BOOSTERS = {"very", "really", "so", "extremely"}
WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")


def score(text):
    words = WORD.findall(text.lower())
    total, positive, negative, hits = 0.0, 0, 0, 0
    for i, word in enumerate(words):
        polarity = 1 if word in POSITIVE else -1 if word in NEGATIVE else 0
        if not polarity:
            continue
        before = words[max(0, i - 2):i]
        if any(w in NEGATIONS or w.endswith("n't") for w in before):
            polarity = -polarity
        weight = 2.0 if before and before[-1] in BOOSTERS else 1.0
        total += polarity * weight
        hits += weight
        if polarity > 0:
            positive += 1
        else:
            negative += 1
    return (total / hits if hits else 0.0), positive, negative


def main():
    params = json.loads(os.environ["WEIR_PARAMS"])
    band = float(params["neutral_band"])
    with ipc.open_file(os.environ["WEIR_INPUT_REVIEWS"]) as reader:
        reviews = reader.read_all()
    ids = reviews.column(params["id_column"]).to_pylist()
    texts = reviews.column(params["text_column"]).to_pylist()
    scores, labels, positives, negatives = [], [], [], []
    for text in texts:
        if not text or not text.strip():
            scores.append(None)
            labels.append("empty")
            positives.append(0)
            negatives.append(0)
            continue
        value, positive, negative = score(text)
        scores.append(value)
        labels.append("positive" if value > band else "negative" if value < -band else "neutral")
        positives.append(positive)
        negatives.append(negative)
    table = pa.table({
        params["id_column"]: pa.array(ids, pa.string()),
        "score": pa.array(scores, pa.float64()),
        "label": pa.array(labels, pa.string()),
        "positive_words": pa.array(positives, pa.int64()),
        "negative_words": pa.array(negatives, pa.int64()),
    })
    with ipc.new_file(os.environ["WEIR_OUTPUT_OUT"], table.schema) as writer:
        writer.write_table(table)
    print(f"scored {len(ids)} reviews", file=sys.stderr)


if __name__ == "__main__":
    main()
