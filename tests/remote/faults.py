#!/usr/bin/env python3
"""Faults of a connection to a real libvirtd, printed as a transcript that
run_faults.py compares between Debian's libvirt client and ours:

  kill      the daemon is SIGKILLed while a call waits for it
  keepalive the daemon is SIGSTOPped (hung) with keepalive on: the waiting
            call fails, the close callback says why
  again     a new connection works once a daemon is back
  stream    the daemon is SIGKILLed during a volume download: reading the
            stream ends in an error, finishing it too
  fake      a fake server sending garbage, a huge length, a truncated packet

Every call is made from a worker thread the main thread waits for, at most
60 s: a hang prints HUNG instead of failing the whole run.

usage: faults.py     (LD_LIBRARY_PATH picks the library)
"""
import os
import shutil
import signal
import socket
import struct
import sys
import tempfile
import threading
import time

import libvirt

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from libvirtd import Daemon  # noqa: E402


def out(s):
    print(s)
    sys.stdout.flush()


def err_text(e):
    return "error code=%d domain=%d message=%r" % (e.get_error_code(), e.get_error_domain(), e.get_error_message())


def in_thread(fn):
    """Runs fn in a thread; its result or error as text, or HUNG."""
    box = []

    def run():
        try:
            box.append("-> %r" % (fn(),))
        except libvirt.libvirtError as e:
            box.append("-> " + err_text(e))

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(60)
    return box[0] if box else "HUNG"


def loop_forever():
    while True:
        libvirt.virEventRunDefaultImpl()


closes = []


def on_close(conn, reason, opaque):
    closes.append("close callback reason=%d opaque=%s" % (reason, opaque))


def wait_close():
    for _ in range(600):
        if closes:
            break
        time.sleep(0.05)
    out("  " + (closes.pop(0) if closes else "no close callback"))


def kill_during_call():
    out("== SIGKILL while a call waits")
    with Daemon() as d:
        conn = libvirt.open(d.unix_uri)
        conn.registerCloseCallback(on_close, "kill")
        out("  isAlive before -> %d" % conn.isAlive())
        # A stopped daemon leaves the call waiting; then it dies.
        os.kill(d.proc.pid, signal.SIGSTOP)
        box = []
        t = threading.Thread(target=lambda: box.append(in_thread(lambda: conn.lookupByName("test").name())))
        t.start()
        time.sleep(0.5)
        os.kill(d.proc.pid, signal.SIGKILL)
        d.proc.wait()
        t.join(70)
        out("  lookupByName during the kill " + (box[0] if box else "HUNG"))
        wait_close()
        out("  isAlive after -> %d" % conn.isAlive())
        out("  getType after " + in_thread(lambda: conn.getType()))
        out("  listDomainsID after " + in_thread(conn.listDomainsID))
        out("  close -> %d" % conn.close())
    out("== a new connection once a daemon is back")
    with Daemon() as d:
        conn = libvirt.open(d.unix_uri)
        out("  lookupByName " + in_thread(lambda: conn.lookupByName("test").name()))
        out("  isAlive -> %d" % conn.isAlive())
        for label, fn in (("registerCloseCallback", lambda: conn.registerCloseCallback(on_close, "a")),
                          ("registerCloseCallback again", lambda: conn.registerCloseCallback(on_close, "b")),
                          ("unregisterCloseCallback", conn.unregisterCloseCallback),
                          ("unregisterCloseCallback again", conn.unregisterCloseCallback)):
            out("  %s %s" % (label, in_thread(fn)))
        conn.close()


