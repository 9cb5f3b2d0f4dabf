#!/usr/bin/env python3
"""tests/c/threads.c (many threads on one connection, with an event loop
thread) must report the same on our library as on Debian's libvirt: no
failures, every lifecycle event delivered, nothing left behind.

usage: run_threads.py STAGE_DIR
"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import difftest  # noqa: E402
from difftest import SYSTEM_LIBDIR, compare  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CFLAGS = ["-std=c11", "-Wall", "-Werror", "-D_POSIX_C_SOURCE=200809L", "-pthread"]
ARGS = ["16", "100"]


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    stage = os.path.abspath(sys.argv[1])
    src = os.path.join(HERE, "threads.c")
    with tempfile.TemporaryDirectory() as tmp:
        debian = os.path.join(tmp, "threads-debian")
        ours = os.path.join(tmp, "threads-ours")
        subprocess.run(["cc"] + CFLAGS + ["-o", debian, src, "-lvirt"], check=True)
        subprocess.run(["cc"] + CFLAGS + ["-I", os.path.join(stage, "include"), "-o", ours, src,
                        "-L", os.path.join(stage, "lib"), "-lvirt"], check=True)
        want = difftest.run([debian] + ARGS, SYSTEM_LIBDIR)
        if want[0] != 0 or " 0 failures" not in want[1]:
            print("run_threads: the reference run on libvirt failed:\n%s%s" % (want[1], want[2]))
            return 1
        ok = True
        for label, exe in (("Debian-built program on our library", debian), ("program built on our headers", ours)):
            ok &= compare(label, want, difftest.run([exe] + ARGS, os.path.join(stage, "lib")))
    print("run_threads: %s" % ("identical to libvirt" if ok else "DIFFERENCES"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
