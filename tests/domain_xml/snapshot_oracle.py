#!/usr/bin/python3
"""Libvirt's view of snapshot documents: defines the domain of DOMAIN.xml on
libvirt's test driver, then for each SNAPSHOT file creates a snapshot from
it (files whose name contains 'redefine' with VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE,
in order) and records getXMLDesc(0) and getXMLDesc(SECURE), or the error.

usage: snapshot_oracle.py DOMAIN.xml SNAPSHOT.xml...   (prints JSON: path -> result)
"""
import json
import sys

import libvirt

libvirt.registerErrorHandler(lambda ctx, err: None, None)
conn = libvirt.open("test:///default")
with open(sys.argv[1]) as fp:
    dom = conn.defineXML(fp.read())
out = {}
for path in sys.argv[2:]:
    with open(path) as fp:
        xml = fp.read()
    flags = libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE if "redefine" in path else 0
    try:
        snap = dom.snapshotCreateXML(xml, flags)
    except libvirt.libvirtError as e:
        out[path] = {"error": [e.get_error_code(), e.get_error_domain(), e.get_error_message()]}
        continue
    out[path] = {
        "default": snap.getXMLDesc(0),
        "secure": snap.getXMLDesc(libvirt.VIR_DOMAIN_SNAPSHOT_XML_SECURE),
    }
json.dump(out, sys.stdout, indent=1, sort_keys=True)