def kill_during_stream():
    out("== SIGKILL during a volume download")
    with Daemon(drivers=["storage"]) as d:
        conn = libvirt.open("storage+unix:///system?socket=" + d.socket)
        conn.registerCloseCallback(on_close, "stream")
        tmp = tempfile.mkdtemp(prefix="faults-")
        name = "faults-%d" % os.getpid()
        pool = conn.storagePoolCreateXML("<pool type='dir'><name>%s</name><target><path>%s</path></target></pool>"
                                         % (name, tmp), 0)
        vol = pool.createXML("<volume><name>big.img</name><capacity unit='MiB'>8</capacity>"
                             "<allocation>0</allocation></volume>", 0)
        st = conn.newStream(0)
        out("  download " + in_thread(lambda: vol.download(st, 0, 0, 0)))
        out("  recv 10 " + in_thread(lambda: len(st.recv(10))))
        os.kill(d.proc.pid, signal.SIGKILL)
        d.proc.wait()

        def drain():
            while st.recv(65536):
                pass
            return "the end of the data"
        # What was already on its way may still be read; then the error.
        out("  recv to the end " + in_thread(drain))
        wait_close()
        out("  finish " + in_thread(st.finish))
        out("  isAlive -> %d" % conn.isAlive())
        conn.close()
        shutil.rmtree(tmp, ignore_errors=True)
        # The killed daemon could not forget its transient pool.
        for leftover in ("/run/libvirt/storage/%s.xml" % name,):
            if os.path.exists(leftover):
                os.unlink(leftover)


def keepalive_hang():
    out("== SIGSTOP with keepalive(1, 2)")
    with Daemon() as d:
        conn = libvirt.open(d.unix_uri)
        conn.registerCloseCallback(on_close, "keepalive")
        out("  setKeepAlive(1, 2) -> %d" % conn.setKeepAlive(1, 2))
        out("  lookupByName " + in_thread(lambda: conn.lookupByName("test").name()))
        os.kill(d.proc.pid, signal.SIGSTOP)
        out("  lookupByName on a hung daemon " + in_thread(lambda: conn.lookupByName("test").name()))
        wait_close()
        out("  isAlive after -> %d" % conn.isAlive())
        out("  getType after " + in_thread(lambda: conn.getType()))
        conn.close()
        os.kill(d.proc.pid, signal.SIGCONT)


def fake_server(reply):
    """A unix socket server that answers the first packet with `reply`
    (bytes) and then closes; returns the socket path."""
    path = os.path.join(tempfile.mkdtemp(prefix="virt-fake-"), "sock")
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(path)
    srv.listen(1)

    def serve():
        c, _ = srv.accept()
        try:
            head = c.recv(4)
            if len(head) == 4:
                (n,) = struct.unpack(">I", head)
                left = n - 4
                while left > 0:
                    got = c.recv(left)
                    if not got:
                        break
                    left -= len(got)
            c.sendall(reply)
            time.sleep(0.5)
        finally:
            c.close()
            srv.close()

    threading.Thread(target=serve, daemon=True).start()
    return path


def fakes():
    out("== fake servers")
    header = struct.pack(">IIiiIi", 0x20008086, 1, 66, 1, 0, 0)
    cases = [
        ("garbage", b"\x00\x00\x00\x20" + b"garbage! " * 4),
        ("a length below the header", struct.pack(">I", 2)),
        ("a huge length", struct.pack(">I", 0x7FFFFFFF) + header),
        ("a truncated packet", struct.pack(">I", 28 + 64) + header + b"\x00\x00"),
        ("an unknown program", struct.pack(">I", 28) + struct.pack(">IIiiIi", 0x12345678, 1, 66, 1, 0, 0)),
    ]
    for label, reply in cases:
        path = fake_server(reply)
        out("  %s: open %s" % (label, in_thread(lambda: libvirt.open("test+unix:///default?socket=" + path) and "opened")))


def main():
    libvirt.registerErrorHandler(lambda *a: None, None)
    libvirt.virEventRegisterDefaultImpl()
    threading.Thread(target=loop_forever, daemon=True).start()
    kill_during_call()
    kill_during_stream()
    keepalive_hang()
    fakes()
    out("done")


if __name__ == "__main__":
    main()
