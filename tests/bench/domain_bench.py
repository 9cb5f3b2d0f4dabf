"""Times the domain API through python3-libvirt; tests/bench/run runs it on
Debian's libvirt and on ours and prints the ratios.

usage: domain_bench.py NODE_FILE
Prints "label nanoseconds-per-operation" lines, or "label FAIL".
"""
import sys
import time

import libvirt

GUEST = ("<domain type='test'><name>bench</name><uuid>0b3e5c1a-9d2f-4e6b-8a7c-1d2e3f405162</uuid>"
         "<memory>65536</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain>")

libvirt.registerErrorHandler(lambda ctx, err: None, None)


def bench(label, n, f):
    t0 = time.perf_counter()
    try:
        for _ in range(n):
            f()
    except libvirt.libvirtError:
        print(label, "FAIL")
        return
    print(label, "%.1f" % ((time.perf_counter() - t0) * 1e9 / n))
    sys.stdout.flush()


def main():
    conn = libvirt.open("test:///default")
    bench("open+close test:///default", 2000, lambda: libvirt.open("test:///default").close())

    def lookup():
        d = conn.lookupByName("test")
        d.info()
        d.XMLDesc(0)
    bench("lookupByName+info+XMLDesc", 5000, lookup)
    bench("defineXML+undefine", 2000, lambda: conn.defineXML(GUEST).undefine())

    def cycle():
        d = conn.createXML(GUEST, 0)
        d.suspend()
        d.resume()
        d.destroy()
    bench("createXML+suspend+resume+destroy", 2000, cycle)
    t0 = time.perf_counter()
    try:
        node = libvirt.open("test://" + sys.argv[1])
        print("open node file with 1000 guests %.1f" % ((time.perf_counter() - t0) * 1e9))
    except libvirt.libvirtError:
        print("open node file with 1000 guests FAIL")
        return

    def list_all():
        if len(node.listAllDomains(0)) != 1000:
            raise libvirt.libvirtError("wrong count")
    bench("listAllDomains(1000 guests)", 100, list_all)
    bench("listAllDomains(ACTIVE|PAUSED, 1000 guests)", 100, lambda: node.listAllDomains(
        libvirt.VIR_CONNECT_LIST_DOMAINS_ACTIVE | libvirt.VIR_CONNECT_LIST_DOMAINS_PAUSED))
    bench("listDomainsID+listDefinedDomains(1000)", 100, lambda: (node.listDomainsID(), node.listDefinedDomains()))
    node.close()
    conn.close()


main()
