"""Lists functions, initialisers and computed properties longer than --limit lines.

Relies on swift-format's layout (the lint runs first): a declaration's body ends at the first
line that closes a brace at the declaration's own indentation.
"""
import argparse
import os
import re
import sys

DECLARATION = re.compile(
    r"^(\s*)(?:@\w+(?:\([^)]*\))?\s+)*"
    r"(?:(?:public|private|fileprivate|internal|package|static|class|final|override|mutating|nonisolated|convenience|required)\s+)*"
    r"(func\s+[^\s(<]+|init\??[(<]|subscript|deinit|var\s+\w+\s*:[^=]*\{\s*$)")


def lengths(path):
    lines = open(path, encoding="utf-8").read().split("\n")
    for start, line in enumerate(lines):
        match = DECLARATION.match(line)
        if not match or (line.rstrip().endswith("}") and "{" in line):
            continue
        indent = match.group(1)
        closing = re.compile("^" + indent + r"\}")
        for end in range(start + 1, len(lines)):
            if closing.match(lines[end]):
                yield start + 1, end - start + 1, match.group(2)
                break


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=80)
    parser.add_argument("folders", nargs="+")
    args = parser.parse_args()
    found = []
    for folder in args.folders:
        for root, _, files in os.walk(folder):
            for name in sorted(files):
                if name.endswith(".swift"):
                    path = os.path.join(root, name)
                    found += [(path, line, count, what) for line, count, what in lengths(path) if count > args.limit]
    for path, line, count, what in sorted(found):
        print(f"{path}:{line}: {what.strip()} is {count} lines (at most {args.limit})")
    sys.exit(1 if found else 0)


main()
