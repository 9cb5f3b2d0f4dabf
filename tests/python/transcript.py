"""Drives Debian's unmodified python3-libvirt and prints what it sees.

run_python.py runs this once on Debian's libvirt (the reference) and once on
our library, and requires identical output.  With EXPECT_LIBVIRT_DIR set, the
script first proves (through /proc/self/maps) that the libvirt.so.0 in that
directory is the one the binding loaded.
"""
import os
import sys

import libvirt

import mapped


mapped.check()

seen = []


def handler(ctx, err):
    seen.append((ctx, err[0], err[1], err[2]))


def attempt(label, f, *args):
    try:
        r = f(*args)
        if isinstance(r, libvirt.virConnect):
            r = "<connection %s>" % r.getURI()
        print("%s -> %r" % (label, r))
        return r
    except libvirt.libvirtError as e:
        print("%s -> error code=%s domain=%s level=%s message=%r" % (
            label, e.get_error_code(), e.get_error_domain(), e.get_error_level(), e.get_error_message()))
        return None


print("getVersion", libvirt.getVersion())
print("getVersion(Test)", libvirt.getVersion("Test"))
libvirt.registerErrorHandler(handler, "ctx")
attempt("open test:///", libvirt.open, "test:///")
print("handler saw", seen)
attempt("open test", libvirt.open, "test")
attempt("open bad uri", libvirt.open, "bogus uri with spaces")
print("handler saw", len(seen), "errors")
print("virGetLastError", libvirt.virGetLastError())
libvirt.virResetLastError()
print("after reset", libvirt.virGetLastError())
print("virEventRegisterDefaultImpl", libvirt.virEventRegisterDefaultImpl())

conn = libvirt.open("test:///default")
for name in ("getType", "getVersion", "getLibVersion", "getURI", "getInfo", "isAlive", "isSecure", "isEncrypted"):
    attempt(name, getattr(conn, name))
attempt("getMaxVcpus", conn.getMaxVcpus, None)
print("hostname non-empty", bool(conn.getHostname()))
caps = conn.getCapabilities()
print("capabilities", len(caps), caps.splitlines()[0], caps.splitlines()[-1])
attempt("setKeepAlive", conn.setKeepAlive, 5, 3)
ro = libvirt.openReadOnly("test:///default")
attempt("read-only uri", ro.getURI)


def auth_cb(creds, data):
    for c in creds:
        print("  asked", c[0], c[1], c[2])
        c[4] = {libvirt.VIR_CRED_AUTHNAME: "alice", libvirt.VIR_CRED_PASSPHRASE: data}.get(c[0])
    return 0


node = sys.argv[1]
for pw in ("secret", "wrong"):
    attempt("openAuth " + pw, libvirt.openAuth, "test://" + node,
            [[libvirt.VIR_CRED_AUTHNAME, libvirt.VIR_CRED_PASSPHRASE], auth_cb, pw], 0)
print("close", ro.close(), conn.close())
