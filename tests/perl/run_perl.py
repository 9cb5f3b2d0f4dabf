#!/usr/bin/env python3
"""Debian's compiled Perl binding (Sys::Virt) on our library: the transcript
must match the one it prints on Debian's libvirt.

usage: run_perl.py STAGE_DIR
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import difftest  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ourlib = os.path.join(os.path.abspath(sys.argv[1]), "lib")
    status, want = difftest.both("Perl transcript", ["perl", os.path.join(HERE, "transcript.pl")], ourlib)
    if status == 0:
        print("run_perl: Sys::Virt on our library, %d lines identical to libvirt" % len(want[1].splitlines()))
    return status


if __name__ == "__main__":
    sys.exit(main())
