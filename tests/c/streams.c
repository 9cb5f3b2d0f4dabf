/* The stream calls only C can make (virStreamSendAll, RecvAll and their
 * sparse forms with C callbacks), on volumes of a daemon's storage driver.
 * Prints a transcript that run_streams.py compares between Debian's libvirt
 * and ours.
 *
 * usage: streams URI POOL_DIR */
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void quiet(void *opaque, virErrorPtr err)
{
    (void)opaque;
    (void)err;
}

static void result(const char *label, int ret)
{
    virErrorPtr e = virGetLastError();
    if (ret >= 0)
        printf("%s -> %d\n", label, ret);
    else if (e)
        printf("%s -> %d error code=%d domain=%d message='%s'\n", label, ret, e->code, e->domain,
               e->message ? e->message : "(null)");
    else
        printf("%s -> %d, no error set\n", label, ret);
    virResetLastError();
}

/* A source of `left` bytes of one letter. */
struct source {
    long long left;
    char letter;
    int fail;
};

static int source(virStreamPtr st, char *data, size_t nbytes, void *opaque)
{
    struct source *s = opaque;
    (void)st;
    if (s->fail)
        return -1;
    size_t n = nbytes < (size_t)s->left ? nbytes : (size_t)s->left;
    memset(data, s->letter, n);
    s->left -= n;
    return n;
}

/* A sink counting bytes and remembering runs of data and holes. */
struct sink {
    long long total;
    char runs[512];
    int fail;
};

static int sink(virStreamPtr st, const char *data, size_t nbytes, void *opaque)
{
    struct sink *s = opaque;
    (void)st;
    if (s->fail)
        return -1;
    s->total += nbytes;
    size_t used = strlen(s->runs);
    if (used + 24 < sizeof(s->runs))
        snprintf(s->runs + used, sizeof(s->runs) - used, "d%c%zu ", data[0] ? data[0] : '0', nbytes);
    return nbytes;
}

static int sink_hole(virStreamPtr st, long long length, void *opaque)
{
    struct sink *s = opaque;
    (void)st;
    size_t used = strlen(s->runs);
    if (used + 24 < sizeof(s->runs))
        snprintf(s->runs + used, sizeof(s->runs) - used, "h%lld ", length);
    return s->fail == 2 ? -1 : 0;
}

/* A sparse source: data, a hole, data, then the end. */
struct sparse {
    int section;
    long long left;
};

static const long long layout[] = {4096, 65536, 8192};

static int sparse_hole(virStreamPtr st, int *in_data, long long *length, void *opaque)
{
    struct sparse *s = opaque;
    (void)st;
    if (s->section >= 3) {
        *in_data = 1;
        *length = 0;
        return 0;
    }
    *in_data = s->section != 1;
    *length = s->left;
    return 0;
}

static void sparse_advance(struct sparse *s, long long n)
{
    s->left -= n;
    if (s->left == 0 && ++s->section < 3)
        s->left = layout[s->section];
}

static int sparse_data(virStreamPtr st, char *data, size_t nbytes, void *opaque)
{
    struct sparse *s = opaque;
    (void)st;
    if (s->section >= 3)
        return 0;
    size_t n = nbytes < (size_t)s->left ? nbytes : (size_t)s->left;
    memset(data, 'a' + s->section, n);
    sparse_advance(s, n);
    return n;
}

