"""Writes malformed and mismatched .npy files for bad-inputs.test."""
import os
import struct
import sys


def npy(path, descr, shape, payload):
    header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, shape)
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
        f.write(payload)


out = sys.argv[1]
npy(os.path.join(out, "int32.npy"), "<i4", "(2, 64)", bytes(2 * 64 * 4))
npy(os.path.join(out, "negative.npy"), "<f4", "(-2, 64)", bytes(2 * 64 * 4))
npy(os.path.join(out, "bigint.npy"), "<f4", "(99999999999999999999999, 64)", bytes(16))
npy(os.path.join(out, "huge.npy"), "<f4", "(4294967296, 4294967296)", bytes(16))
npy(os.path.join(out, "junk.npy"), "<fx", "(2, 64)", bytes(16))
npy(os.path.join(out, "short.npy"), "<f4", "(2, 64)", bytes(16))
