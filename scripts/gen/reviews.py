"""Product reviews like those seed 004's review intelligence reads: one row per review with
its product, star rating, text and time. The text follows the rating (praise for 4-5 stars,
complaints for 1-2, mixed for 3) with negations ("not bad", "never arrived"), a few empty
reviews and a few in which text and rating disagree. Stdlib only; deterministic by --seed.

    python scripts/gen/reviews.py --rows 3000 --out data/reviews/reviews.csv
"""
import argparse
import csv
import os
import random
from datetime import datetime, timedelta, timezone

PRAISE = ["great quality", "love it", "arrived fast", "works perfect", "very comfortable", "really happy with it",
          "excellent value", "would recommend", "sturdy and solid", "looks beautiful", "easy to set up",
          "not bad at all", "nothing to complain about"]
COMPLAINTS = ["broke after a week", "terrible quality", "arrived late", "item was damaged", "very disappointed",
              "cheap and flimsy", "not good", "never works properly", "wrong size sent", "waste of money",
              "asked for a refund", "seller was rude", "not worth the price"]
NEUTRAL = ["it is ok", "does the job", "as described", "average product", "arrived on tuesday", "the box was blue"]
PRODUCTS = [f"p{i:04d}" for i in range(120)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--out", default="data/reviews/reviews.csv")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    # Some products are simply better than others.
    quality = {p: rng.betavariate(4, 2) for p in PRODUCTS}
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    with open(args.out, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["review_id", "product_id", "customer_id", "rating", "review_text", "created_at"])
        for i in range(args.rows):
            product = rng.choice(PRODUCTS)
            rating = max(1, min(5, round(1 + 4 * quality[product] + rng.gauss(0, 0.9))))
            if rng.random() < 0.03:
                text = ""
            else:
                mood = rating if rng.random() > 0.05 else 6 - rating  # text and stars disagree now and then
                pool = PRAISE if mood >= 4 else COMPLAINTS if mood <= 2 else PRAISE + COMPLAINTS + NEUTRAL * 2
                text = ", ".join(rng.sample(pool, rng.randint(1, 3)))
                text = text[0].upper() + text[1:] + rng.choice([".", "!", "", "..."])
            when = start + timedelta(minutes=rng.randint(0, 60 * 24 * 365))
            writer.writerow([f"r{i:06d}", product, f"c{rng.randint(0, 1999):05d}", rating, text,
                             when.strftime("%Y-%m-%dT%H:%M:%SZ")])


if __name__ == "__main__":
    main()
