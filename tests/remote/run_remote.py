#!/usr/bin/env python3
"""The python transcripts (domains.py, netstore.py) through a real libvirtd:
Debian's libvirt client and ours each talk to a fresh libvirtd 9.0 serving
its test driver, over the unix socket and over loopback TCP, and the two
transcripts must be identical.

usage: run_remote.py STAGE_DIR [SUITE...]     (suites: domains netstore)
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
import difftest  # noqa: E402
from libvirtd import Daemon, free_port  # noqa: E402


def run_on(daemon_dir, port, transport, cmd, libdir):
    with Daemon(dir=daemon_dir, port=port) as d:
        uri = d.unix_uri if transport == "unix" else d.tcp_uri
        return difftest.run(cmd, libdir, {"VIRT_TEST_URI": uri}, timeout=300)


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    ours = os.path.join(os.path.abspath(args[0]), "lib")
    suites = args[1:] or ["domains", "netstore"]
    # Per process: another checkout running this at the same time must not
    # share (and remove) our daemon's socket directory.
    daemon_dir = "/tmp/virt-remote-difftest-%d" % os.getpid()
    port = free_port()
    failed = []
    for suite in suites:
        cmd = ["/usr/bin/python3", os.path.join(HERE, "..", "python", suite + ".py")]
        for transport in ("unix", "tcp"):
            label = "remote %s over %s" % (suite, transport)
            want = run_on(daemon_dir, port, transport, cmd, difftest.SYSTEM_LIBDIR)
            if want[0] != 0:
                print("%s: the reference run on libvirt failed:\n%s%s" % (label, want[1], want[2]))
                failed.append(label)
                continue
            got = run_on(daemon_dir, port, transport, cmd, ours)
            if difftest.compare(label, want, got):
                print("%s: %d lines identical to libvirt's" % (label, len(want[1].splitlines())))
            else:
                failed.append(label)
    if failed:
        print("run_remote: differences in: " + ", ".join(failed))
        return 1
    print("run_remote: every check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
