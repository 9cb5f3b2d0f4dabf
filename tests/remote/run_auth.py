#!/usr/bin/env python3
"""Authentication against a real libvirtd: daemons asking for SASL and for
polkit on their unix socket and TCP port, URIs that force a type with
`auth=`; each opened with Debian's libvirt client and with ours, the
outcomes (type, or error code, domain and message) must be identical.

usage: run_auth.py STAGE_DIR
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
import difftest  # noqa: E402
from libvirtd import Daemon  # noqa: E402

PROBE = """
import sys, libvirt
libvirt.registerErrorHandler(lambda *a: None, None)
for uri in sys.argv[1:]:
    try:
        c = libvirt.open(uri)
        print(uri.split("?")[1:], "ok", c.getType(), c.isSecure())
        c.close()
    except libvirt.libvirtError as e:
        print(uri.split("?")[1:], e.get_error_code(), e.get_error_domain(), e.get_error_message())
"""


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    ours = os.path.join(os.path.abspath(sys.argv[1]), "lib")
    failed = False
    for auth in ("sasl", "polkit", "none"):
        with Daemon(dir="/tmp/virt-remote-auth-%d" % os.getpid(), auth_unix=auth, auth_tcp=auth) as d:
            uris = []
            for base in (d.unix_uri, d.tcp_uri):
                sep = "&" if "?" in base else "?"
                uris += [base, base + sep + "auth=sasl", base + sep + "auth=sasl.ANONYMOUS",
                         base + sep + "auth=sasl.GSSAPI", base + sep + "auth=polkit"]
            cmd = ["/usr/bin/python3", "-c", PROBE] + uris
            want, got = difftest.run(cmd, difftest.SYSTEM_LIBDIR), difftest.run(cmd, ours)
            if not difftest.judge("auth %s" % auth, want, got):
                failed = True
    if failed:
        print("run_auth: differences")
        return 1
    print("run_auth: every check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
