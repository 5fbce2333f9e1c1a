"""Instacart-shaped data: aisles, departments, products, orders and order lines, with latent
customer groups (so segmentation finds real structure) and planted product pairs (so basket
analysis has rules to find). Deterministic by --seed; --scale 1 is the size of the real
dataset (206k users, 3.4M orders, ~32M order lines, ~50k products).

    python scripts/gen/instacart.py --scale 0.002 --out data/instacart

Writes aisles.csv, departments.csv, products.csv, orders.csv, order_products.csv and
truth.json (the groups and the planted pairs) with user_groups.csv (each user's group)."""
import argparse, json, os
import numpy as np
import pyarrow as pa, pyarrow.csv as pacsv

DEPARTMENTS = ["frozen", "other", "bakery", "produce", "alcohol", "international", "beverages",
               "pets", "dry goods pasta", "bulk", "personal care", "meat seafood", "pantry",
               "breakfast", "canned goods", "dairy eggs", "household", "babies", "snacks", "deli",
               "missing"]

AISLES = [  # (aisle, department), in Instacart's aisle_id order
    ("prepared soups salads", "deli"), ("specialty cheeses", "dairy eggs"), ("energy granola bars", "snacks"),
    ("instant foods", "dry goods pasta"), ("marinades meat preparation", "pantry"), ("other", "other"),
    ("packaged meat", "meat seafood"), ("bakery desserts", "bakery"), ("pasta sauce", "dry goods pasta"),
    ("kitchen supplies", "household"), ("cold flu allergy", "personal care"), ("fresh pasta", "deli"),
    ("prepared meals", "deli"), ("tofu meat alternatives", "deli"), ("packaged seafood", "meat seafood"),
    ("fresh herbs", "produce"), ("baking ingredients", "pantry"), ("bulk dried fruits vegetables", "bulk"),
    ("oils vinegars", "pantry"), ("oral hygiene", "personal care"), ("packaged cheese", "dairy eggs"),
    ("hair care", "personal care"), ("popcorn jerky", "snacks"), ("fresh fruits", "produce"),
    ("soap", "personal care"), ("coffee", "beverages"), ("beers coolers", "alcohol"), ("red wines", "alcohol"),
    ("honeys syrups nectars", "pantry"), ("latino foods", "international"), ("refrigerated", "beverages"),
    ("packaged produce", "produce"), ("kosher foods", "international"), ("frozen meat seafood", "frozen"),
    ("poultry counter", "meat seafood"), ("butter", "dairy eggs"), ("ice cream ice", "frozen"),
    ("frozen meals", "frozen"), ("seafood counter", "meat seafood"), ("dog food care", "pets"),
    ("cat food care", "pets"), ("frozen vegan vegetarian", "frozen"), ("buns rolls", "bakery"),
    ("eye ear care", "personal care"), ("candy chocolate", "snacks"), ("mint gum", "snacks"),
    ("vitamins supplements", "personal care"), ("breakfast bars pastries", "breakfast"),
    ("packaged poultry", "meat seafood"), ("fruit vegetable snacks", "snacks"),
    ("preserved dips spreads", "canned goods"), ("frozen breakfast", "frozen"), ("cream", "dairy eggs"),
    ("paper goods", "household"), ("shave needs", "personal care"), ("diapers wipes", "babies"),
    ("granola", "breakfast"), ("frozen breads doughs", "frozen"), ("canned meals beans", "canned goods"),
    ("trash bags liners", "household"), ("cookies cakes", "snacks"), ("white wines", "alcohol"),
    ("grains rice dried goods", "dry goods pasta"), ("energy sports drinks", "beverages"),
    ("protein meal replacements", "personal care"), ("asian foods", "international"),
    ("fresh dips tapenades", "deli"), ("bulk grains rice dried goods", "bulk"),
    ("soup broth bouillon", "canned goods"), ("digestion", "personal care"),
    ("refrigerated pudding desserts", "dairy eggs"), ("condiments", "pantry"), ("facial care", "personal care"),
    ("dish detergents", "household"), ("laundry", "household"), ("indian foods", "international"),
    ("soft drinks", "beverages"), ("crackers", "snacks"), ("frozen pizza", "frozen"),
    ("deodorants", "personal care"), ("canned jarred vegetables", "canned goods"),
    ("baby accessories", "babies"), ("fresh vegetables", "produce"), ("milk", "dairy eggs"),
    ("food storage", "household"), ("eggs", "dairy eggs"), ("more household", "household"),
    ("spreads", "pantry"), ("salad dressing toppings", "pantry"), ("cocoa drink mixes", "beverages"),
    ("soy lactosefree", "dairy eggs"), ("baby food formula", "babies"), ("breakfast bakery", "bakery"),
    ("tea", "beverages"), ("canned meat seafood", "canned goods"), ("lunch meat", "deli"),
    ("baking supplies decor", "pantry"), ("juice nectars", "beverages"),
    ("canned fruit applesauce", "canned goods"), ("missing", "missing"),
    ("air fresheners candles", "household"), ("baby bath body care", "babies"),
    ("ice cream toppings", "snacks"), ("spices seasonings", "pantry"),
    ("doughs gelatins bake mixes", "pantry"), ("hot dogs bacon sausage", "meat seafood"),
    ("chips pretzels", "snacks"), ("other creams cheeses", "dairy eggs"), ("skin care", "personal care"),
    ("pickled goods olives", "canned goods"), ("plates bowls cups flatware", "household"),
    ("bread", "bakery"), ("frozen juice", "frozen"), ("cleaning products", "household"),
    ("water seltzer sparkling water", "beverages"), ("frozen produce", "frozen"),
    ("nuts seeds dried fruit", "snacks"), ("first aid", "personal care"), ("frozen dessert", "frozen"),
    ("yogurt", "dairy eggs"), ("cereal", "breakfast"), ("meat counter", "meat seafood"),
    ("packaged vegetables fruits", "produce"), ("spirits", "alcohol"), ("trail mix snack mix", "snacks"),
    ("feminine care", "personal care"), ("body lotions soap", "personal care"), ("tortillas flat bread", "bakery"),
    ("frozen appetizers sides", "frozen"), ("hot cereal pancake mixes", "breakfast"),
    ("dry pasta", "dry goods pasta"), ("beauty", "personal care"), ("muscles joints pain relief", "personal care"),
    ("specialty wines champagnes", "alcohol"),
]
assert len(AISLES) == 134

