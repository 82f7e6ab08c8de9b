#!/usr/bin/env python3
"""Writes a safetensors file of random tensors for the importer's lit tests.

  make_safetensors.py OUT NAME:DTYPE:SHAPE [...] [--seed S] [--header JSON]

SHAPE is 'x'-separated, outermost first (torch order: a linear weight is
out x in). --header replaces the JSON header (for malformed files); the
data section is then 64 zero bytes. Independent of lowbit's own writer.
"""
import json
import random
import struct
import sys

SIZES = {"F32": 4, "F16": 2, "BF16": 2, "F8_E4M3": 1, "F8_E5M2": 1, "I8": 1, "I32": 4, "U8": 1,
         "I64": 8, "BOOL": 1}


def values(rng, dtype, n):
    if dtype == "F32":
        return b"".join(struct.pack("<f", rng.uniform(-2, 2)) for _ in range(n))
    if dtype == "F16":
        return b"".join(struct.pack("<e", rng.uniform(-2, 2)) for _ in range(n))
    if dtype == "BF16":
        return b"".join(struct.pack("<f", rng.uniform(-2, 2))[2:] for _ in range(n))
    if dtype == "F8_E4M3":  # finite codes: not S.1111.111
        return bytes(rng.choice([c for c in range(256) if c & 0x7F != 0x7F]) for _ in range(n))
    return bytes(rng.getrandbits(8) for _ in range(n * SIZES[dtype]))


def main(argv):
    args, seed, header = [], 1, None
    it = iter(argv)
    for a in it:
        if a == "--seed":
            seed = int(next(it))
        elif a == "--header":
            header = next(it)
        else:
            args.append(a)
    out, specs = args[0], args[1:]
    rng = random.Random(seed)
    if header is not None:
        text, data = header.encode(), b"\0" * 64
    else:
        meta, data = {"__metadata__": {"format": "pt"}}, b""
        for spec in specs:
            name, dtype, shape = spec.split(":")
            shape = [int(d) for d in shape.split("x")] if shape else []
            n = 1
            for d in shape:
                n *= d
            blob = values(rng, dtype, n)
            meta[name] = {"dtype": dtype, "shape": shape,
                          "data_offsets": [len(data), len(data) + len(blob)]}
            data += blob
        text = json.dumps(meta).encode()
        text += b" " * ((-len(text)) % 8)
    with open(out, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + data)


if __name__ == "__main__":
    main(sys.argv[1:])
