#!/usr/bin/env python3
"""Go through Debian's libvirt-go binding: the binding is compiled with cgo
against our headers (found through our pkg-config file) and the program runs
on our library; its output must match the same program built and run on
Debian's libvirt.

Debian's binding always links its lxc and qemu parts against libvirt-lxc.so and
libvirt-qemu.so, separate libraries that use libvirt's private symbols; those
parts are left out of the copy built here.

usage: run_go.py STAGE_DIR
"""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import difftest  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
BINDING = "/usr/share/gocode/src/github.com/libvirt/libvirt-go"


def build(tmp, name, pkgconfig_path):
    gopath = os.path.join(tmp, name)
    dst = os.path.join(gopath, "src", "github.com", "libvirt", "libvirt-go")
    shutil.copytree(BINDING, dst)
    for f in os.listdir(dst):
        if f.startswith(("lxc", "qemu")) or f.endswith("_test.go"):
            os.remove(os.path.join(dst, f))
    prog = os.path.join(gopath, "src", "transcript")
    os.makedirs(prog)
    shutil.copy(os.path.join(HERE, "transcript.go"), prog)
    env = dict(os.environ, GOPATH=gopath, GO111MODULE="off", GOCACHE=os.path.join(tmp, "gocache"),
               GOFLAGS="", CGO_ENABLED="1")
    if pkgconfig_path:
        env["PKG_CONFIG_PATH"] = pkgconfig_path
    exe = os.path.join(tmp, name + "-transcript")
    subprocess.run(["go", "build", "-o", exe, "transcript"], cwd=gopath, env=env, check=True)
    return exe


def main():
    stage = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory() as tmp:
        theirs = build(tmp, "debian", None)
        ours = build(tmp, "ours", os.path.join(stage, "lib", "pkgconfig"))
        want = difftest.run([theirs], difftest.SYSTEM_LIBDIR)
        if want[0] != 0:
            print("reference run failed:", want)
            return 1
        if not difftest.compare("Go transcript", want, difftest.run([ours], os.path.join(stage, "lib"))):
            return 1
    print("run_go: libvirt-go built with cgo on our headers, %d lines identical to libvirt" % len(want[1].splitlines()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
