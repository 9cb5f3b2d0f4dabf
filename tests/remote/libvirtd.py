"""Starts Debian's libvirtd 9.0 on a private unix socket directory and a
loopback TCP port, with a configuration, pid file and logs of its own in a
temporary directory.  Its built-in test driver is what the remote tests talk
to, so LIBVIRT_DRIVER_DIR points at an empty folder: the QEMU module fails to
initialise without its system user, and the network, storage and other state
drivers take host-wide pid files under /run/libvirt (so two daemons could not
run at once) and touch host state (bridges, autostarted networks).

    with Daemon() as d:
        d.unix_uri   # test+unix:///default?socket=...
        d.tcp_uri    # test+tcp://127.0.0.1:PORT/default

    with Daemon(tls=pki) as d:   # pki from tlspki.make_pki
        d.tls_uri    # test+tls://127.0.0.1:PORT/default (add ?pkipath=...)

    with Daemon(drivers=["storage"]) as d:   # with Debian's storage driver
        d.socket     # storage+unix:///system?socket=... reaches it

A daemon given the storage driver takes its host-wide state under
/run/libvirt/storage: run one such daemon at a time.
"""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

LIBVIRTD = "/usr/sbin/libvirtd"
DRIVER_MODULES = "/usr/lib/x86_64-linux-gnu/libvirt/connection-driver"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Served:
    """A test server process (self.proc) with a private directory
    (self.dir): stopped with SIGTERM (killed after 10 s), its directory
    removed; a context manager around start()."""

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class Daemon(Served):
    def __init__(self, extra_conf="", dir=None, port=None, tls=None, tls_port=None, auth_unix="none", auth_tcp="none",
                 drivers=()):
        """`dir` and `port` fixed make two daemons in a row look the same to
        clients (the socket path and port appear in URIs).  `tls` (a
        tlspki.Pki) also listens for TLS on loopback with its certificates."""
        self.extra_conf = extra_conf
        self.auth_unix, self.auth_tcp = auth_unix, auth_tcp
        self.drivers = drivers
        self.tls = tls
        self.fixed_tls_port = tls_port
        self.proc = None
        self.fixed_dir = dir
        self.fixed_port = port

    def start(self):
        if self.fixed_dir:
            shutil.rmtree(self.fixed_dir, ignore_errors=True)
            os.makedirs(self.fixed_dir)
            self.dir = self.fixed_dir
        else:
            self.dir = tempfile.mkdtemp(prefix="virt-libvirtd-")
        drivers = os.path.join(self.dir, "drivers")
        os.mkdir(drivers)
        for name in self.drivers:
            module = "libvirt_driver_%s.so" % name
            os.symlink(os.path.join(DRIVER_MODULES, module), os.path.join(drivers, module))
        self.port = self.fixed_port or free_port()
        self.sockdir = os.path.join(self.dir, "run")
        os.mkdir(self.sockdir)
        conf = os.path.join(self.dir, "libvirtd.conf")
        tls_conf = 'listen_tls = 0\n'
        if self.tls:
            self.tls_port = self.fixed_tls_port or free_port()
            tls_conf = ('listen_tls = 1\ntls_port = "%d"\nauth_tls = "none"\n%s'
                        % (self.tls_port, self.tls.server_conf()))
        with open(conf, "w") as f:
            f.write(tls_conf + 'listen_tcp = 1\nauth_tcp = "%s"\n'
                    'tcp_port = "%d"\nlisten_addr = "127.0.0.1"\n'
                    'unix_sock_dir = "%s"\nauth_unix_rw = "%s"\nauth_unix_ro = "%s"\n'
                    'unix_sock_rw_perms = "0700"\n'
                    'log_outputs = "3:file:%s"\n%s'
                    % (self.auth_tcp, self.port, self.sockdir, self.auth_unix, self.auth_unix,
                       os.path.join(self.dir, "libvirtd.log"), self.extra_conf))
        env = dict(os.environ)
        env["LIBVIRT_DRIVER_DIR"] = drivers
        env.pop("LIBVIRT_DEFAULT_URI", None)
        # The daemon always runs on Debian's library, whichever the client uses.
        env.pop("LD_LIBRARY_PATH", None)
        self.socket = os.path.join(self.sockdir, "libvirt-sock")
        self.proc = subprocess.Popen(
            [LIBVIRTD, "--listen", "-f", conf, "-p", os.path.join(self.dir, "libvirtd.pid")],
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(self.dir, "stderr"), "w"))
        for _ in range(400):
            if self.proc.poll() is not None:
                raise RuntimeError("libvirtd exited: " + open(os.path.join(self.dir, "stderr")).read())
            if os.path.exists(self.socket) and self._tcp_up() and self._tls_up():
                break
            time.sleep(0.025)
        else:
            raise RuntimeError("libvirtd did not come up")
        self.unix_uri = "test+unix:///default?socket=" + self.socket
        self.tcp_uri = "test+tcp://127.0.0.1:%d/default" % self.port
        if self.tls:
            self.tls_uri = "test+tls://127.0.0.1:%d/default" % self.tls_port
        return self

    def _tcp_up(self):
        try:
            socket.create_connection(("127.0.0.1", self.port), 0.2).close()
            return True
        except OSError:
            return False

    def _tls_up(self):
        if not self.tls:
            return True
        try:
            socket.create_connection(("127.0.0.1", self.tls_port), 0.2).close()
            return True
        except OSError:
            return False



if __name__ == "__main__":
    # Manual use: print the URIs and serve until interrupted.
    import sys
    d = Daemon().start()
    print(d.unix_uri)
    print(d.tcp_uri)
    sys.stdout.flush()
    try:
        signal.pause()
    finally:
        d.stop()
