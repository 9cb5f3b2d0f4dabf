#!/usr/bin/env python3
"""The TLS transport against a real libvirtd: a PKI made for the run
(tlspki.py), a private libvirtd listening for TLS with it, and
  - the python transcripts (domains.py, netstore.py) over test+tls://,
  - tls_cases.py: good and bad certificates, our own certificate not from
    our CA, hostname mismatch, no_verify, no_sanity, tls_priority, eight
    threads sharing one TLS connection, missing and unreadable PKI files, a bad
    no_verify value, the scheme without a transport,
each run with Debian's libvirt client and with ours; the outputs must be
identical.  With --same-as-unix the transcripts run only on our library,
over TLS and over the unix socket, and must match each other: the transport
changes nothing, whatever the remote driver still lacks (tests/run-all runs
that form until every remote procedure the transcripts use exists).

usage: run_tls.py [--same-as-unix] STAGE_DIR [SUITE...]   (suites: domains netstore cases)
"""
import os
import re
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
import difftest  # noqa: E402
import tlspki  # noqa: E402
from libvirtd import Daemon, free_port  # noqa: E402


# libvirt's own log output (default: warnings to stderr) with timestamps,
# thread ids and source lines; it says why a certificate check failed, which
# the error compared on stdout says too.  Our library has no such log.
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+\+\d{4}: \d+: (info|warning) : ")


def without_log(run):
    code, out, err = run
    kept = [l for l in err.splitlines(True) if not LOG_LINE.match(l)]
    return code, out, "".join(kept)


def bad_pki_dirs(pki, root):
    """Copies of the client directory each broken in one way."""
    dirs = {}
    for name, broken, content in (("nokey", "clientkey.pem", None), ("nocert", "clientcert.pem", None),
                                  ("garbageca", "cacert.pem", "garbage\n"),
                                  ("garbagekey", "clientkey.pem", "garbage\n"),
                                  ("mismatch", "cacert.pem", open(os.path.join(pki.other_ca_dir, "cacert.pem")).read())):
        d = os.path.join(root, name)
        shutil.copytree(pki.client_dir, d)
        if content is None:
            os.unlink(os.path.join(d, broken))
        else:
            with open(os.path.join(d, broken), "w") as f:
                f.write(content)
        dirs[name] = d
    return dirs


def case_uris(pki, bad, port):
    base = "test+tls://127.0.0.1:%d/default" % port
    good = pki.client_dir
    other = pki.other_ca_dir
    return [
        base + "?pkipath=" + good,
        "test://127.0.0.1:%d/default?pkipath=%s" % (port, good),
        base + "?pkipath=%s&tls_priority=NORMAL:-VERS-SSL3.0" % good,
        base + "?pkipath=" + other,
        base + "?pkipath=%s&no_verify=1" % other,
        base + "?pkipath=%s&no_sanity=1" % other,
        "test+tls://localhost:%d/default?pkipath=%s" % (port, good),
        "test+tls://localhost:%d/default?pkipath=%s&no_verify=1" % (port, good),
        base + "?pkipath=%s&no_verify=yes" % good,
        base + "?pkipath=/nonexistent/pki",
        base + "?pkipath=" + bad["nokey"],
        base + "?pkipath=" + bad["nocert"],
        base + "?pkipath=" + bad["garbageca"],
        base + "?pkipath=%s&no_verify=1" % bad["garbageca"],
        base + "?pkipath=" + bad["garbagekey"],
        base + "?pkipath=" + bad["mismatch"],
        base + "?pkipath=%s&no_verify=1" % bad["mismatch"],
        base + "?pkipath=%s&no_sanity=1" % bad["mismatch"],
        base + "?pkipath=%s&no_sanity=1&no_verify=1" % bad["mismatch"],
        "test+tls://127.0.0.1:%d/default?pkipath=%s" % (free_port(), good),
    ]


def main():
    args = sys.argv[1:]
    same_as_unix = "--same-as-unix" in args
    args = [a for a in args if a != "--same-as-unix"]
    if not args:
        sys.exit(__doc__)
    ours = os.path.join(os.path.abspath(args[0]), "lib")
    suites = args[1:] or ["domains", "netstore", "cases"]
    work = tempfile.mkdtemp(prefix="virt-tls-")
    try:
        pki = tlspki.make_pki(os.path.join(work, "pki"))
        bad = bad_pki_dirs(pki, work)
        daemon_dir = os.path.join(work, "daemon")
        port, tls_port = free_port(), free_port()
        tls_uri = "test+tls://127.0.0.1:%d/default?pkipath=%s" % (tls_port, pki.client_dir)

        def run(cmd, lib, transport):
            # A fresh daemon per run: the transcripts change its state.
            with Daemon(dir=daemon_dir, port=port, tls=pki, tls_port=tls_port) as d:
                uri = tls_uri if transport == "tls" else d.unix_uri
                return without_log(difftest.run(cmd, lib, {"VIRT_TEST_URI": uri}, timeout=300))

        failed = []
        for suite in suites:
            if suite == "cases":
                cmd = ["/usr/bin/python3", os.path.join(HERE, "tls_cases.py")] + case_uris(pki, bad, tls_port)
            else:
                cmd = ["/usr/bin/python3", os.path.join(HERE, "..", "python", suite + ".py")]
            if same_as_unix and suite != "cases":
                label, ref = "tls %s (ours, against ours over unix)" % suite, "ours over unix"
                want, got = run(cmd, ours, "unix"), run(cmd, ours, "tls")
            else:
                label, ref = "tls %s" % suite, "libvirt's"
                want, got = run(cmd, difftest.SYSTEM_LIBDIR, "tls"), run(cmd, ours, "tls")
            if not difftest.judge(label, want, got, ref, not same_as_unix):
                failed.append(label)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if failed:
        print("run_tls: differences in: " + ", ".join(failed))
        return 1
    print("run_tls: every check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
