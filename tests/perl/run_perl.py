#!/usr/bin/env python3
"""Debian's compiled Perl binding (Sys::Virt) on our library: the transcript
must match the one it prints on Debian's libvirt.

usage: run_perl.py STAGE_DIR
"""
import difflib
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SYSTEM_LIBDIR = "/usr/lib/x86_64-linux-gnu"


def run(libdir):
    env = {"PATH": "/usr/bin:/bin", "EXPECT_LIBVIRT_DIR": libdir}
    if libdir != SYSTEM_LIBDIR:
        env["LD_LIBRARY_PATH"] = libdir
    r = subprocess.run(["perl", os.path.join(HERE, "transcript.pl")], capture_output=True, text=True, env=env,
                       timeout=120)
    return r.returncode, r.stdout, r.stderr


def main():
    want = run(SYSTEM_LIBDIR)
    got = run(os.path.join(os.path.abspath(sys.argv[1]), "lib"))
    if want[0] != 0:
        print("reference run failed:", want)
        return 1
    if want != got:
        print("Perl transcript differs from libvirt's:")
        sys.stdout.writelines(difflib.unified_diff(want[1].splitlines(True), got[1].splitlines(True), "libvirt", "ours"))
        print(got[2])
        return 1
    print("run_perl: Sys::Virt on our library, %d lines identical to libvirt" % len(want[1].splitlines()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
