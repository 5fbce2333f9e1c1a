"""Times Weir's sql stage (stage seconds from `weir run --json`, best of --repeat, inputs
already extracted) against DuckDB from Python on pyarrow tables in memory and polars, on the
same data; checks that the results agree."""
import json, os, shutil, subprocess, tempfile
import numpy as np, pyarrow as pa, pyarrow.csv as pacsv, pyarrow.ipc as ipc
import duckdb, polars as pl
from benchlib import arguments, best, weir_stage

QUERIES = {
    "by_product": """
        SELECT product_id, count(*) AS lines, sum(reordered) AS reorders, avg(add_to_cart_order) AS mean_position
        FROM lines GROUP BY product_id""",
    "by_aisle": """
        SELECT p.aisle_id, count(*) AS lines, sum(l.reordered) AS reorders
        FROM lines l JOIN products p USING (product_id) GROUP BY p.aisle_id""",
    "rank_in_aisle": """
        SELECT aisle_id, product_id, lines,
               rank() OVER (PARTITION BY aisle_id ORDER BY lines DESC, product_id) AS rank
        FROM (SELECT p.aisle_id, l.product_id, count(*) AS lines
              FROM lines l JOIN products p USING (product_id) GROUP BY p.aisle_id, l.product_id)""",
}
KEYS = {"by_product": ["product_id"], "by_aisle": ["aisle_id"], "rank_in_aisle": ["aisle_id", "product_id"]}
DESCRIPTIONS = {"by_product": "group-by per product (count, sum, avg)", "by_aisle": "join products, group-by aisle",
                "rank_in_aisle": "window: rank of products per aisle"}


def pipeline_text(data, out):
    stages = [f"  lines: {{ type: extract.csv, path: {data}/order_products.csv }}",
              f"  products: {{ type: extract.csv, path: {data}/products.csv }}"]
    for name, query in QUERIES.items():
        inputs = "[lines]" if name == "by_product" else "[lines, products]"
        stages.append(f"  {name}:\n    type: sql\n    inputs: {inputs}\n    query: |\n" +
                      "\n".join("      " + line.strip() for line in query.strip().splitlines()))
        stages.append(f"  {name}_file: {{ type: load.arrow, input: {name}, path: {out}/{name}.arrow }}")
    return "stages:\n" + "\n".join(stages) + "\n"


def polars_queries(lines, products):
    joined = lambda: lines.lazy().join(products.lazy().select("product_id", "aisle_id"), on="product_id")
    return {
        "by_product": lambda: lines.lazy().group_by("product_id").agg(
            pl.len().alias("lines"), pl.col("reordered").sum().alias("reorders"),
            pl.col("add_to_cart_order").mean().alias("mean_position")).collect(),
        "by_aisle": lambda: joined().group_by("aisle_id").agg(pl.len().alias("lines"), pl.col("reordered").sum().alias("reorders")).collect(),
        "rank_in_aisle": lambda: joined().group_by("aisle_id", "product_id").agg(pl.len().alias("lines"))
            .sort(["aisle_id", "lines", "product_id"], descending=[False, True, False])
            .with_columns(pl.int_range(1, pl.len() + 1).over("aisle_id").alias("rank")).collect(),
    }


def same(name, weir, reference):
    """Equal after sorting by the keys; floats to 1e-9 relative (sums may differ in the last bits)."""
    keys = KEYS[name]
    a = weir.sort_by([(k, "ascending") for k in keys])
    b = reference.sort_by([(k, "ascending") for k in keys])
    if a.num_rows != b.num_rows:
        return f"{a.num_rows} rows vs {b.num_rows}"
    for column in a.column_names:
        x, y = a[column].to_numpy(), b[column].to_numpy()
        ok = np.allclose(x, y, rtol=1e-9, atol=0) if x.dtype.kind == "f" or y.dtype.kind == "f" else np.array_equal(x, y)
        if not ok:
            return f"column {column} differs"
    return None


def main():
    ap = arguments()
    ap.add_argument("--baseline", help="another weir binary to time on the same stages (e.g. the SQLite-backed build)")
    a = ap.parse_args()
    data = os.path.abspath(a.data)
    work = tempfile.mkdtemp(prefix="weir-bench-sql-")
    out = os.path.join(work, "out")
    os.makedirs(out)
    pipeline = os.path.join(work, "sql.yaml")
    with open(pipeline, "w") as f:
        f.write(pipeline_text(data, out))

    def weir_times(binary, state, repeat):
        subprocess.run([binary, "run", pipeline, "--state-dir", state], check=True, capture_output=True)
        return {name: min(weir_stage(binary, pipeline, state, name)[0] for _ in range(repeat)) for name in QUERIES}

    weir = weir_times(a.weir, os.path.join(work, "state"), a.repeat)
    results = {name: ipc.open_file(f"{out}/{name}.arrow").read_all() for name in QUERIES}
    baseline = weir_times(a.baseline, os.path.join(work, "baseline"), 1) if a.baseline else None
    shutil.rmtree(work)

    lines = pacsv.read_csv(f"{data}/order_products.csv")
    products = pacsv.read_csv(f"{data}/products.csv")
    print(f"cores: {os.cpu_count()}; {lines.num_rows:,} order lines, {products.num_rows:,} products; duckdb {duckdb.__version__}, polars {pl.__version__}")
    con = duckdb.connect()
    con.register("lines", lines)
    con.register("products", products)
    duck, duck_results = {}, {}
    for name, query in QUERIES.items():
        duck[name], duck_results[name] = best(lambda: con.execute(query).to_arrow_table(), a.repeat)
    pl_lines, pl_products = pl.from_arrow(lines), pl.from_arrow(products)
    polars = {name: best(fn, a.repeat)[0] for name, fn in polars_queries(pl_lines, pl_products).items()}

    print(f"{'query':<40}{'weir s':>8}{'duckdb s':>10}{'polars s':>10}{'weir/duckdb':>13}{'weir/polars':>13}"
          + (f"{'old weir s':>12}{'speed-up':>10}" if baseline else ""))
    failed = False
    for name in QUERIES:
        line = (f"{DESCRIPTIONS[name]:<40}{weir[name]:>8.3f}{duck[name]:>10.3f}{polars[name]:>10.3f}"
                f"{weir[name] / duck[name]:>13.2f}{weir[name] / polars[name]:>13.2f}")
        if baseline:
            line += f"{baseline[name]:>12.2f}{baseline[name] / weir[name]:>9.1f}x"
        print(line)
        problem = same(name, results[name], duck_results[name])
        if problem:
            failed = True
            print(f"  RESULTS DIFFER from DuckDB's: {problem}")
    print("results: " + ("DIFFER" if failed else f"equal to DuckDB's for all {len(QUERIES)} queries"))
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
