/* Round trips to a libvirtd over its unix socket: each operation is
 * virDomainLookupByName + virDomainGetInfo + virDomainGetXMLDesc on one
 * shared connection, from 1 thread and from 8 threads.  Prints
 * "LABEL NANOSECONDS-PER-OPERATION" lines (wall time / operations).
 *
 * usage: remote_bench URI [THREADS]   (1 or 8: only that run) */
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define OPS 4000

static virConnectPtr conn;
static int failed;

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void *worker(void *arg)
{
    long n = (long)arg;
    for (long i = 0; i < n; i++) {
        virDomainPtr d = virDomainLookupByName(conn, "test");
        virDomainInfo info;
        char *xml;
        if (!d || virDomainGetInfo(d, &info) < 0 || !(xml = virDomainGetXMLDesc(d, 0))) {
            __atomic_store_n(&failed, 1, __ATOMIC_SEQ_CST);
            if (d)
                virDomainFree(d);
            return NULL;
        }
        free(xml);
        virDomainFree(d);
    }
    return NULL;
}

static void run(const char *label, int threads)
{
    pthread_t t[64];
    double t0 = now_ns();
    failed = 0;
    for (int i = 0; i < threads; i++)
        pthread_create(&t[i], NULL, worker, (void *)(long)(OPS / threads));
    for (int i = 0; i < threads; i++)
        pthread_join(t[i], NULL);
    if (failed)
        printf("%s FAIL\n", label);
    else
        printf("%s %.0f\n", label, (now_ns() - t0) / OPS);
}

static void quiet(void *opaque, virErrorPtr err)
{
    (void)opaque;
    (void)err;
}

int main(int argc, char **argv)
{
    int only = argc == 3 ? atoi(argv[2]) : 0;
    if (argc < 2 || argc > 3 || (argc == 3 && only != 1 && only != 8)) {
        fprintf(stderr, "usage: %s URI [1|8]\n", argv[0]);
        return 2;
    }
    virSetErrorFunc(NULL, quiet);
    if (!(conn = virConnectOpen(argv[1])))
        return 1;
    worker((void *)100L); /* warm up */
    if (only != 8)
        run("lookup+info+XMLDesc, 1 thread", 1);
    if (only != 1)
        run("lookup+info+XMLDesc, 8 threads on one connection", 8);
    virConnectClose(conn);
    return 0;
}
