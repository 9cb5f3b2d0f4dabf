#!/usr/bin/env python3
"""Every exported function, called with NULL pointers and zero values.

A C program generated from libvirt's API description calls each of the 516
functions in a forked child with all arguments NULL / 0 and prints the return
value and the last error.  It runs on Debian's libvirt (the reference) and on
ours: wherever libvirt returns, ours must return the same value and raise the
same error (code, domain, message); wherever libvirt crashes, ours must fail
cleanly (failure value and an error, or nothing for void functions) instead.

usage: null_sweep.py STAGE_DIR
"""
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

API = "/usr/share/libvirt/api/libvirt-api.xml"
SYSTEM_LIBDIR = "/usr/lib/x86_64-linux-gnu"

PROLOGUE = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <signal.h>
#include <sys/wait.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

static void quiet(void *u, virErrorPtr e) { (void)u; (void)e; }

static void report(const char *name, const char *rc)
{
    virErrorPtr e = virGetLastError();
    if (e)
        printf("%s rc=%s error=%d/%d [%s]\n", name, rc, e->code, e->domain, e->message ? e->message : "(null)");
    else
        printf("%s rc=%s no-error\n", name, rc);
}

static void run(const char *name, void (*call)(void))
{
    pid_t pid;
    int status;
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        /* virEventRunDefaultImpl waits forever when nothing is registered. */
        alarm(5);
        virResetLastError();
        call();
        fflush(stdout);
        _exit(0);
    }
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
        printf("%s BLOCKS\n", name);
    else if (WIFSIGNALED(status))
        printf("%s CRASH signal %d\n", name, WTERMSIG(status));
    else if (WEXITSTATUS(status) != 0)
        printf("%s EXIT %d\n", name, WEXITSTATUS(status));
}
"""


def generate():
    root = ET.parse(API).getroot()
    funcs = sorted(root.iter("function"), key=lambda f: f.get("name"))
    out = [PROLOGUE]
    for f in funcs:
        name = f.get("name")
        ret = f.find("return").get("type")
        args = ", ".join("0" for _ in f.findall("arg"))
        call = "%s(%s)" % (name, args)
        out.append("static void call_%s(void) {" % name)
        if ret == "void":
            out.append("    %s; report(\"%s\", \"void\");" % (call, name))
        elif "*" in ret or ret.endswith("Ptr"):
            out.append("    report(\"%s\", %s ? \"ptr:set\" : \"ptr:NULL\");" % (name, call))
        else:
            out.append("    char buf[64]; snprintf(buf, sizeof buf, \"%%lld\", (long long)%s); report(\"%s\", buf);"
                       % (call, name))
        out.append("}")
    out.append("int main(void) {\n    virInitialize();\n    virSetErrorFunc(NULL, quiet);\n    setvbuf(stdout, NULL, _IOLBF, 0);")
    for f in funcs:
        out.append("    run(\"%s\", call_%s);" % (f.get("name"), f.get("name")))
    out.append("    return 0;\n}")
    return "\n".join(out) + "\n", len(funcs)


def outcomes(exe, libdir):
    env = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "LIBVIRT_DEFAULT_URI": "test:///default"}
    if libdir != SYSTEM_LIBDIR:
        env["LD_LIBRARY_PATH"] = libdir
    r = subprocess.run([exe], capture_output=True, text=True, env=env, timeout=300)
    result = {}
    for line in r.stdout.splitlines():
        name, _, rest = line.partition(" ")
        result[name] = rest
    return result


def main():
    stage = os.path.abspath(sys.argv[1])
    src, count = generate()
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        c = os.path.join(tmp, "sweep.c")
        exe = os.path.join(tmp, "sweep")
        with open(c, "w") as fp:
            fp.write(src)
        subprocess.run(["cc", "-w", "-o", exe, c, "-lvirt"], check=True)
        theirs = outcomes(exe, SYSTEM_LIBDIR)
        ours = outcomes(exe, os.path.join(stage, "lib"))
    crashed = 0
    for name in sorted(theirs):
        want, got = theirs[name], ours.get(name, "(no output)")
        if "CRASH" in got or "EXIT" in got or got == "(no output)":
            problems.append("%s: %s" % (name, got))
        elif want.startswith("CRASH"):
            crashed += 1
            # The error accessors must not raise errors themselves: for them a
            # failure value is the clean way out.
            accessor = name.startswith("virConn") and name.endswith("LastError")
            if not (got.startswith("rc=void") or " error=" in got or (accessor and got.startswith("rc=-1"))):
                problems.append("%s: libvirt crashes; ours returned %s without an error" % (name, got))
        elif want != got:
            problems.append("%s:\n  libvirt: %s\n  ours:    %s" % (name, want, got))
    if len(theirs) != count:
        problems.append("reference run covered %d of %d functions" % (len(theirs), count))
    if problems:
        print("\n".join(problems))
        print("null_sweep: %d of %d functions differ" % (len(problems), count))
        return 1
    print("null_sweep: %d functions called with NULLs: %d identical to libvirt, %d where libvirt crashes fail cleanly"
          % (count, count - crashed, crashed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
