#!/usr/bin/env python3
"""Acceptance 2: tests/c/core.c, compiled against Debian's libvirt headers and
against ours, must behave on our library exactly as on Debian's libvirt.

The reference output is produced in the same run by the same program on
Debian's libvirt.so.0; nothing is hard-coded.  Configuration-dependent parts
(default URI, libvirt.conf aliases) run as an unprivileged user with
XDG_CONFIG_HOME pointing at a private directory, where libvirt and we both
look for libvirt.conf.

usage: run_core.py STAGE_DIR
"""
import os
import pwd
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import difftest  # noqa: E402
from difftest import SYSTEM_LIBDIR, compare  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))

NODES = {
    "plain.xml": "<node><cpu><mhz>2000</mhz><model>x86_64</model><nodes>1</nodes><sockets>1</sockets>"
                 "<cores>4</cores><threads>1</threads><active>4</active></cpu><memory>1048576</memory></node>",
    "defaults.xml": "<node/>",
    "badmhz.xml": "<node><cpu><mhz>abc</mhz></cpu></node>",
    "badroot.xml": "<nodex/>",
    "longmodel.xml": "<node><cpu><model>01234567890123456789012345678901</model></cpu></node>",
    "auth.xml": "<node><auth><user password='secret'>alice</user><user>bob</user></auth></node>",
}

CONF = """# libvirt.conf for the default-URI test
uri_default = "test:///default?from=conf"
uri_aliases = [
  "mytest=test:///default?alias=mytest",
  "my-test_2=test:///default?alias=2",
]
"""

BAD_CONF = 'uri_aliases = [ "bad.alias=test:///default" ]\n'


def build(tmp, stage):
    src = os.path.join(HERE, "core.c")
    debian = os.path.join(tmp, "core-debian")
    ours = os.path.join(tmp, "core-ours")
    flags = ["-std=gnu11", "-Wall", "-Werror", "-Wno-deprecated-declarations"]
    subprocess.run(["cc"] + flags + ["-o", debian, src, "-lvirt"], check=True)
    subprocess.run(["cc"] + flags + ["-I", os.path.join(stage, "include"), "-o", ours, src,
                    "-L", os.path.join(stage, "lib"), "-lvirt"], check=True)
    return debian, ours


def run(exe, args, libdir, env=None, user=None, stdin=None):
    """One run of the program, optionally as `user` and without a controlling
    terminal (when `stdin` is given, so prompts read everything from stdin)."""
    cmd = [exe] + args
    if user is not None:
        cmd = ["setpriv", "--reuid=%d" % user.pw_uid, "--regid=%d" % user.pw_gid, "--clear-groups"] + cmd
    if stdin is not None:
        cmd = ["setsid", "--wait"] + cmd
    return difftest.run(cmd, libdir, dict(env or {}, LANG="C"), stdin)


def main():
    stage = os.path.abspath(sys.argv[1])
    ourlib = os.path.join(stage, "lib")
    ok = True
    checks = 0
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o755)
        nodes = os.path.join(tmp, "nodes")
        os.mkdir(nodes)
        for name, text in NODES.items():
            with open(os.path.join(nodes, name), "w") as fp:
                fp.write(text)
        debian, ours = build(tmp, stage)
        expected = run(debian, [nodes], SYSTEM_LIBDIR)
        if expected[0] != 0:
            print("reference run failed:", expected)
            return 1
        for label, exe in (("Debian-built program", debian), ("program built on our headers", ours)):
            checks += 1
            ok &= compare(label + " on our library", expected, run(exe, [nodes], ourlib))

        # The terminal prompter behind virConnectAuthPtrDefault, fed on stdin.
        for label, answers in (("answers", "bob\nsecret\n\nalice\nsecret\n"), ("defaults", "\n\n\n"),
                               ("end of input", "")):
            want = run(debian, [nodes, "terminal"], SYSTEM_LIBDIR, stdin=answers)
            for exe in (debian, ours):
                checks += 1
                ok &= compare("terminal prompter (%s)" % label, want,
                              run(exe, [nodes, "terminal"], ourlib, stdin=answers))

        # Default URI and aliases, as an unprivileged user with a private config dir.
        user = pwd.getpwnam("nobody") if os.geteuid() == 0 else None
        home = os.path.join(tmp, "home")
        confdir = os.path.join(home, ".config", "libvirt")
        os.makedirs(confdir)
        scenarios = [
            ("env only", None, {"LIBVIRT_DEFAULT_URI": "test:///default?from=env"}),
            ("conf only", CONF, {}),
            ("env beats conf", CONF, {"LIBVIRT_DEFAULT_URI": "test:///default?from=env"}),
            ("env is an alias", CONF, {"LIBVIRT_DEFAULT_URI": "mytest"}),
            ("malformed alias", BAD_CONF, {"LIBVIRT_DEFAULT_URI": "test:///default"}),
        ]
        for label, conf, env in scenarios:
            path = os.path.join(confdir, "libvirt.conf")
            if conf is None:
                if os.path.exists(path):
                    os.remove(path)
            else:
                with open(path, "w") as fp:
                    fp.write(conf)
            for root, dirs, files in os.walk(tmp):
                for d in dirs:
                    os.chmod(os.path.join(root, d), 0o755)
                for f in files:
                    os.chmod(os.path.join(root, f), 0o755)
            env = dict(env, HOME=home, XDG_CONFIG_HOME=os.path.join(home, ".config"))
            want = run(debian, [nodes, "default-uri"], SYSTEM_LIBDIR, env, user)
            for exe in (debian, ours):
                checks += 1
                ok &= compare("default URI (%s)" % label, want, run(exe, [nodes, "default-uri"], ourlib, env, user))
    print("run_core: %d comparisons, %s" % (checks, "all identical to libvirt" if ok else "DIFFERENCES"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
