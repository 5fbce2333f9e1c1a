#!/usr/bin/env python3
"""Writes broken copies of an Arrow IPC file, for the reader's integrity tests.

    arrow_mutate.py IN OUT FIELD VALUE
      FIELD: block-body-length | buffer-offset | node-length[:N] | big-endian
    arrow_mutate.py IN OUTDIR mutants N SEED     N copies with 1-4 random bytes changed

Fields are found by walking the file's flatbuffers (Arrow's File.fbs and Message.fbs), so a
test can set exactly the int64 it means to. Only the standard library is used."""
import os
import random
import struct
import sys


def u16(b, at): return struct.unpack_from("<H", b, at)[0]
def u32(b, at): return struct.unpack_from("<I", b, at)[0]
def i32(b, at): return struct.unpack_from("<i", b, at)[0]


def field(b, table, index):
    """Absolute position of field `index` of the table at `table`, or None."""
    vtable = table - i32(b, table)
    if 4 + 2 * index >= u16(b, vtable):
        return None
    offset = u16(b, vtable + 4 + 2 * index)
    return table + offset if offset else None


def deref(b, at): return at + u32(b, at)


def footer(b):
    length = i32(b, len(b) - 10)
    start = len(b) - 10 - length
    return start + u32(b, start)


def blocks(b, foot, index):
    at = field(b, foot, index)
    vector = deref(b, at)
    return [vector + 4 + 24 * i for i in range(u32(b, vector))]


def batch_header(b):
    block = blocks(b, footer(b), 3)[0]
    offset = struct.unpack_from("<q", b, block)[0]
    meta = offset + 8 if u32(b, offset) == 0xFFFFFFFF else offset + 4
    message = meta + u32(b, meta)
    return deref(b, field(b, message, 2))


def vector_elements(b, table, index, size):
    vector = deref(b, field(b, table, index))
    return [vector + 4 + size * i for i in range(u32(b, vector))]


def mutate(b, what, value):
    if what == "block-body-length":
        struct.pack_into("<q", b, blocks(b, footer(b), 3)[0] + 16, value)
    elif what == "buffer-offset":
        struct.pack_into("<q", b, vector_elements(b, batch_header(b), 2, 16)[-1], value)
    elif what.startswith("node-length"):
        # node-length:N sets the length of field node N (the first by default).
        node = int(what.split(":")[1]) if ":" in what else 0
        struct.pack_into("<q", b, vector_elements(b, batch_header(b), 1, 16)[node], value)
    elif what == "big-endian":
        schema = deref(b, field(b, footer(b), 1))
        struct.pack_into("<h", b, field(b, schema, 0), 1)
    else:
        sys.exit(f"unknown field {what}")


def main():
    source, target, what = sys.argv[1:4]
    data = open(source, "rb").read()
    if what == "mutants":
        count, seed = int(sys.argv[4]), int(sys.argv[5])
        rng = random.Random(seed)
        os.makedirs(target, exist_ok=True)
        for n in range(count):
            b = bytearray(data)
            for _ in range(rng.randint(1, 4)):
                b[rng.randrange(len(b))] = rng.randrange(256)
            open(os.path.join(target, f"mutant-{n:03d}.arrow"), "wb").write(b)
        return
    b = bytearray(data)
    mutate(b, what, int(sys.argv[4]) if len(sys.argv) > 4 else 0)
    open(target, "wb").write(b)


if __name__ == "__main__":
    main()