# The best sellers, by aisle, most popular first; every other product gets a made-up name.
NAMED = {
    "fresh fruits": ["Banana", "Bag of Organic Bananas", "Organic Strawberries", "Limes", "Strawberries",
                     "Organic Raspberries", "Organic Hass Avocado", "Organic Avocado", "Organic Fuji Apple",
                     "Large Lemon", "Honeycrisp Apple", "Organic Blueberries", "Seedless Red Grapes",
                     "Organic Gala Apples", "Organic Lemon", "Apple Honeycrisp Organic", "Organic Navel Orange"],
    "fresh vegetables": ["Cucumber Kirby", "Organic Zucchini", "Organic Cucumber", "Yellow Onions", "Asparagus",
                         "Carrots", "Organic Yellow Onion", "Organic Baby Carrots", "Organic Garlic", "Red Peppers",
                         "Jalapeno Peppers", "Organic Red Onion", "Organic Tomato Cluster"],
    "fresh herbs": ["Organic Cilantro", "Organic Italian Parsley", "Fresh Ginger Root", "Organic Basil"],
    "packaged vegetables fruits": ["Organic Baby Spinach", "Organic Grape Tomatoes", "Organic Baby Arugula",
                                   "Organic Peeled Whole Baby Carrots", "Organic Spring Mix"],
    "milk": ["Organic Whole Milk", "Organic Reduced Fat Milk", "Organic Half & Half"],
    "water seltzer sparkling water": ["Sparkling Water Grapefruit", "Spring Water", "Lime Sparkling Water"],
    "yogurt": ["Organic Whole Milk Plain Yogurt", "Total 0% Greek Yogurt", "Icelandic Style Skyr Yogurt"],
    "eggs": ["Organic Large Brown Grade AA Cage Free Eggs", "Large Grade A Eggs"],
    "packaged cheese": ["Shredded Parmesan", "Organic Shredded Mild Cheddar"],
    "bread": ["100% Whole Wheat Bread", "Organic Sourdough Bread"],
    "chips pretzels": ["Original Potato Chips", "Sea Salt Tortilla Chips"],
    "soft drinks": ["Soda", "Zero Calorie Cola"],
    "beers coolers": ["IPA", "Mexican Lager"],
    "diapers wipes": ["Baby Wipes Sensitive", "Size 4 Diapers"],
}

