#!/usr/bin/env python3
"""Acceptance 3: Debian's unmodified python3-libvirt imports and runs on our library.

Runs transcript.py with /usr/bin/python3 on Debian's libvirt.so.0 and with
LD_LIBRARY_PATH pointing at ours; the script checks /proc/self/maps to prove
which library it loaded, and the two transcripts must be identical.

usage: run_python.py STAGE_DIR
"""
import difflib
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
NODE = "<node><auth><user password='secret'>alice</user></auth></node>"


def run(libdir, node):
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": "/nonexistent", "EXPECT_LIBVIRT_DIR": libdir}
    if libdir != "/usr/lib/x86_64-linux-gnu":
        env["LD_LIBRARY_PATH"] = libdir
    r = subprocess.run(["/usr/bin/python3", os.path.join(HERE, "transcript.py"), node],
                       capture_output=True, text=True, env=env, timeout=120)
    err = "".join(l for l in r.stderr.splitlines(True) if not l.startswith(("I/O warning : ", "I/O error : ")))
    return r.returncode, r.stdout, err


def main():
    ours = os.path.join(os.path.abspath(sys.argv[1]), "lib")
    with tempfile.NamedTemporaryFile("w", suffix=".xml") as node:
        node.write(NODE)
        node.flush()
        want = run("/usr/lib/x86_64-linux-gnu", node.name)
        got = run(ours, node.name)
    if want[0] != 0:
        print("reference run failed:", want)
        return 1
    if want != got:
        for name, a, b in zip(("exit status", "stdout", "stderr"), want, got):
            if a != b:
                print("python transcript: %s differs" % name)
                if isinstance(a, int):
                    print("  libvirt %d, ours %d" % (a, b))
                else:
                    sys.stdout.writelines(difflib.unified_diff(a.splitlines(True), b.splitlines(True), "libvirt", "ours"))
        return 1
    print("run_python: python3-libvirt on our library (verified in /proc/self/maps): %d lines identical to libvirt"
          % len(want[1].splitlines()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
