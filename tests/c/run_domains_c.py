#!/usr/bin/env python3
"""tests/c/domains.c, compiled against Debian's libvirt headers and against
ours, must behave on our library exactly as on Debian's libvirt.

The reference output comes from the same program on Debian's libvirt in the
same run; nothing is hard-coded.  Every run gets the same, freshly emptied
scratch directory (save images are written there, and error messages may
name it).

usage: run_domains_c.py STAGE_DIR [SECTION...]
       run_domains_c.py --self-check [SECTION...]
           runs the Debian-built program twice on Debian's libvirt and
           compares the runs (everything printed must be deterministic)
"""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import difftest  # noqa: E402
from difftest import SYSTEM_LIBDIR, compare  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CFLAGS = ["-std=c11", "-Wall", "-Werror"]
TEST_NS = "xmlns:test='http://libvirt.org/schemas/domain/test/1.0'"


def guest(name, n, extra=""):
    return ("<domain type='test' %s>%s<name>%s</name><uuid>9d7c51e4-0000-4000-8000-%012d</uuid>"
            "<memory>65536</memory><vcpu>1</vcpu><os><type>hvm</type></os>"
            "<devices><disk type='file' device='disk'><source file='/guest/%s.img'/>"
            "<target dev='vda' bus='virtio'/></disk></devices></domain>" % (TEST_NS, extra, name, n, name))


def runstate(n):
    return "<test:runstate>%d</test:runstate>" % n


SNAPSHOT = ("<test:domainsnapshot><name>loaded</name><creationTime>1400000000</creationTime><state>running</state>"
            "<active>1</active><domain type='test'><name>snapped</name>"
            "<uuid>9d7c51e4-0000-4000-8000-000000000007</uuid><memory>65536</memory><os><type>hvm</type></os>"
            "</domain></test:domainsnapshot>")

FLEET = "<node>%s</node>" % "".join([
    guest("running", 1),
    guest("paused", 2, runstate(3)),
    guest("shutoff", 3, runstate(5)),
    guest("saved", 4, runstate(5) + "<test:hasmanagedsave/>"),
    guest("transient", 5, "<test:transient/>"),
    guest("pmsuspended", 6, runstate(7)),
    guest("snapped", 7, SNAPSHOT),
    guest("crashed", 8, runstate(6)),
    guest("blocked", 9, runstate(2)),
    guest("shuttingdown", 10, runstate(4)),
])


def build(tmp, stage):
    src = os.path.join(HERE, "domains.c")
    debian = os.path.join(tmp, "domains-debian")
    subprocess.run(["cc"] + CFLAGS + ["-o", debian, src, "-lvirt"], check=True)
    if stage is None:
        return debian, None
    ours = os.path.join(tmp, "domains-ours")
    subprocess.run(["cc"] + CFLAGS + ["-I", os.path.join(stage, "include"), "-o", ours, src,
                    "-L", os.path.join(stage, "lib"), "-lvirt"], check=True)
    return debian, ours


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    self_check = args[0] == "--self-check"
    stage = None if self_check else os.path.abspath(args[0])
    sections = args[1:]
    ourlib = SYSTEM_LIBDIR if self_check else os.path.join(stage, "lib")
    ok = True
    checks = 0
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o755)
        nodes = os.path.join(tmp, "nodes")
        os.mkdir(nodes)
        with open(os.path.join(nodes, "fleet.xml"), "w") as fp:
            fp.write(FLEET)
        scratch = os.path.join(tmp, "scratch")
        debian, ours = build(tmp, stage)

        def run(exe, libdir):
            shutil.rmtree(scratch, ignore_errors=True)
            os.mkdir(scratch)
            return difftest.run([exe, nodes, scratch] + sections, libdir, {"LANG": "C"})

        expected = run(debian, SYSTEM_LIBDIR)
        if expected[0] != 0:
            print("reference run failed:", expected)
            return 1
        runs = [("second run on libvirt", debian)] if self_check else [
            ("Debian-built program on our library", debian), ("program built on our headers", ours)]
        for label, exe in runs:
            checks += 1
            ok &= compare(label, expected, run(exe, ourlib))
    print("run_domains_c: %d comparisons of %d lines, %s" % (
        checks, len(expected[1].splitlines()),
        ("deterministic on libvirt" if self_check else "all identical to libvirt") if ok else "DIFFERENCES"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