# (A, B, P(B added | A in basket)): the pairs basket analysis should find at the top by lift.
PLANTED = [("Limes", "Large Lemon", 0.6), ("Organic Yellow Onion", "Organic Garlic", 0.6),
           ("Organic Cilantro", "Jalapeno Peppers", 0.6), ("Organic Raspberries", "Organic Blueberries", 0.6)]

# Latent customer groups: name, share of users, the aisles they favour.
GROUPS = [
    ("fresh cooks", 0.34, ["fresh vegetables", "fresh herbs", "fresh fruits", "packaged vegetables fruits",
                           "spices seasonings", "oils vinegars", "poultry counter", "meat counter"]),
    ("snackers", 0.24, ["chips pretzels", "soft drinks", "candy chocolate", "cookies cakes", "crackers",
                        "energy sports drinks", "ice cream ice", "frozen pizza", "popcorn jerky"]),
    ("breakfast families", 0.20, ["yogurt", "milk", "cereal", "eggs", "packaged cheese", "bread",
                                  "breakfast bakery", "juice nectars", "butter"]),
    ("baby and home", 0.12, ["diapers wipes", "baby food formula", "paper goods", "cleaning products",
                             "laundry", "dish detergents", "baby bath body care", "trash bags liners"]),
    ("party hosts", 0.10, ["beers coolers", "red wines", "white wines", "spirits", "specialty wines champagnes",
                           "chips pretzels", "fresh dips tapenades", "plates bowls cups flatware"]),
]

