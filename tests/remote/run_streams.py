#!/usr/bin/env python3
"""Streams through a real libvirtd: volume uploads and downloads (streams.py)
with Debian's libvirt client and with ours, against one libvirtd 9.0 that
also loads Debian's storage driver (its test driver has no volume transfers),
over the unix socket; the two transcripts must be identical.

usage: run_streams.py STAGE_DIR
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
import difftest  # noqa: E402
from libvirtd import Daemon  # noqa: E402


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    ours = os.path.join(os.path.abspath(sys.argv[1]), "lib")
    cmd = ["/usr/bin/python3", os.path.join(HERE, "streams.py")]
    with Daemon(drivers=["storage"]) as d:
        env = {"VIRT_TEST_URI": "storage+unix:///system?socket=" + d.socket}
        want = difftest.run(cmd, difftest.SYSTEM_LIBDIR, env)
        if want[0] != 0:
            print("run_streams: the reference run on libvirt failed:\n%s%s" % (want[1], want[2]))
            return 1
        got = difftest.run(cmd, ours, env)
    if not difftest.compare("volume streams", want, got):
        print("run_streams: differences")
        return 1
    print("run_streams: volume streams, %d lines identical to libvirt's" % len(want[1].splitlines()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
