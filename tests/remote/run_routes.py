#!/usr/bin/env python3
"""Where the remote forms of the Xen URIs go (issue: xen+unix, xen+tcp,
xen://host/ over TLS, xen+ssh, xen+tls): opened with Debian's libvirt client
and with ours against closed ports and missing sockets, the errors (code,
domain, message) must be identical: the same transport, the same target.
`xen:///` itself is our local XenD driver and is tested by tests/xend.

usage: run_routes.py STAGE_DIR
"""
import os
import subprocess
import sys

SYSTEM_LIBDIR = "/usr/lib/x86_64-linux-gnu"
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


def outcomes(libdir):
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": "/nonexistent", "LD_LIBRARY_PATH": libdir}
    r = subprocess.run(["/usr/bin/python3", "-c", PROBE] + URIS, env=env, capture_output=True, text=True,
                       timeout=120)
    return r.returncode, r.stdout


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    want = outcomes(SYSTEM_LIBDIR)
    got = outcomes(os.path.join(os.path.abspath(sys.argv[1]), "lib"))
    if want != got or len(want[1].splitlines()) != len(URIS):
        print("run_routes: differs\n--- libvirt\n%s\n+++ ours\n%s" % (want[1], got[1]))
        return 1
    print("run_routes: %d Xen remote URIs fail exactly as with libvirt" % len(URIS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
