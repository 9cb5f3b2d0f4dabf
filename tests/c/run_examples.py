#!/usr/bin/env python3
"""The programs in examples-c/, as a libvirt user writes them, must behave on
our library exactly as on Debian's libvirt.

Each example is compiled twice, the way its usage comment says: against
Debian's headers (`cc ... -lvirt`) and against ours (`pkg-config --cflags
--libs libvirt` with the staged libvirt.pc).  Both binaries run on our
library and must print what the Debian-built one prints on Debian's libvirt
(the reference, produced in the same run).  The binary built on our headers
also runs on Debian's libvirt, which checks that our headers give a program
libvirt's own ABI.

The examples do not look at /proc/self/maps themselves, so before comparing,
the runner asks the dynamic loader (LD_TRACE_LOADED_OBJECTS) which
libvirt.so.0 each run resolves to.

usage: run_examples.py STAGE_DIR [EXAMPLE...]
       run_examples.py --self-check [EXAMPLE...]
           runs each Debian-built example twice on Debian's libvirt and
           compares the runs (the examples' output must be deterministic)
"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import difftest  # noqa: E402
from difftest import SYSTEM_LIBDIR, compare  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.join(HERE, "..", "..", "examples-c")
CFLAGS = ["-std=c11", "-Wall", "-Werror"]

TEST_NS = "xmlns:test='http://libvirt.org/schemas/domain/test/1.0'"


def guest(name, n, extra=""):
    return ("<domain type='test' %s>%s<name>%s</name><uuid>1b5e3c2a-0000-4000-8000-%012d</uuid>"
            "<memory>65536</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain>" % (TEST_NS, extra, name, n))


# A node file with guests in every state the test driver can load.
NODE = "<node>%s</node>" % "".join([
    guest("alpha", 1),
    guest("beta", 2, "<test:runstate>3</test:runstate>"),
    guest("gamma", 3, "<test:runstate>5</test:runstate>"),
    guest("delta", 4, "<test:transient/>"),
    guest("epsilon", 5, "<test:runstate>5</test:runstate><test:hasmanagedsave/>"),
    guest("zeta", 6, "<test:runstate>7</test:runstate>"),
])

# (example, arguments) pairs; a failing run (exit status, stderr) is compared like any other.
def cases(node):
    uri = "test://" + node
    return [
        ("demo", ["test:///default"]),
        ("list-domains", []),
        ("list-domains", ["test:///default"]),
        ("list-domains", [uri]),
        ("list-domains", ["test:///"]),
        ("domain-xml", ["test"]),
        ("domain-xml", ["test:///default", "test", "--inactive"]),
        ("domain-xml", ["test", "--secure"]),
        ("domain-xml", ["test", "--migratable"]),
        ("domain-xml", ["test", "--update-cpu"]),
        ("domain-xml", ["1"]),
        ("domain-xml", ["6695eb01-f6a4-8304-79aa-97f2502e193f"]),
        ("domain-xml", ["no-such-domain"]),
        ("domain-xml", [uri, "beta"]),
        ("domain-xml", [uri, "gamma"]),
        ("domain-xml", [uri, "4", "--inactive"]),
        ("domain-xml", []),
        ("domain-xml", ["test", "--bogus"]),
        ("lifecycle", []),
        ("lifecycle", [uri]),
        ("errors", []),
        ("events", []),
        ("events", [uri]),
    ]


def build(tmp, stage, name):
    src = os.path.join(EXAMPLES, name + ".c")
    debian = os.path.join(tmp, name + "-debian")
    ours = os.path.join(tmp, name + "-ours")
    subprocess.run(["cc"] + CFLAGS + ["-o", debian, src, "-lvirt"], check=True)
    if stage is None:
        return (debian,)
    env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(stage, "lib", "pkgconfig"))
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "libvirt"], env=env, check=True,
                           capture_output=True, text=True).stdout.split()
    if not any(f.startswith("-I" + stage) for f in flags):
        sys.exit("pkg-config did not point at the staged headers: %s" % flags)
    subprocess.run(["cc"] + CFLAGS + ["-o", ours, src] + flags, check=True)
    return debian, ours


def resolved_libvirt(exe, libdir):
    """The libvirt.so.0 the dynamic loader picks for `exe` in a run with `libdir`."""
    _, out, _ = difftest.run([exe], libdir, {"LD_TRACE_LOADED_OBJECTS": "1"})
    for line in out.splitlines():
        if line.strip().startswith("libvirt.so.0"):
            return os.path.realpath(line.split("=>")[1].split("(")[0].strip())
    return None


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    self_check = sys.argv[1] == "--self-check"
    stage = None if self_check else os.path.abspath(sys.argv[1])
    only = set(sys.argv[2:])
    ourlib = SYSTEM_LIBDIR if self_check else os.path.join(stage, "lib")
    ok = True
    checks = 0
    with tempfile.TemporaryDirectory() as tmp:
        node = os.path.join(tmp, "node.xml")
        with open(node, "w") as fp:
            fp.write(NODE)
        binaries = {}
        for name in sorted({c[0] for c in cases(node)}):
            if only and name not in only:
                continue
            binaries[name] = build(tmp, stage, name)
            for exe in binaries[name]:
                for libdir in (SYSTEM_LIBDIR, ourlib):
                    got = resolved_libvirt(exe, libdir)
                    if not got or not got.startswith(os.path.realpath(libdir) + "/"):
                        sys.exit("%s: loader resolves libvirt.so.0 to %s, not in %s" % (exe, got, libdir))
        for name, args in cases(node):
            if name not in binaries:
                continue
            debian = binaries[name][0]
            label = " ".join([name] + [a.replace(tmp, "$TMP") for a in args])
            want = difftest.run([debian] + args, SYSTEM_LIBDIR)
            runs = [("second run on libvirt", debian, SYSTEM_LIBDIR)] if self_check else [
                ("Debian-built, our library", debian, ourlib),
                ("built on our headers, our library", binaries[name][1], ourlib),
                ("built on our headers, libvirt", binaries[name][1], SYSTEM_LIBDIR)]
            for what, exe, libdir in runs:
                checks += 1
                ok &= compare("%s (%s)" % (label, what), want, difftest.run([exe] + args, libdir))
    print("run_examples: %d comparisons, %s" % (checks, (
        "deterministic on libvirt" if self_check else "all identical to libvirt") if ok else "DIFFERENCES"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
