#!/usr/bin/env python3
"""Spoils a signed RAUC plain bundle for the update test.

A plain bundle is a squashfs image, then the CMS signature, then the signature's size as an
8-byte big-endian number. Default: flips one byte in the middle of the squashfs (the signature
no longer matches). --strip-signature: keeps the squashfs only (an unsigned bundle).

usage: tamper.py [--strip-signature] <in.raucb> <out.raucb>
"""

import os
import shutil
import struct
import sys


def main(args):
    strip = args[:1] == ["--strip-signature"]
    if strip:
        args = args[1:]
    if len(args) != 2:
        sys.exit(__doc__)
    src, dst = args
    size = os.path.getsize(src)
    with open(src, "rb") as f:
        f.seek(size - 8)
        sig_size = struct.unpack(">Q", f.read(8))[0]
    payload = size - 8 - sig_size
    if not 0 < payload < size:
        sys.exit(f"{src}: not a signed plain bundle (signature size {sig_size})")
    shutil.copyfile(src, dst)
    with open(dst, "r+b") as f:
        if strip:
            f.truncate(payload)
        else:
            f.seek(payload // 2)
            byte = f.read(1)
            f.seek(payload // 2)
            f.write(bytes([byte[0] ^ 0xFF]))
    print(f"tamper: {dst} ({'signature removed' if strip else f'byte {payload // 2} flipped'})")


if __name__ == "__main__":
    main(sys.argv[1:])
