#!/usr/bin/env python3
"""Writes the engine benchmark's pipeline shape for Weir, DVC and Snakemake: `chains` chains of
small stages, each starting from its own tiny CSV, plus one fan-in stage over the chain ends.

    gen_pipeline.py DIR --stages 1000 [--chains 10]
"""
import argparse
import os


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("directory")
    parser.add_argument("--stages", type=int, default=1000)
    parser.add_argument("--chains", type=int, default=10)
    args = parser.parse_args()
    length = max(1, round((args.stages - 1) / args.chains))
    d = args.directory
    os.makedirs(os.path.join(d, "data"), exist_ok=True)
    for c in range(args.chains):
        with open(os.path.join(d, "data", f"src{c}.csv"), "w") as f:
            f.write("x\n" + "".join(f"{c * 100 + i}\n" for i in range(10)))

    # Weir: an extract at the head of each chain, then sql steps, then the fan-in.
    lines = ["pipeline: bench", "stages:"]
    for c in range(args.chains):
        lines.append(f"  c{c}_0: {{ type: extract.csv, path: data/src{c}.csv }}")
        for i in range(1, length):
            lines.append(f"  c{c}_{i}: {{ type: sql, input: c{c}_{i - 1}, query: \"SELECT x + 1 AS x FROM c{c}_{i - 1}\", schema: {{ x: int64 }} }}")
    ends = [f"c{c}_{length - 1}" for c in range(args.chains)]
    union = " UNION ALL ".join(f"SELECT x FROM {e}" for e in ends)
    lines.append(f"  fan_in: {{ type: sql, inputs: [{', '.join(ends)}], query: \"SELECT sum(x) AS total FROM ({union})\", schema: {{ total: int64 }} }}")
    with open(os.path.join(d, "pipeline.yaml"), "w") as f:
        f.write("\n".join(lines) + "\n")

    # The same DAG for DVC and Snakemake: each step adds 1 to every value with awk.
    step = "awk 'NR==1{print;next}{print $1+1}'"
    dvc = ["stages:"]
    for c in range(args.chains):
        dvc += [f"  c{c}_0:", f"    cmd: cp data/src{c}.csv out/c{c}_0.csv", f"    deps: [data/src{c}.csv]", f"    outs: [out/c{c}_0.csv]"]
        for i in range(1, length):
            dvc += [f"  c{c}_{i}:", f"    cmd: {step} out/c{c}_{i - 1}.csv > out/c{c}_{i}.csv",
                    f"    deps: [out/c{c}_{i - 1}.csv]", f"    outs: [out/c{c}_{i}.csv]"]
    dvc += ["  fan_in:", "    cmd: cat " + " ".join(f"out/{e}.csv" for e in ends) + " | awk '$1!=\"x\"{s+=$1}END{print \"total\";print s}' > out/fan_in.csv",
            "    deps: [" + ", ".join(f"out/{e}.csv" for e in ends) + "]", "    outs: [out/fan_in.csv]"]
    with open(os.path.join(d, "dvc.yaml"), "w") as f:
        f.write("\n".join(dvc) + "\n")

    snake = ["rule all:", "    input: 'out/fan_in.csv'", ""]
    for c in range(args.chains):
        snake += [f"rule c{c}_0:", f"    input: 'data/src{c}.csv'", f"    output: 'out/c{c}_0.csv'", "    shell: 'cp {input} {output}'", ""]
        for i in range(1, length):
            snake += [f"rule c{c}_{i}:", f"    input: 'out/c{c}_{i - 1}.csv'", f"    output: 'out/c{c}_{i}.csv'",
                      "    shell: \"awk 'NR==1{{print;next}}{{print $1+1}}' {input} > {output}\"", ""]
    snake += ["rule fan_in:", "    input: [" + ", ".join(f"'out/{e}.csv'" for e in ends) + "]", "    output: 'out/fan_in.csv'",
              "    shell: \"cat {input} | awk '$1!=\\\"x\\\"{{s+=$1}}END{{print \\\"total\\\";print s}}' > {output}\"", ""]
    with open(os.path.join(d, "Snakefile"), "w") as f:
        f.write("\n".join(snake))


if __name__ == "__main__":
    main()
