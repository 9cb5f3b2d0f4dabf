#!/usr/bin/env python3
"""`pkg-config --cflags --libs libvirt` against the installed tree builds the
C examples, and the result runs on our library.

usage: check_pkgconfig.py STAGE_DIR
"""
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    stage = os.path.abspath(sys.argv[1])
    env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(stage, "lib", "pkgconfig"))
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "libvirt"], env=env, check=True,
                           capture_output=True, text=True).stdout.split()
    if "-I%s/include" % stage not in flags or "-L%s/lib" % stage not in flags:
        print("check_pkgconfig: flags do not point at the install tree: %s" % flags)
        return 1
    version = subprocess.run(["pkg-config", "--modversion", "libvirt"], env=env, check=True,
                             capture_output=True, text=True).stdout.strip()
    examples = sorted(f for f in os.listdir(os.path.join(ROOT, "examples-c")) if f.endswith(".c"))
    with tempfile.TemporaryDirectory() as tmp:
        for ex in examples:
            exe = os.path.join(tmp, ex[:-2])
            subprocess.run(["cc", "-Wall", "-Werror", "-o", exe, os.path.join(ROOT, "examples-c", ex)] + flags, check=True)
            run_env = {"PATH": "/usr/bin:/bin", "LD_LIBRARY_PATH": os.path.join(stage, "lib")}
            # The arguments `make demo` gives: a URI, and a domain for domain-xml.
            args = ["test:///default"] + (["test"] if ex == "domain-xml.c" else [])
            r = subprocess.run([exe] + args, env=run_env, capture_output=True, text=True, timeout=60)
            if r.returncode != 0:
                print("check_pkgconfig: %s failed:\n%s%s" % (ex, r.stdout, r.stderr))
                return 1
            libs = subprocess.run(["ldd", exe], env=run_env, capture_output=True, text=True).stdout
            if os.path.join(stage, "lib", "libvirt.so.0") not in libs:
                print("check_pkgconfig: %s did not load the staged library:\n%s" % (ex, libs))
                return 1
    print("check_pkgconfig: libvirt %s; %d example(s) built with pkg-config flags and ran on our library"
          % (version, len(examples)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