static int sparse_skip(virStreamPtr st, long long length, void *opaque)
{
    (void)st;
    sparse_advance(opaque, length);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s URI POOL_DIR\n", argv[0]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    virSetErrorFunc(NULL, quiet);
    virConnectPtr conn = virConnectOpen(argv[1]);
    if (!conn)
        return 1;
    char xml[1024];
    snprintf(xml, sizeof(xml), "<pool type='dir'><name>cstreams-%d</name><target><path>%s</path></target></pool>",
             (int)getpid(), argv[2]);
    virStoragePoolPtr pool = virStoragePoolCreateXML(conn, xml, 0);
    if (!pool)
        return 1;
    virStorageVolPtr vol = virStorageVolCreateXML(
        pool, "<volume><name>c.img</name><capacity unit='bytes'>1048576</capacity><allocation>0</allocation></volume>",
        0);
    if (!vol)
        return 1;

    struct source src = {300000, 'x', 0};
    virStreamPtr st = virStreamNew(conn, 0);
    result("upload", virStorageVolUpload(vol, st, 0, 0, 0));
    result("sendAll", virStreamSendAll(st, source, &src));
    result("finish", virStreamFinish(st));
    virStreamFree(st);

    struct sink snk = {0, "", 0};
    st = virStreamNew(conn, 0);
    result("download", virStorageVolDownload(vol, st, 0, 300010, 0));
    result("recvAll", virStreamRecvAll(st, sink, &snk));
    printf("received %lld bytes\n", snk.total);
    result("finish", virStreamFinish(st));
    virStreamFree(st);

    struct sparse sp = {0, layout[0]};
    st = virStreamNew(conn, 0);
    result("sparse upload", virStorageVolUpload(vol, st, 0, 0, VIR_STORAGE_VOL_UPLOAD_SPARSE_STREAM));
    result("sparseSendAll", virStreamSparseSendAll(st, sparse_data, sparse_hole, sparse_skip, &sp));
    result("finish", virStreamFinish(st));
    virStreamFree(st);

    struct sink runs = {0, "", 0};
    st = virStreamNew(conn, 0);
    result("sparse download", virStorageVolDownload(vol, st, 0, 0, VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM));
    result("sparseRecvAll", virStreamSparseRecvAll(st, sink, sink_hole, &runs));
    printf("runs: %s\n", runs.runs);
    result("finish", virStreamFinish(st));
    virStreamFree(st);

    /* Handlers failing, NULL handlers, non-blocking streams. */
    struct source bad = {10, 'y', 1};
    st = virStreamNew(conn, 0);
    result("upload", virStorageVolUpload(vol, st, 0, 0, 0));
    result("sendAll, failing source", virStreamSendAll(st, source, &bad));
    result("finish after it", virStreamFinish(st));
    virStreamFree(st);
    struct sink badsink = {0, "", 1};
    st = virStreamNew(conn, 0);
    result("download", virStorageVolDownload(vol, st, 0, 100, 0));
    result("recvAll, failing sink", virStreamRecvAll(st, sink, &badsink));
    result("finish after it", virStreamFinish(st));
    virStreamFree(st);
    struct sink badhole = {0, "", 2};
    st = virStreamNew(conn, 0);
    result("sparse download", virStorageVolDownload(vol, st, 0, 0, VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM));
    result("sparseRecvAll, failing hole sink", virStreamSparseRecvAll(st, sink, sink_hole, &badhole));
    virStreamFree(st);
    st = virStreamNew(conn, 0);
    result("recvAll(NULL handler)", virStreamRecvAll(st, NULL, NULL));
    result("sendAll(NULL handler)", virStreamSendAll(st, NULL, NULL));
    result("sparseRecvAll(NULL hole handler)", virStreamSparseRecvAll(st, sink, NULL, NULL));
    result("sparseSendAll(NULL skip handler)", virStreamSparseSendAll(st, source, sparse_hole, NULL, NULL));
    virStreamFree(st);
    st = virStreamNew(conn, VIR_STREAM_NONBLOCK);
    result("download on a non-blocking stream", virStorageVolDownload(vol, st, 0, 100, 0));
    result("recvAll(non-blocking)", virStreamRecvAll(st, sink, &snk));
    result("sparseRecvAll(non-blocking)", virStreamSparseRecvAll(st, sink, sink_hole, &snk));
    result("abort", virStreamAbort(st));
    virStreamFree(st);
    st = virStreamNew(conn, VIR_STREAM_NONBLOCK);
    result("upload on a non-blocking stream", virStorageVolUpload(vol, st, 0, 0, 0));
    result("sendAll(non-blocking)", virStreamSendAll(st, source, &src));
    result("abort", virStreamAbort(st));
    virStreamFree(st);
    printf("alive %d\n", virConnectIsAlive(conn));

    virStorageVolDelete(vol, 0);
    virStorageVolFree(vol);
    virStoragePoolDestroy(pool);
    virStoragePoolFree(pool);
    virConnectClose(conn);
    return 0;
}
