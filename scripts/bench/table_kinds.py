"""The column types a CSV reader produced, in Weir's words (int, float, string, timestamp,
bool), so readers can be compared on the same output. Imported by the parent bench and by
each timed reader process, after the clock stops."""


def kinds(table):
    """Per column: pandas DataFrame, polars DataFrame or pyarrow Table."""
    library = type(table).__module__.split(".")[0]
    if library == "pandas":
        return [{"i": "int", "u": "int", "f": "float", "M": "timestamp", "b": "bool"}.get(d.kind, "string") for d in table.dtypes]
    if library == "polars":
        return ["timestamp" if d.is_temporal() else "int" if d.is_integer() else "float" if d.is_float()
                else "bool" if str(d) == "Boolean" else "string" for d in table.dtypes]
    return [arrow_kind(f.type) for f in table.schema]


def arrow_kind(arrow_type):
    import pyarrow as pa
    if pa.types.is_integer(arrow_type): return "int"
    if pa.types.is_floating(arrow_type): return "float"
    if pa.types.is_timestamp(arrow_type): return "timestamp"
    if pa.types.is_boolean(arrow_type): return "bool"
    return "string"
