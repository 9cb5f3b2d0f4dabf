#!/usr/bin/env python3
"""Acceptance 1: the built library exports exactly libvirt 9.0.0's public ABI.

Compares `objdump -T` of our library with Debian's libvirt.so.0: every public
symbol (LIBVIRT_x.y.z nodes, not LIBVIRT_PRIVATE_*) present with the same
version node and kind, no other exported symbol, the same version-node chain,
data symbols of the same size, and the soname libvirt.so.0.

usage: check_symbols.py OURS.so [REFERENCE.so]
"""
import re
import subprocess
import sys


def dynsyms(path):
    out = subprocess.run(["objdump", "-T", path], check=True, capture_output=True, text=True).stdout
    syms = {}
    for line in out.splitlines():
        m = re.match(r"^([0-9a-f]{16}) (.{7}) (\S+)\s+([0-9a-f]{16})\s+(?:\((\S+)\)|(\S+))?\s+(\S+)$", line)
        if not m:
            continue
        addr, flags, section, size, hidden_ver, ver, name = m.groups()
        ver = ver or hidden_ver or ""
        if section == "*UND*":
            continue
        syms[name] = (ver, flags.strip(), section, int(size, 16))
    return syms


def version_chain(path):
    out = subprocess.run(["readelf", "-V", path], check=True, capture_output=True, text=True).stdout
    chain = {}
    current = None
    for line in out.splitlines():
        m = re.search(r"Name: (\S+)", line)
        if m and "Flags" in line:
            current = m.group(1)
            chain[current] = None
            continue
        m = re.search(r"Parent 1: (\S+)", line)
        if m and current:
            chain[current] = m.group(1)
    return {k: v for k, v in chain.items() if k.startswith("LIBVIRT_") and not k.startswith("LIBVIRT_PRIVATE")}


def soname(path):
    out = subprocess.run(["readelf", "-d", path], check=True, capture_output=True, text=True).stdout
    m = re.search(r"Library soname: \[(.*)\]", out)
    return m.group(1) if m else None


def public(syms):
    return {n: v for n, v in syms.items()
            if v[0].startswith("LIBVIRT_") and not v[0].startswith("LIBVIRT_PRIVATE") and v[2] != "*ABS*"}


def main():
    ours = sys.argv[1]
    ref = sys.argv[2] if len(sys.argv) > 2 else "/usr/lib/x86_64-linux-gnu/libvirt.so.0"
    problems = []
    mine, theirs = dynsyms(ours), public(dynsyms(ref))
    exported = {n: v for n, v in mine.items() if v[2] != "*ABS*"}
    for name, (ver, flags, section, size) in sorted(theirs.items()):
        if name not in exported:
            problems.append("missing: %s@%s" % (name, ver))
            continue
        mver, mflags, msection, msize = exported[name]
        if mver != ver:
            problems.append("%s: version node %s, libvirt has %s" % (name, mver, ver))
        kind, mkind = flags.split()[-1], mflags.split()[-1]
        if kind != mkind:
            problems.append("%s: kind %s, libvirt has %s" % (name, mkind, kind))
        if kind == "DO" and msize != size:
            problems.append("%s: data size %d, libvirt has %d" % (name, msize, size))
    for name in sorted(set(exported) - set(theirs)):
        problems.append("extra exported symbol: %s (%s)" % (name, exported[name][0]))
    if version_chain(ours) != version_chain(ref):
        problems.append("version node chain differs from libvirt's")
    if soname(ours) != "libvirt.so.0":
        problems.append("soname is %r" % soname(ours))
    if problems:
        print("\n".join(problems))
        print("check_symbols: %d problem(s)" % len(problems))
        return 1
    print("check_symbols: %d public symbols with libvirt's version nodes, nothing else exported, soname libvirt.so.0"
          % len(theirs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
