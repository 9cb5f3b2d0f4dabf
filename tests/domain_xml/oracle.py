#!/usr/bin/python3
"""Libvirt's view of each domain XML case: defines it on libvirt's own test
driver (Debian's libvirt 9.0, through python3-libvirt) and records what
XMLDesc returns for each flag combination, or the error.

usage: oracle.py [--without-default-domain] CASE.xml...
       (prints one JSON object: path -> result; the option first removes the
       test driver's built-in domain 'test', whose name other files reuse)
"""
import json
import sys

import libvirt

FLAGS = {
    "default": 0,
    "inactive": libvirt.VIR_DOMAIN_XML_INACTIVE,
    "secure": libvirt.VIR_DOMAIN_XML_SECURE,
    "migratable": libvirt.VIR_DOMAIN_XML_MIGRATABLE,
}

libvirt.registerErrorHandler(lambda ctx, err: None, None)
conn = libvirt.open("test:///default")
args = sys.argv[1:]
if args and args[0] == "--without-default-domain":
    args = args[1:]
    builtin = conn.lookupByName("test")
    builtin.destroy()
    builtin.undefine()
out = {}
for path in args:
    with open(path) as fp:
        xml = fp.read()
    try:
        dom = conn.defineXML(xml)
    except libvirt.libvirtError as e:
        out[path] = {"error": [e.get_error_code(), e.get_error_domain(), e.get_error_message()]}
        continue
    out[path] = {name: dom.XMLDesc(flag) for name, flag in FLAGS.items()}
    dom.undefine()
json.dump(out, sys.stdout, indent=1, sort_keys=True)
