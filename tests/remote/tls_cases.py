#!/usr/bin/env python3
"""Opens the TLS URIs given on the command line, one per line of output:
what the connection reports (URI, secure, encrypted, type, a domain count,
calls from eight threads at once on the one connection) or the error libvirt raised (code, domain,
message).  run_tls.py runs it with Debian's libvirt and with ours against the
same daemon and compares."""
import sys
import threading

import libvirt

libvirt.registerErrorHandler(lambda *a: None, None)


def describe(uri):
    try:
        c = libvirt.open(uri)
    except libvirt.libvirtError as e:
        return "error %d %d %s" % (e.get_error_code(), e.get_error_domain(), e.get_error_message())
    try:
        seen = []

        def worker():
            for _ in range(50):
                d = c.lookupByName("test")
                seen.append((d.name(), d.info()[0], len(d.XMLDesc(0)) > 0))

        threads = [threading.Thread(target=worker) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        seen = "%d calls, answers %s" % (len(seen), sorted(set(seen)))
        return "ok uri=%s secure=%d encrypted=%d type=%s alive=%d domains=%d thread=%s" % (
            c.getURI(), c.isSecure(), c.isEncrypted(), c.getType(), c.isAlive(),
            c.numOfDomains(), seen)
    finally:
        c.close()


for uri in sys.argv[1:]:
    print(describe(uri).replace(uri, "<uri>"))
    sys.stdout.flush()
