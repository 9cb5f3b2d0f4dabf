#!/usr/bin/python3
"""Libvirt's view of checkpoint documents: defines the domain of DOMAIN.xml on
libvirt's test driver and starts it (checkpoints need a running domain), then
for each CHECKPOINT file creates a checkpoint from it, in order (files whose
name contains 'redefine' with VIR_DOMAIN_CHECKPOINT_CREATE_REDEFINE), and
records getXMLDesc with no flags, with SECURE and with NO_DOMAIN, or the error
as [code, domain, message].

usage: checkpoint_oracle.py DOMAIN.xml CHECKPOINT.xml...   (prints JSON: path -> result)
"""
import json
import sys

import libvirt

libvirt.registerErrorHandler(lambda ctx, err: None, None)
conn = libvirt.open("test:///default")
with open(sys.argv[1]) as fp:
    dom = conn.defineXML(fp.read())
dom.create()
out = {}
for path in sys.argv[2:]:
    with open(path) as fp:
        xml = fp.read()
    flags = libvirt.VIR_DOMAIN_CHECKPOINT_CREATE_REDEFINE if "redefine" in path else 0
    try:
        cp = dom.checkpointCreateXML(xml, flags)
    except libvirt.libvirtError as e:
        out[path] = {"error": [e.get_error_code(), e.get_error_domain(), e.get_error_message()]}
        continue
    out[path] = {
        "default": cp.getXMLDesc(0),
        "secure": cp.getXMLDesc(libvirt.VIR_DOMAIN_CHECKPOINT_XML_SECURE),
        "no_domain": cp.getXMLDesc(libvirt.VIR_DOMAIN_CHECKPOINT_XML_NO_DOMAIN),
    }
json.dump(out, sys.stdout, indent=1, sort_keys=True)
