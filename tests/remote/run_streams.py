#!/usr/bin/env python3
"""Streams through a real libvirtd: volume uploads and downloads (streams.py,
and tests/c/streams.c for the C-only *All calls) with Debian's libvirt client
and with ours, against one libvirtd 9.0 that also loads Debian's storage
driver (its test driver has no volume transfers), over the unix socket; the
transcripts must be identical.

usage: run_streams.py STAGE_DIR
"""
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
import difftest  # noqa: E402
from libvirtd import Daemon  # noqa: E402


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    ours = os.path.join(os.path.abspath(sys.argv[1]), "lib")
    tmp = tempfile.mkdtemp(prefix="run-streams-")
    try:
        exe = os.path.join(tmp, "streams")
        subprocess.run(["cc", "-O2", "-Wall", "-o", exe, os.path.join(HERE, "..", "c", "streams.c"), "-lvirt"],
                       check=True)
        pool_dir = os.path.join(tmp, "pool")
        os.mkdir(pool_dir)
        cases = [("volume streams", ["/usr/bin/python3", os.path.join(HERE, "streams.py")]),
                 ("C *All calls", [exe, "URI", pool_dir])]
        failed = False
        with Daemon(drivers=["storage"]) as d:
            uri = "storage+unix:///system?socket=" + d.socket
            for label, cmd in cases:
                cmd = [uri if a == "URI" else a for a in cmd]
                want = difftest.run(cmd, difftest.SYSTEM_LIBDIR, {"VIRT_TEST_URI": uri})
                if want[0] != 0:
                    print("%s: the reference run on libvirt failed:\n%s%s" % (label, want[1], want[2]))
                    failed = True
                    continue
                got = difftest.run(cmd, ours, {"VIRT_TEST_URI": uri})
                if difftest.compare(label, want, got):
                    print("%s: %d lines identical to libvirt's" % (label, len(want[1].splitlines())))
                else:
                    failed = True
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if failed:
        print("run_streams: differences")
        return 1
    print("run_streams: every check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
