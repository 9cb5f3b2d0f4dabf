#!/usr/bin/env python3
"""faults.py (a daemon killed or hung mid-call, fake servers sending garbage,
huge or truncated packets) on Debian's libvirt client and on ours: the
transcripts (errors, close callback reasons, isAlive) must be identical.

usage: run_faults.py STAGE_DIR
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
import difftest  # noqa: E402


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    ours = os.path.join(os.path.abspath(sys.argv[1]), "lib")
    cmd = ["/usr/bin/python3", os.path.join(HERE, "faults.py")]
    want = difftest.run(cmd, difftest.SYSTEM_LIBDIR, {}, timeout=300)
    if want[0] != 0:
        print("remote faults: the reference run on libvirt failed:\n%s%s" % (want[1], want[2]))
        return 1
    got = difftest.run(cmd, ours, {}, timeout=300)
    if not difftest.compare("remote faults", want, got):
        return 1
    print("remote faults: %d lines identical to libvirt's" % len(want[1].splitlines()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
