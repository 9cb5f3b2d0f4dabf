#!/usr/bin/env python3
"""The ssh and ext transports, each case run with Debian's libvirt client
and with ours; outputs must be identical:
  - argv: the command line and environment the client gives `ssh` (and an
    `ext` command) for ~25 URIs, recorded by a stand-in command, and the
    error (with the command's stderr) when it hangs up;
  - peer: a private sshd (sshd.py) in front of a private libvirtd
    (libvirtd.py), reached with the netcat proxy (socket=): known host key,
    no_verify with none, unknown and wrong host keys, a key that is not
    authorised, a socket that does not exist, read-only, the ext transport
    through `nc -U`, and libssh/libssh2 URIs (known_hosts, sshauth,
    known_hosts_verify) which libvirt serves in-process and we map onto
    the ssh binary;
  - the python transcripts (domains.py, netstore.py) over ssh.  With
    --same-as-unix they run only on our library and must match our run over
    the unix socket (tests/run-all uses that form until the remote driver
    has every procedure the transcripts use).

usage: run_ssh.py [--same-as-unix] STAGE_DIR [SUITE...]   (suites: argv peer domains netstore)
"""
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
import difftest  # noqa: E402
from libvirtd import Daemon, free_port  # noqa: E402
from sshd import Sshd  # noqa: E402

CASES = os.path.join(HERE, "ssh_cases.py")
# What the client's environment holds, so the pass-through is compared.
ENV = {"TERM": "dumb", "DISPLAY": ":9", "XAUTHORITY": "/xa", "GPG_TTY": "/dev/null",
       "SSH_ASKPASS": "/ask", "KRB5CCNAME": "krb", "USER": "root", "LOGNAME": "root",
       "TMPDIR": "/tmp", "FOO": "not passed", "XDG_RUNTIME_DIR": "/run/user/0"}


def logger(work):
    """A stand-in for ssh: records argv and environment, reads the start of
    the first packet, complains on stderr and hangs up."""
    log = os.path.join(work, "argv.log")
    path = os.path.join(work, "fake-ssh")
    with open(path, "w") as f:
        f.write("#!/bin/sh\nfor a in \"$0\" \"$@\"; do printf '[%%s] ' \"$a\"; done > %s\n"
                "echo >> %s\nenv | grep -v -e ^PWD= -e ^LD_LIBRARY_PATH= -e ^EXPECT_LIBVIRT_DIR= | sort >> %s\n"
                "head -c 4 >/dev/null\necho 'fake-ssh: no such host' >&2\nexit 255\n" % (log, log, log))
    os.chmod(path, 0o755)
    return path, log


def argv_uris(cmd):
    c = "command=" + cmd
    return [
        "test+ssh://root@h/default?" + c,
        "qemu+ssh://h/system?" + c,
        "ro:qemu+ssh://h/system?" + c,
        "qemu+ssh://u@h:2222/system?%s&keyfile=/k&no_tty=1&no_verify=1" % c,
        "qemu+ssh://h/system?%s&socket=/tmp/s" % c,
        "ro:qemu+ssh://h/system?%s&socket=/tmp/s" % c,
        "qemu+ssh://h/system?%s&netcat=/bin/nc" % c,
        "qemu+ssh://h/session?" + c,
        "qemu+ssh://h/system?%s&proxy=native" % c,
        "ro:qemu+ssh://h/system?%s&proxy=native" % c,
        "qemu+ssh://h/system?%s&proxy=netcat" % c,
        "qemu+ssh://h/system?%s&proxy=native&socket=/x/s" % c,
        "qemu+ssh://h/system?%s&proxy=bogus" % c,
        "qemu+ssh://h/system?%s&mode=direct" % c,
        "qemu+ssh://h/system?%s&mode=legacy" % c,
        "qemu+ssh://h/system?%s&foo=bar%%20baz" % c,
        "test+ssh://h/default?%s&name=test:///x" % c,
        "qemu+ssh://h/system?%s&socket=/tmp/it's" % c,
        "remote+ssh://h/?" + c,
        "test+ssh://h/default?%s&netcat=/my%%20nc&proxy=auto" % c,
        "test+ssh://h/default?%s&socket=" % c,
        "test+ssh:///default?" + c,
        "test+ssh://h/default?%s&no_tty=yes" % c,
        "test+ext:///default?" + c,
        "test+ext://h:33/default?%s&socket=/x" % c,
        "test+ext:///default",
        # A command that cannot run is left out: libvirt itself reports it
        # either as "Cannot write data: Broken pipe" or as the child's
        # complaint, depending on which side of the fork gets there first.
    ]


