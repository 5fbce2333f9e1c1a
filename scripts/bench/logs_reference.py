"""A straightforward Python implementation of Weir's log extraction (extract.logs +
logs.transactions), as a data engineer would write it after seed 002's data_staging.py: read
each file, split it into invocations on START/END lines and into messages on "Processing
message", find each `transaction: { ... }` object by matching braces, and read its fields with
a small tokenizer (no eval, no ast). Rows go to a pandas DataFrame.

    python scripts/bench/logs_reference.py FILE_OR_GLOB...   # prints a JSON summary
"""
import glob, gzip, json, re, sys

import pandas as pd

LINE = re.compile(r"^(\d{4}-\d\d-\d\dT[\d:.]+Z) (?:(\d{4}-\d\d-\d\dT[\d:.]+Z)\t([^\t]+)\t([A-Z]+)\t)?(.*)$", re.M)
START = re.compile(r"START RequestId: (\S+)")
END = re.compile(r"END RequestId: (\S+)")
TIMEOUT = re.compile(r"^(\S+) Task timed out after")
OUT_OF_SYNC = re.compile(r"(?i)out of sync|not in sync|mismatch")
TOKEN = re.compile(r"""\s*(?:((?:true|false|null|undefined|NaN)\b|-?[\d.][\d.eE+-]*)|([A-Za-z_$][\w$]*)|'((?:[^'\\\n]|\\.)*)'|"((?:[^"\\\n]|\\.)*)"|([{}\[\],:]))""")
NUMBERS = {"paymentBalance", "amount", "vat", "oldBalance", "newBalance"}
FIELDS = ["id", "type", "source", "action", "userId", "paymentBalance", "updatePaymentBalance", "currency",
          "amount", "vat", "oldBalance", "newBalance", "metadata"]


def unescape(s):
    return s.encode("utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8") if "\\" in s else s


def parse_object(text, i):
    """Parses the object literal at text[i] == '{'; returns (dict, end)."""
    def value(i):
        m = TOKEN.match(text, i)
        if not m:
            raise ValueError("bad value at %d" % i)
        scalar, word, single, double, punct = m.groups()
        if punct == "{":
            return obj(m.end())
        if punct == "[":
            items, i = [], m.end()
            while True:
                m2 = TOKEN.match(text, i)
                if m2 and m2.group(5) == "]":
                    return items, m2.end()
                v, i = value(i)
                items.append(v)
                m2 = TOKEN.match(text, i)
                if m2 and m2.group(5) == ",":
                    i = m2.end()
        if single is not None:
            return unescape(single), m.end()
        if double is not None:
            return unescape(double), m.end()
        if scalar is not None:
            if scalar in ("true", "false"):
                return scalar == "true", m.end()
            if scalar in ("null", "undefined"):
                return None, m.end()
            return float(scalar), m.end()
        if word is not None:
            return word, m.end()
        raise ValueError("unexpected %r" % punct)

    def obj(i):
        out = {}
        while True:
            m = TOKEN.match(text, i)
            if not m:
                raise ValueError("bad key at %d" % i)
            if m.group(5) == "}":
                return out, m.end()
            key = m.group(2) or m.group(3) or m.group(4)
            if key is None:
                raise ValueError("bad key at %d" % i)
            m2 = TOKEN.match(text, m.end())
            if not m2 or m2.group(5) != ":":
                raise ValueError("expected ':' at %d" % m.end())
            v, i = value(m2.end())
            out[key] = v
            m3 = TOKEN.match(text, i)
            if not m3:
                raise ValueError("object not closed")
            if m3.group(5) == ",":
                i = m3.end()
            elif m3.group(5) == "}":
                return out, m3.end()
            else:
                raise ValueError("expected ',' or '}' at %d" % i)
    return obj(i + 1)


def messages(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        text = f.read()
    open_invocations, current = {}, None
    for raw in text.split("\n"):
        m = LINE.match(raw)
        if not m:
            if current is not None:
                current["lines"].append(raw)
            continue
        body = m.group(5)
        if m.group(2) is None:
            s = START.match(body)
            if s:
                open_invocations[s.group(1)] = None
                current = None
                continue
            e = END.match(body) or TIMEOUT.match(body)
            if e:
                message = open_invocations.pop(e.group(1), None)
                if message is not None:
                    yield message
                current = None
            continue
        rid = m.group(3)
        if body.startswith("Processing message "):
            previous = open_invocations.get(rid)
            if previous is not None:
                yield previous
            current = {"file": path, "request_id": rid, "message_id": body[19:].strip(), "lines": [raw], "levels": {m.group(4)}}
            open_invocations[rid] = current
        elif open_invocations.get(rid) is not None:
            current = open_invocations[rid]
            current["lines"].append(raw)
            current["levels"].add(m.group(4))
    for message in open_invocations.values():
        if message is not None:
            yield message


def transactions(paths):
    rows, rejects = [], 0
    for path in paths:
        for message in messages(path):
            text = "\n".join(message["lines"])
            at = text.find("transaction: {")
            if at < 0:
                continue
            brace = text.rfind("{", 0, at)
            start_line = text[text.rfind("\n", 0, brace) + 1:]
            try:
                obj, _ = parse_object(text, brace)
                tx = obj["transaction"]
                row = {"date_time": LINE.match(start_line).group(2)}
                for field in FIELDS:
                    value = tx.get(field)
                    if field in NUMBERS and value is not None and not isinstance(value, float):
                        raise ValueError("%s is not a number" % field)
                    row[field] = value
            except (ValueError, KeyError, AttributeError, TypeError):
                rejects += 1
                continue
            row["in_sync"] = not ("ERROR" in message["levels"] or OUT_OF_SYNC.search(text))
            rows.append(row)
    df = pd.DataFrame(rows, columns=["date_time"] + FIELDS + ["in_sync"])
    df["date_time"] = pd.to_datetime(df["date_time"], utc=True)
    return df, rejects


def main():
    paths = sorted(p for pattern in sys.argv[1:] for p in glob.glob(pattern))
    df, rejects = transactions(paths)
    print(json.dumps({"rows": len(df), "rejects": rejects, "in_sync_false": int((~df["in_sync"]).sum()),
                      "amount_sum": float(df["amount"].sum())}))


if __name__ == "__main__":
    main()
