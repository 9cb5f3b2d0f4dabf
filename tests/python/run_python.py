#!/usr/bin/env python3
"""Acceptance 3: Debian's unmodified python3-libvirt imports and runs on our library.

Runs transcript.py with /usr/bin/python3 on Debian's libvirt.so.0 and with
LD_LIBRARY_PATH pointing at ours; the script checks /proc/self/maps to prove
which library it loaded, and the two transcripts must be identical.

usage: run_python.py STAGE_DIR
"""
import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import difftest  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
NODE = "<node><auth><user password='secret'>alice</user></auth></node>"


def main():
    ours = os.path.join(os.path.abspath(sys.argv[1]), "lib")
    with tempfile.NamedTemporaryFile("w", suffix=".xml") as node:
        node.write(NODE)
        node.flush()
        cmd = ["/usr/bin/python3", os.path.join(HERE, "transcript.py"), node.name]
        status, want = difftest.both("python transcript", cmd, ours)
    if status:
        return status
    print("run_python: python3-libvirt on our library (verified in /proc/self/maps): %d lines identical to libvirt"
          % len(want[1].splitlines()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
