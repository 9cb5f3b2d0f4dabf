"""What every differential test runner shares: run a program on Debian's
libvirt and on ours, and compare what they print.

A run sets EXPECT_LIBVIRT_DIR so that the program itself can check, through
/proc/self/maps, that the libvirt.so.0 it loaded is the intended one.
"""
import difflib
import subprocess
import sys

SYSTEM_LIBDIR = "/usr/lib/x86_64-linux-gnu"

# libxml2, which libvirt reads XML with, prints its own diagnostics to stderr;
# they are libxml2's behaviour, not libvirt's, and are left out of comparisons.
LIBXML2_NOISE = ("I/O warning : ", "I/O error : ")


def run(cmd, libdir, env=None, stdin=None, timeout=120):
    """Runs `cmd` with the libvirt.so.0 of `libdir`; (exit status, stdout, stderr)."""
    full = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": "/nonexistent", "EXPECT_LIBVIRT_DIR": libdir}
    full.update(env or {})
    if libdir != SYSTEM_LIBDIR:
        full["LD_LIBRARY_PATH"] = libdir
    r = subprocess.run(cmd, capture_output=True, text=True, env=full, timeout=timeout, input=stdin)
    err = "".join(l for l in r.stderr.splitlines(True) if not l.startswith(LIBXML2_NOISE))
    return r.returncode, r.stdout, err


def compare(label, want, got):
    """True when both runs match; otherwise prints what differs."""
    if want == got:
        return True
    for name, a, b in zip(("exit status", "stdout", "stderr"), want, got):
        if a == b:
            continue
        print("%s: %s differs from libvirt's" % (label, name))
        if isinstance(a, int):
            print("  libvirt %d, ours %d" % (a, b))
        else:
            sys.stdout.writelines(difflib.unified_diff(a.splitlines(True), b.splitlines(True), "libvirt", "ours"))
    return False


def both(label, cmd, ourlib, env=None):
    """Runs `cmd` on libvirt and on ours; exit status 0 when identical."""
    want = run(cmd, SYSTEM_LIBDIR, env)
    if want[0] != 0:
        print("%s: the reference run on libvirt failed:\n%s%s" % (label, want[1], want[2]))
        return 1, want
    return (0 if compare(label, want, run(cmd, ourlib, env)) else 1), want


def judge(label, want, got, ref="libvirt's", reference_must_pass=True):
    """Prints the verdict on one pair of runs; True when they match (and,
    when `reference_must_pass`, the reference run succeeded)."""
    if want[0] != 0 and reference_must_pass:
        print("%s: the reference run failed:\n%s%s" % (label, want[1], want[2]))
        return False
    if compare(label, want, got):
        print("%s: %d lines identical to %s" % (label, len(want[1].splitlines()), ref))
        return True
    return False
