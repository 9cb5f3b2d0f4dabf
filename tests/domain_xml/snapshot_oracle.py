#!/usr/bin/python3
"""Libvirt's view of snapshot documents, on libvirt's own test driver.

Each SNAPSHOT file may start with a comment of settings:
    <!-- domain=NAME state=running|paused|shutoff flags=HALT,LIVE -->
domain=NAME picks the domain defined from domain-NAME.xml beside the file
(default: domain.xml; a NAME containing 'transient' is started as a
transient domain instead of being defined), state= the state it is put in
before the snapshot is taken (default shutoff), flags= the
VIR_DOMAIN_SNAPSHOT_CREATE_* flags (files whose name contains 'redefine'
also get REDEFINE).  Every '@IMG@' in the documents becomes IMAGES.  The
files are taken in order, each domain keeping its snapshots from one file
to the next.  For each file: getXMLDesc(0) and getXMLDesc(SECURE) of the
new snapshot, or the error, and the domain's state afterwards.

usage: snapshot_oracle.py --images IMAGES SNAPSHOT.xml...   (prints JSON: path -> result)
"""
import json
import os
import re
import sys

# libvirt logs its errors and warnings; the results are what it returns.
os.environ.setdefault("LIBVIRT_LOG_OUTPUTS", "1:file:/dev/null")
import libvirt  # noqa: E402

libvirt.registerErrorHandler(lambda ctx, err: None, None)

args = sys.argv[1:]
images = ""
if args[:1] == ["--images"]:
    images, args = args[1], args[2:]


def read(path):
    with open(path) as fp:
        return fp.read().replace("@IMG@", images)


def settings(doc):
    m = re.match(r"\s*<!--(.*?)-->", doc, re.S)
    out = {}
    for word in (m.group(1).split() if m else []):
        key, _, value = word.partition("=")
        out[key] = value
    return out


conn = libvirt.open("test:///default")
domains = {}


def domain(directory, name):
    if name not in domains:
        path = os.path.join(directory, "domain-%s.xml" % name if name else "domain.xml")
        if "transient" in name:
            domains[name] = conn.createXML(read(path), 0)
        else:
            domains[name] = conn.defineXML(read(path))
    return domains[name]


def set_state(dom, state):
    current = dom.state()[0]
    if state == "shutoff":
        if current != libvirt.VIR_DOMAIN_SHUTOFF:
            dom.destroy()
        return
    if current == libvirt.VIR_DOMAIN_SHUTOFF:
        dom.create()
        current = libvirt.VIR_DOMAIN_RUNNING
    if state == "paused" and current != libvirt.VIR_DOMAIN_PAUSED:
        dom.suspend()
    if state == "running" and current == libvirt.VIR_DOMAIN_PAUSED:
        dom.resume()


out = {}
for path in args:
    xml = read(path)
    conf = settings(xml)
    dom = domain(os.path.dirname(path), conf.get("domain", ""))
    set_state(dom, conf.get("state", "shutoff"))
    flags = 0
    for name in filter(None, conf.get("flags", "").split(",")):
        flags |= getattr(libvirt, "VIR_DOMAIN_SNAPSHOT_CREATE_" + name)
    if "redefine" in os.path.basename(path):
        flags |= libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE
    try:
        snap = dom.snapshotCreateXML(xml, flags)
        result = {
            "default": snap.getXMLDesc(0),
            "secure": snap.getXMLDesc(libvirt.VIR_DOMAIN_SNAPSHOT_XML_SECURE),
        }
    except libvirt.libvirtError as e:
        result = {"error": [e.get_error_code(), e.get_error_domain(), e.get_error_message()]}
    result["state"] = dom.state()[0]
    out[path] = result
json.dump(out, sys.stdout, indent=1, sort_keys=True)
