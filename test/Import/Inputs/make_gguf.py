#!/usr/bin/env python3
"""Writes a GGUF file of random tensors for the importer's lit tests.

  make_gguf.py OUT NAME:TYPE:DIMS [NAME:TYPE:DIMS ...] [--seed S]
               [--version V] [--alignment A] [--truncate N]

DIMS are ggml's (innermost first, 'x'-separated): blk.w:q4_0:64x3 is 3 rows
of 64. Block bytes are random, except where a field must hold a sane value:
f16 scales are finite (magnitudes 2^-8 .. 2^-2), MXFP4 scales are 100..150
(no 0xFF), TQ2_0 codes are 0..2. Written independently of lowbit's own
GGUFWriter so that the tests check the reader against a second writer.
"""
import random
import struct
import sys

# ggml type: (id, block elements, block bytes, offsets of f16 scales)
TYPES = {
    "f32": (0, 1, 4, []), "f16": (1, 1, 2, []), "q4_0": (2, 32, 18, [0]),
    "q4_1": (3, 32, 20, [0, 2]), "q5_0": (6, 32, 22, [0]), "q5_1": (7, 32, 24, [0, 2]),
    "q8_0": (8, 32, 34, [0]), "q8_1": (9, 32, 36, [0, 2]), "q2_K": (10, 256, 84, [80, 82]), "q3_K": (11, 256, 110, [108]),
    "q4_K": (12, 256, 144, [0, 2]), "q5_K": (13, 256, 176, [0, 2]),
    "q6_K": (14, 256, 210, [208]), "i8": (24, 1, 1, []), "i32": (26, 1, 4, []),
    "bf16": (30, 1, 2, []), "tq1_0": (34, 256, 54, [52]), "tq2_0": (35, 256, 66, [64]),
    "mxfp4": (39, 32, 17, []),
}


def finite_f16(rng):
    return struct.pack("<e", rng.choice([-1, 1]) * rng.uniform(2.0**-8, 2.0**-2))


def block(rng, name):
    tid, be, bb, scales = TYPES[name]
    if name == "f32":
        return struct.pack("<f", rng.uniform(-2, 2))
    if name in ("f16", "bf16") and name == "f16":
        return struct.pack("<e", rng.uniform(-2, 2))
    if name == "bf16":
        return struct.pack("<f", rng.uniform(-2, 2))[2:]
    b = bytearray(rng.getrandbits(8) for _ in range(bb))
    for off in scales:
        b[off:off + 2] = finite_f16(rng)
    if name == "mxfp4":
        b[0] = rng.randint(100, 150)
    if name == "tq2_0":
        for i in range(64):
            b[i] = sum(rng.randint(0, 2) << (2 * j) for j in range(4))
    return bytes(b)


def gguf_string(s):
    s = s.encode()
    return struct.pack("<Q", len(s)) + s


def main(argv):
    args, opts = [], {"--seed": "1", "--version": "3", "--alignment": "32", "--truncate": "-1"}
    it = iter(argv)
    for a in it:
        if a in opts:
            opts[a] = next(it)
        else:
            args.append(a)
    out, specs = args[0], args[1:]
    rng = random.Random(int(opts["--seed"]))
    align = int(opts["--alignment"])
    tensors = []
    for spec in specs:
        name, tname, dims = spec.split(":")
        dims = [int(d) for d in dims.split("x")]
        tid, be, bb, _ = TYPES[tname]
        n = 1
        for d in dims:
            n *= d
        data = b"".join(block(rng, tname) for _ in range(n // be))
        tensors.append((name, dims, tid, data))
    kv = [("general.architecture", 8, gguf_string("lowbit-test")),
          ("general.name", 8, gguf_string("fixture"))]
    if align != 32:
        kv.append(("general.alignment", 4, struct.pack("<I", align)))
    head = struct.pack("<IIQQ", 0x46554747, int(opts["--version"]), len(tensors), len(kv))
    for k, t, v in kv:
        head += gguf_string(k) + struct.pack("<I", t) + v
    offset = 0
    for name, dims, tid, data in tensors:
        head += gguf_string(name) + struct.pack("<I", len(dims))
        head += b"".join(struct.pack("<Q", d) for d in dims)
        head += struct.pack("<IQ", tid, offset)
        offset += (len(data) + align - 1) // align * align
    body = head + b"\0" * ((-len(head)) % align)
    for name, dims, tid, data in tensors:
        body += data + b"\0" * ((-len(data)) % align)
    t = int(opts["--truncate"])
    if t >= 0:
        body = body[:t]
    with open(out, "wb") as f:
        f.write(body)


if __name__ == "__main__":
    main(sys.argv[1:])
