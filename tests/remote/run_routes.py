#!/usr/bin/env python3
"""Where the remote forms of the Xen URIs go (issue: xen+unix, xen+tcp,
xen://host/ over TLS, xen+ssh, xen+tls): opened with Debian's libvirt client
and with ours against closed ports and missing sockets, the errors (code,
domain, message) must be identical: the same transport, the same target.
`xen:///` itself is our local XenD driver and is tested by tests/xend.

usage: run_routes.py STAGE_DIR
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import difftest  # noqa: E402

URIS = ["xen+unix:///", "xen+unix:///system", "xen+unix:///?socket=/nonexistent/sock",
        "xen+tcp://127.0.0.1:1/", "xen://127.0.0.1:1/", "xen+tls://127.0.0.1:1/?pkipath=/nonexistent",
        "xen+ssh://root@127.0.0.1:1/?no_verify=1", "xen+ext:///?command=/nonexistent"]
PROBE = """
import sys, libvirt
libvirt.registerErrorHandler(lambda *a: None, None)
for uri in sys.argv[1:]:
    try:
        libvirt.open(uri)
        print(uri, "opened")
    except libvirt.libvirtError as e:
        print(uri, e.get_error_code(), e.get_error_domain(), e.get_error_message())
"""


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    cmd = ["/usr/bin/python3", "-c", PROBE] + URIS
    want = difftest.run(cmd, difftest.SYSTEM_LIBDIR)
    got = difftest.run(cmd, os.path.join(os.path.abspath(sys.argv[1]), "lib"))
    if len(want[1].splitlines()) != len(URIS):
        print("run_routes: the reference run printed %d lines for %d URIs:\n%s%s"
              % (len(want[1].splitlines()), len(URIS), want[1], want[2]))
        return 1
    if not difftest.judge("run_routes: Xen remote URIs", want, got):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
