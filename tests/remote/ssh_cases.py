#!/usr/bin/env python3
"""Opens each URI given on the command line and prints the error (code,
domain, message) or what the connection reports, and, when the URI runs a
command (`command=`), the argument vector and the environment it was started
with, as the stand-in command run_ssh.py writes records them in $ARGV_LOG.
run_ssh.py runs it with Debian's libvirt and with ours; outputs must match.
A URI prefixed "ro:" is opened read-only."""
import os
import sys

import libvirt

libvirt.registerErrorHandler(lambda *a: None, None)
LOG = os.environ.get("ARGV_LOG", "")


def describe(uri):
    ro = uri.startswith("ro:")
    uri = uri[3:] if ro else uri
    try:
        c = (libvirt.openReadOnly if ro else libvirt.open)(uri)
    except libvirt.libvirtError as e:
        return "error %d %d %s" % (e.get_error_code(), e.get_error_domain(), e.get_error_message())
    try:
        d = c.lookupByName("test")
        return "ok uri=%s secure=%d encrypted=%d type=%s domains=%d test=%s (state, max, memory, vcpus)" % (
            c.getURI(), c.isSecure(), c.isEncrypted(), c.getType(), c.numOfDomains(), d.info()[:4])
    finally:
        c.close()


for uri in sys.argv[1:]:
    if LOG and os.path.exists(LOG):
        os.unlink(LOG)
    print(uri.replace(os.environ.get("HIDE", "\0"), "<tmp>"))
    print("  " + describe(uri).replace(os.environ.get("HIDE", "\0"), "<tmp>"))
    if LOG and os.path.exists(LOG):
        for line in open(LOG):
            print("  " + line.rstrip("\n").replace(os.environ.get("HIDE", "\0"), "<tmp>"))
    sys.stdout.flush()
