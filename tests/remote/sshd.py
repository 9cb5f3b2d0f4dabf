"""A private OpenSSH server on a free loopback port for the ssh transport
tests: its own host key, a user key authorised for root, its own config and
pid file in a temporary directory.  Clients reach it through wrapper scripts
(`command=` in the URI) that give ssh a config of their own, so the tests
never read or write ~/.ssh:

    with Sshd() as s:
        s.key            # private key authorised for root (keyfile=)
        s.other_key      # a key that is not authorised
        s.ssh_known      # ssh trusting the server's host key
        s.ssh_empty      # ssh with no known hosts at all
        s.ssh_wrong      # ssh expecting a different host key
"""
import os
import shutil
import subprocess
import tempfile
import time

from libvirtd import Served, free_port

SSHD = "/usr/sbin/sshd"


def _keygen(path):
    subprocess.run(["/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "virt-test", "-f", path],
                   check=True, stdout=subprocess.DEVNULL)


class Sshd(Served):
    def __init__(self, dir=None, port=None):
        """`dir` and `port` fixed keep URIs identical across restarts."""
        self.fixed_dir = dir
        self.fixed_port = port
        self.proc = None

    def _wrapper(self, name, known_hosts):
        cfg = os.path.join(self.dir, name + ".config")
        with open(cfg, "w") as f:
            f.write("UserKnownHostsFile %s\nGlobalKnownHostsFile /dev/null\nIdentitiesOnly yes\n"
                    "LogLevel ERROR\nUpdateHostKeys no\n" % known_hosts)
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write('#!/bin/sh\nexec /usr/bin/ssh -F %s "$@"\n' % cfg)
        os.chmod(path, 0o755)
        return path

    def start(self):
        if self.fixed_dir:
            shutil.rmtree(self.fixed_dir, ignore_errors=True)
            os.makedirs(self.fixed_dir)
            self.dir = self.fixed_dir
        else:
            self.dir = tempfile.mkdtemp(prefix="virt-sshd-")
        os.chmod(self.dir, 0o700)
        self.port = self.fixed_port or free_port()
        d = self.dir
        for k in ("host_key", "other_host_key", "user_key", "other_user_key"):
            _keygen(os.path.join(d, k))
        self.key = os.path.join(d, "user_key")
        self.other_key = os.path.join(d, "other_user_key")
        shutil.copy(self.key + ".pub", os.path.join(d, "authorized_keys"))
        for name, hostkey in (("known_hosts", "host_key"), ("wrong_hosts", "other_host_key")):
            with open(os.path.join(d, hostkey + ".pub")) as f:
                kind, blob = f.read().split()[:2]
            with open(os.path.join(d, name), "w") as f:
                f.write("[127.0.0.1]:%d %s %s\n" % (self.port, kind, blob))
        conf = os.path.join(d, "sshd_config")
        with open(conf, "w") as f:
            f.write("Port %d\nListenAddress 127.0.0.1\nHostKey %s\nPidFile %s\n"
                    "AuthorizedKeysFile %s\nPermitRootLogin prohibit-password\n"
                    "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n"
                    "StrictModes no\nLogLevel ERROR\n"
                    % (self.port, os.path.join(d, "host_key"), os.path.join(d, "sshd.pid"),
                       os.path.join(d, "authorized_keys")))
        os.makedirs("/run/sshd", exist_ok=True)  # sshd's privilege separation directory
        self.ssh_known = self._wrapper("ssh-known", os.path.join(d, "known_hosts"))
        self.ssh_empty = self._wrapper("ssh-empty", "/dev/null")
        self.ssh_wrong = self._wrapper("ssh-wrong", os.path.join(d, "wrong_hosts"))
        self.proc = subprocess.Popen([SSHD, "-D", "-e", "-f", conf], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(d, "sshd.log"), "w"))
        import socket
        for _ in range(400):
            if self.proc.poll() is not None:
                raise RuntimeError("sshd exited: " + open(os.path.join(d, "sshd.log")).read())
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                break
            except OSError:
                time.sleep(0.025)
        else:
            raise RuntimeError("sshd did not come up")
        return self