def peer_uris(s, socket, work):
    base = "test+ssh://root@127.0.0.1:%d/default?keyfile=%s&socket=%s" % (s.port, s.key, socket)
    nc = os.path.join(work, "nc-unix")
    with open(nc, "w") as f:
        f.write("#!/bin/sh\nexec /usr/bin/nc -U %s\n" % socket)
    os.chmod(nc, 0o755)
    return [
        base + "&command=" + s.ssh_known,
        "ro:" + base + "&command=" + s.ssh_known,
        base + "&command=%s&no_verify=1" % s.ssh_empty,
        base + "&command=%s&no_tty=1" % s.ssh_empty,
        base + "&command=%s&no_tty=1" % s.ssh_wrong,
        "test+ssh://root@127.0.0.1:%d/default?keyfile=%s&socket=%s&command=%s&no_tty=1"
        % (s.port, s.other_key, socket, s.ssh_known),
        "test+ssh://root@127.0.0.1:%d/default?keyfile=%s&socket=/nonexistent/sock&command=%s"
        % (s.port, s.key, s.ssh_known),
        "test+ext:///default?command=" + nc,
    ] + [
        # libssh and libssh2 (in-process in libvirt, the ssh binary here):
        # the cases whose outcome does not depend on the ssh library's words.
        "test+%s://root@127.0.0.1:%d/default?keyfile=%s&socket=%s&%s" % (t, s.port, s.key, socket, q)
        for t in ("libssh", "libssh2")
        for q in ("known_hosts=" + os.path.join(s.dir, "known_hosts"),
                  "known_hosts=%s&sshauth=privkey" % os.path.join(s.dir, "known_hosts"),
                  "known_hosts=%s&sshauth=bogus" % os.path.join(s.dir, "known_hosts"),
                  "known_hosts=%s&known_hosts_verify=bogus" % os.path.join(s.dir, "known_hosts"),
                  "known_hosts=%s&known_hosts_verify=ignore" % os.path.join(work, "new_known_hosts"))
    ]


def main():
    args = sys.argv[1:]
    same_as_unix = "--same-as-unix" in args
    args = [a for a in args if a != "--same-as-unix"]
    if not args:
        sys.exit(__doc__)
    ours = os.path.join(os.path.abspath(args[0]), "lib")
    suites = args[1:] or ["argv", "peer", "domains", "netstore"]
    work = tempfile.mkdtemp(prefix="virt-ssh-")
    failed = []
    try:
        fake, log = logger(work)
        daemon_dir = os.path.join(work, "daemon")
        port = free_port()
        with Sshd(dir=os.path.join(work, "sshd")) as s:
            socket = os.path.join(daemon_dir, "run", "libvirt-sock")
            ssh_uri = peer_uris(s, socket, work)[0]

            def run(cmd, lib, extra):
                with Daemon(dir=daemon_dir, port=port) as d:
                    env = dict(ENV, HIDE=work, **extra)
                    env["VIRT_TEST_URI"] = env.get("VIRT_TEST_URI") or d.unix_uri
                    return difftest.run(cmd, lib, env, timeout=300)

            for suite in suites:
                extra = {}
                if suite == "argv":
                    cmd = ["/usr/bin/python3", CASES] + argv_uris(fake)
                    extra = {"ARGV_LOG": log}
                elif suite == "peer":
                    cmd = ["/usr/bin/python3", CASES] + peer_uris(s, socket, work)
                else:
                    cmd = ["/usr/bin/python3", os.path.join(HERE, "..", "python", suite + ".py")]
                    extra = {"VIRT_TEST_URI": ssh_uri}
                if same_as_unix and suite in ("domains", "netstore"):
                    label, ref = "ssh %s (ours, against ours over unix)" % suite, "ours over unix"
                    want, got = run(cmd, ours, {}), run(cmd, ours, extra)
                else:
                    label, ref = "ssh %s" % suite, "libvirt's"
                    want, got = run(cmd, difftest.SYSTEM_LIBDIR, extra), run(cmd, ours, extra)
                if not difftest.judge(label, want, got, ref, not same_as_unix):
                    failed.append(label)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if failed:
        print("run_ssh: differences in: " + ", ".join(failed))
        return 1
    print("run_ssh: every check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
