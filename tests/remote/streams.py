"""Volume uploads and downloads through a daemon's storage driver, as a
transcript: run_streams.py runs it with Debian's python3-libvirt on Debian's
libvirt and on ours, against the same libvirtd, and requires identical output.

The data crosses several stream packets (libvirt sends at most 256 KiB per
packet), is read back whole and in ranges, and every call is also tried where
it must fail: after the end, after an abort, on a read-only connection, with
another connection's stream, on a deleted volume.

usage: streams.py        (VIRT_TEST_URI: storage+unix:///system?socket=...)
"""
import hashlib
import os
import shutil
import sys
import tempfile

import libvirt

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import mapped  # noqa: E402

URI = os.environ["VIRT_TEST_URI"]
MiB = 1024 * 1024
# Not a multiple of any packet size, and no two packets alike.
DATA = bytes((i * 7 + i // 251) % 256 for i in range(700_001))

mapped.check()
libvirt.registerErrorHandler(lambda ctx, err: None, None)


def out(line):
    print(line)
    sys.stdout.flush()


def attempt(label, f, *args):
    try:
        r = f(*args)
        if isinstance(r, bytes):
            r = "%d bytes %s" % (len(r), r[:12])
        out("%s -> %s" % (label, r))
        return r
    except libvirt.libvirtError as e:
        out("%s -> error code=%s domain=%s message=%r" % (label, e.get_error_code(), e.get_error_domain(),
                                                         e.get_error_message()))
        return None


def send_in(st, data, piece):
    sent = 0
    for i in range(0, len(data), piece):
        sent += st.send(data[i:i + piece])
    return sent


def recv_all(st, piece=65536):
    chunks = []
    while True:
        b = st.recv(piece)
        if not b:
            return b"".join(chunks)
        chunks.append(b)


def digest(data):
    return "%d bytes, sha256 %s" % (len(data), hashlib.sha256(data).hexdigest()[:16])


def main():
    conn = libvirt.open(URI)
    tmp = tempfile.mkdtemp(prefix="streams-")
    name = "streams-%d" % os.getpid()
    pool = conn.storagePoolCreateXML("<pool type='dir'><name>%s</name><target><path>%s</path></target></pool>"
                                     % (name, tmp), 0)
    try:
        vol = pool.createXML("<volume><name>a.img</name><capacity unit='bytes'>%d</capacity>"
                             "<target><format type='raw'/></target></volume>" % (3 * MiB), 0)
        run(conn, pool, vol)
    finally:
        for v in pool.listAllVolumes(0):
            v.delete(0)
        pool.destroy()
        conn.close()
        shutil.rmtree(tmp, ignore_errors=True)


def sparse(conn, pool):
    out("== sparse transfers")
    vol = pool.createXML("<volume><name>sparse.img</name><capacity unit='bytes'>%d</capacity>"
                         "<allocation>0</allocation><target><format type='raw'/></target></volume>" % (4 * MiB), 0)
    # Data, a hole, data, and a hole to the end, as (in_data, length).
    layout = [(True, 8192), (False, MiB), (True, 12288), (False, 4 * MiB - MiB - 8192 - 12288)]
    state = {"i": 0, "left": layout[0][1]}

    def hole_handler(stream, opaque):
        if state["i"] >= len(layout):
            return [True, 0]
        return [layout[state["i"]][0], state["left"]]

    def advance(n):
        state["left"] -= n
        if state["left"] == 0:
            state["i"] += 1
            state["left"] = layout[state["i"]][1] if state["i"] < len(layout) else 0

    def handler(stream, nbytes, opaque):
        n = min(nbytes, state["left"]) if state["i"] < len(layout) else 0
        advance(n)
        return bytes([65 + state["i"]]) * n

    def skip(stream, length, opaque):
        advance(length)
        return 0

    st = conn.newStream(0)
    attempt("upload(sparse)", vol.upload, st, 0, 0, libvirt.VIR_STORAGE_VOL_UPLOAD_SPARSE_STREAM)
    attempt("sparseSendAll", st.sparseSendAll, handler, hole_handler, skip, None)
    attempt("finish", st.finish)

    st = conn.newStream(0)
    attempt("download(sparse)", vol.download, st, 0, 0, libvirt.VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM)
    pieces = []

    def sink(stream, data, opaque):
        if pieces and pieces[-1][0] == "data":
            pieces[-1][1] += len(data)
        else:
            pieces.append(["data", len(data), data[:1]])
        return 0

    def hole_sink(stream, length, opaque):
        pieces.append(["hole", length])
        return 0
    attempt("sparseRecvAll", st.sparseRecvAll, sink, hole_sink, None)
    out("sections: %s" % pieces)
    attempt("finish", st.finish)

    st = conn.newStream(0)
    attempt("download(sparse) read plainly", vol.download, st, 0, 0, libvirt.VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM)
    got = recv_all(st)
    out("whole: %s" % digest(got))
    attempt("finish", st.finish)

    st = conn.newStream(0)
    attempt("download(sparse)", vol.download, st, 0, 0, libvirt.VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM)
    attempt("recvHole in the data", st.recvHole)
    attempt("recvFlags(STOP_AT_HOLE, 100)", st.recvFlags, 100, libvirt.VIR_STREAM_RECV_STOP_AT_HOLE)
    attempt("recvFlags(STOP_AT_HOLE, all)", st.recvFlags, 65536, libvirt.VIR_STREAM_RECV_STOP_AT_HOLE)
    attempt("recvFlags(STOP_AT_HOLE) at the hole", st.recvFlags, 100, libvirt.VIR_STREAM_RECV_STOP_AT_HOLE)
    attempt("recvHole(flags=1)", st.recvHole, 1)
    attempt("recvHole", st.recvHole)
    attempt("recvHole again", st.recvHole)
    attempt("recvFlags(unknown flag)", st.recvFlags, 100, 2)
    attempt("abort", st.abort)

    st = conn.newStream(0)
    attempt("upload(not sparse)", vol.upload, st, 0, 0, 0)
    attempt("sendHole on it", st.sendHole, 4096)
    attempt("finish", st.finish)
    st = conn.newStream(0)
    attempt("upload(sparse)", vol.upload, st, 0, 0, libvirt.VIR_STORAGE_VOL_UPLOAD_SPARSE_STREAM)
    attempt("sendHole(4096)", st.sendHole, 4096)
    attempt("send", st.send, b"after the hole")
    attempt("finish", st.finish)
    st = conn.newStream(0)
    attempt("download(4090, 30)", vol.download, st, 4090, 30, 0)
    attempt("recv", lambda: recv_all(st))
    attempt("finish", st.finish)
    vol.delete(0)


def run(conn, pool, vol):
    out("== upload across packets")
    st = conn.newStream(0)
    attempt("upload(0, all)", vol.upload, st, 0, len(DATA), 0)
    attempt("send in 100000-byte pieces", send_in, st, DATA, 100_000)
    attempt("finish", st.finish)
    attempt("recv after finish", st.recv, 16)
    attempt("send after finish", st.send, b"x")
    attempt("finish again", st.finish)
    attempt("abort after finish", st.abort)

    out("== download")
    st = conn.newStream(0)
    attempt("download(0, 0)", vol.download, st, 0, 0, 0)
    got = recv_all(st)
    out("whole volume: %s; starts with the upload: %s; the rest zero: %s"
        % (digest(got), got[:len(DATA)] == DATA, got[len(DATA):] == bytes(len(got) - len(DATA))))
    attempt("recv at the end", st.recv, 16)
    attempt("finish", st.finish)
    st = conn.newStream(0)
    attempt("download(1000, 5000)", vol.download, st, 1000, 5000, 0)
    got = recv_all(st, 777)
    out("range: %s, as uploaded: %s" % (digest(got), got == DATA[1000:6000]))
    attempt("finish", st.finish)
    st = conn.newStream(0)
    attempt("download(len-10, 100)", vol.download, st, len(DATA) - 10, 100, 0)
    attempt("range", lambda: recv_all(st))
    attempt("finish", st.finish)

    out("== upload at an offset")
    st = conn.newStream(0)
    attempt("upload(2 MiB, 4)", vol.upload, st, 2 * MiB, 4, 0)
    attempt("send", st.send, b"tail")
    attempt("finish", st.finish)
    st = conn.newStream(0)
    attempt("download(2 MiB - 2, 8)", vol.download, st, 2 * MiB - 2, 8, 0)
    attempt("recv", st.recv, 100)
    attempt("recv", st.recv, 100)
    attempt("finish", st.finish)
    st = conn.newStream(0)
    attempt("upload through sendAll", vol.upload, st, 0, 0, 0)
    pieces = [b"sendAll:", b"second piece", b""]
    attempt("sendAll", st.sendAll, lambda s, n, acc: acc.pop(0), pieces)
    attempt("finish", st.finish)
    st = conn.newStream(0)
    attempt("download(0, 20)", vol.download, st, 0, 20, 0)
    got = []
    attempt("recvAll", st.recvAll, lambda s, data, acc: acc.append(data) or 0, got)
    out("recvAll gave %r" % b"".join(got))
    attempt("finish", st.finish)

    out("== ends before the end")
    st = conn.newStream(0)
    attempt("download(0, 0)", vol.download, st, 0, 0, 0)
    attempt("recv 10", st.recv, 10)
    attempt("abort", st.abort)
    attempt("recv after abort", st.recv, 10)
    attempt("finish after abort", st.finish)
    attempt("abort again", st.abort)
    st = conn.newStream(0)
    attempt("download(0, 0)", vol.download, st, 0, 0, 0)
    attempt("recv 10", st.recv, 10)
    attempt("finish mid-way", st.finish)
    st = conn.newStream(0)
    attempt("upload(0, 0)", vol.upload, st, 0, 0, 0)
    attempt("send 10", st.send, b"0123456789")
    attempt("abort", st.abort)
    # Whether the aborted upload's bytes reached the volume is the daemon's
    # race (its helper process is killed); only the connection's health counts.
    attempt("connection alive", conn.isAlive)
    st = conn.newStream(0)
    attempt("download(0, 4)", vol.download, st, 0, 4, 0)
    attempt("send on a download", st.send, b"x")
    attempt("finish", st.finish)
    attempt("recv after the failed finish", st.recv, 4)
    attempt("finish again", st.finish)

    sparse(conn, pool)

    out("== refusals")
    attempt("download, unknown flag", vol.download, conn.newStream(0), 0, 0, 2)
    attempt("upload, unknown flag", vol.upload, conn.newStream(0), 0, 0, 2)
    st = conn.newStream(0)
    attempt("upload past the end", vol.upload, st, 4 * MiB, 4, 0)
    attempt("abort it", st.abort)
    other = libvirt.open(URI)
    attempt("stream of another connection", vol.download, other.newStream(0), 0, 0, 0)
    other.close()
    ro = libvirt.openReadOnly(URI)
    rvol = ro.storageVolLookupByPath(vol.path())
    attempt("read-only download", rvol.download, ro.newStream(0), 0, 0, 0)
    attempt("read-only upload", rvol.upload, ro.newStream(0), 0, 0, 0)
    ro.close()
    gone = pool.createXML("<volume><name>gone.img</name><capacity unit='bytes'>4096</capacity></volume>", 0)
    gone.delete(0)
    attempt("download of a deleted volume", gone.download, conn.newStream(0), 0, 0, 0)
    out("connection alive: %s" % conn.isAlive())


main()
