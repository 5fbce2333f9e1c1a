"""Checks `weir schema` with jsonschema (draft 2020-12), independently of Weir's loader.

    python schema_check.py SCHEMA.json PIPELINE.yaml...

Every pipeline must validate; three broken copies of the first (a misspelt key, a value of the
wrong type, an unknown stage type) must not, each for its own reason. Prints "ok N" or the
problems (exit 1)."""
import copy
import json
import sys

import jsonschema
import yaml


def main():
    schema = json.load(open(sys.argv[1]))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    problems, checked = [], 0
    docs = []
    for path in sys.argv[2:]:
        doc = yaml.safe_load(open(path))
        docs.append(doc)
        errors = [e.message for e in validator.iter_errors(doc)]
        checked += 1
        if errors:
            problems.append(f"{path}: {errors[:3]}")
    base = docs[0]
    stage = next(iter(base["stages"]))
    broken = []
    misspelt = copy.deepcopy(base)
    misspelt["stages"][stage]["pathh"] = misspelt["stages"][stage].pop("path", "x")
    broken.append(("a misspelt key", misspelt, "pathh"))
    wrong = copy.deepcopy(base)
    wrong["stages"]["extra"] = {"type": "top", "input": stage, "n": "ten", "by": "x"}
    broken.append(("a wrong value type", wrong, "ten"))
    unknown = copy.deepcopy(base)
    unknown["stages"]["extra"] = {"type": "extract.parquet", "path": "x"}
    broken.append(("an unknown stage type", unknown, "extract.parquet"))
    for what, doc, token in broken:
        checked += 1
        errors = list(validator.iter_errors(doc))
        text = " ".join(str(e.message) + " " + json.dumps(list(e.path)) for e in errors) + " " + " ".join(
            str(c.message) for e in errors for c in (e.context or []))
        if not errors:
            problems.append(f"{what} passed the schema")
        elif token not in text:
            problems.append(f"{what}: rejected, but not for it: {text[:300]}")
    if problems:
        print("\n".join(problems))
        sys.exit(1)
    print(f"ok {checked}")


if __name__ == "__main__":
    main()