ADJECTIVES = ["Organic", "Classic", "Original", "Natural", "Family Size", "Light", "Spicy", "Unsweetened",
              "Gluten Free", "Low Sodium", "Whole Grain", "Sea Salt", "Vanilla", "Honey", "Roasted", "Fresh"]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=42)
    a = p.parse_args()
    rng = np.random.default_rng(a.seed)
    os.makedirs(a.out, exist_ok=True)
    write = lambda name, cols: pacsv.write_csv(pa.table(cols), os.path.join(a.out, name))

    aisle_names = [x for x, _ in AISLES]
    aisle_index = {x: i for i, x in enumerate(aisle_names)}
    write("departments.csv", {"department_id": np.arange(1, 22), "department": DEPARTMENTS})
    write("aisles.csv", {"aisle_id": np.arange(1, 135), "aisle": aisle_names})

    # Products: aisles get popularity weights (produce and dairy dominate, as in Instacart);
    # within an aisle, Zipf-like popularity with the named best sellers first.
    n_products = max(3000, int(round(49688 * min(a.scale, 1.0) ** 0.5))) if a.scale < 1 else 49688
    aisle_weight = rng.gamma(0.8, 1.0, 134)
    for name, w in [("fresh fruits", 40), ("fresh vegetables", 38), ("packaged vegetables fruits", 20),
                    ("yogurt", 10), ("packaged cheese", 7), ("milk", 6), ("water seltzer sparkling water", 6),
                    ("chips pretzels", 5), ("fresh herbs", 4), ("missing", 0.05), ("other", 0.1)]:
        aisle_weight[aisle_index[name]] = w
    aisle_weight /= aisle_weight.sum()
    per_aisle = np.maximum(5, np.round(aisle_weight ** 0.5 / (aisle_weight ** 0.5).sum() * n_products)).astype(int)
    product_aisle = np.repeat(np.arange(134), per_aisle)
    n_products = len(product_aisle)
    product_ids = np.arange(1, n_products + 1)
    names, within = [], np.empty(n_products)
    start = 0
    for ai, count in enumerate(per_aisle):
        named = NAMED.get(aisle_names[ai], [])
        for j in range(count):
            if j < len(named):
                names.append(named[j])
            else:
                names.append(f"{ADJECTIVES[(j * 7 + ai) % len(ADJECTIVES)]} {aisle_names[ai].title()} #{j + 1}")
        w = 1.0 / np.arange(1, count + 1) ** 1.1
        within[start:start + count] = np.cumsum(w) / w.sum()
        start += count
    # keys[p] = aisle + cumulative share within the aisle: one searchsorted picks a product.
    keys = product_aisle + within
    write("products.csv", {"product_id": product_ids, "product_name": names,
                           "aisle_id": product_aisle + 1,
                           "department_id": np.array([DEPARTMENTS.index(AISLES[x][1]) + 1 for x in product_aisle])})
    by_name = {n: i for i, n in enumerate(names)}

    # Users and orders.
    n_users = max(50, int(round(206_209 * a.scale)))
    shares = np.array([g[1] for g in GROUPS])
    group = rng.choice(len(GROUPS), n_users, p=shares / shares.sum())
    n_orders_user = np.minimum(100, 4 + rng.negative_binomial(2, 2 / (2 + 12.5), n_users))
    n_orders = int(n_orders_user.sum())
    order_user = np.repeat(np.arange(n_users), n_orders_user)
    order_ids = np.arange(1, n_orders + 1)
    first = np.r_[0, np.cumsum(n_orders_user)[:-1]]
    order_number = np.arange(n_orders) - np.repeat(first, n_orders_user) + 1
    days = rng.integers(1, 31, n_orders).astype(float)
    days[first] = np.nan
    eval_set = np.full(n_orders, "prior", dtype=object)
    last = first + n_orders_user - 1
    eval_set[last] = np.where(rng.random(n_users) < 0.66, "train", "test")
    write("orders.csv", {"order_id": order_ids, "user_id": order_user + 1, "eval_set": eval_set.astype(str),
                         "order_number": order_number, "order_dow": rng.integers(0, 7, n_orders),
                         "order_hour_of_day": np.clip(np.round(rng.normal(13.5, 4, n_orders)), 0, 23).astype(int),
                         "days_since_prior_order": pa.array(days, mask=np.isnan(days))})

    # Order lines: aisle from the user's group mix (a shared base plus the group's favourites),
    # product by popularity within the aisle, then the planted companions, then no repeats.
    sizes = rng.poisson(9.0, n_orders) + 1
    line_order = np.repeat(np.arange(n_orders), sizes)
    line_group = group[order_user[line_order]]
    aisle = np.empty(len(line_order), dtype=np.int64)
    for g, (_, _, favourites) in enumerate(GROUPS):
        mix = aisle_weight.copy()
        fav = np.zeros(134)
        fav[[aisle_index[x] for x in favourites]] = 1.0
        mix = 0.45 * mix + 0.55 * fav / fav.sum()
        idx = np.flatnonzero(line_group == g)
        aisle[idx] = np.searchsorted(np.cumsum(mix) / mix.sum(), rng.random(len(idx)), side="right")
    aisle = np.minimum(aisle, 133)
    product = np.searchsorted(keys, aisle + rng.random(len(aisle)) * (1 - 1e-12), side="right")
    product = np.minimum(product, n_products - 1)
    extra_orders, extra_products = [], []
    for a_name, b_name, prob in PLANTED:
        hit = np.flatnonzero((product == by_name[a_name]) & (rng.random(len(product)) < prob))
        extra_orders.append(line_order[hit])
        extra_products.append(np.full(len(hit), by_name[b_name]))
    line_order = np.concatenate([line_order] + extra_orders)
    product = np.concatenate([product] + extra_products)
    pair = np.unique(line_order.astype(np.int64) << 17 | product)
    line_order, product = pair >> 17, pair & ((1 << 17) - 1)
    order = np.lexsort((rng.random(len(pair)), line_order))   # a random cart order within each order
    line_order, product = line_order[order], product[order]
    starts = np.r_[0, np.flatnonzero(np.diff(line_order)) + 1]
    counts = np.diff(np.r_[starts, len(line_order)])
    cart = np.arange(len(line_order)) - np.repeat(starts, counts) + 1
    write("order_products.csv", {"order_id": line_order + 1, "product_id": product + 1,
                                 "add_to_cart_order": cart,
                                 "reordered": (rng.random(len(line_order)) < 0.59).astype(np.int64)})

    write("user_groups.csv", {"user_id": np.arange(1, n_users + 1), "group": group})
    with open(os.path.join(a.out, "truth.json"), "w") as f:
        json.dump({"seed": a.seed, "scale": a.scale, "users": n_users, "orders": n_orders,
                   "order_lines": int(len(line_order)), "products": n_products,
                   "groups": [{"group": g[0], "share": g[1], "aisles": g[2],
                               "users": int((group == i).sum())} for i, g in enumerate(GROUPS)],
                   "planted_pairs": [{"a": x, "b": y, "p": p} for x, y, p in PLANTED]}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
