/* Many threads on one test:///default connection: each thread drives its
 * own guest through its whole life (define, start, pause, resume, snapshot,
 * memory, destroy, undefine) while also reading shared state, and an event
 * loop thread counts the lifecycle events.  Everything printed is
 * deterministic, so tests/c/run_threads.py compares it with libvirt's.
 *
 * usage: threads [THREADS [ROUNDS]]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include "loaded.h"

#define MAX_THREADS 64
#define EVENT_KINDS 9

static virConnectPtr conn;
static int rounds = 50;
static int events[EVENT_KINDS];
static int stop_loop;

struct worker {
    int index;
    int failures;
    char first_failure[256];
};

static void quiet(void *u, virErrorPtr e)
{
    (void)u;
    (void)e;
}

static int on_lifecycle(virConnectPtr c, virDomainPtr d, int event, int detail, void *opaque)
{
    (void)c;
    (void)detail;
    (void)opaque;
    /* Only the workers' guests count: "test" belongs to no thread. */
    if (event >= 0 && event < EVENT_KINDS && strcmp(virDomainGetName(d), "test") != 0)
        __atomic_add_fetch(&events[event], 1, __ATOMIC_SEQ_CST);
    return 0;
}

static void tick(int timer, void *opaque)
{
    (void)timer;
    (void)opaque;
}

static void *event_loop(void *arg)
{
    (void)arg;
    while (!__atomic_load_n(&stop_loop, __ATOMIC_SEQ_CST))
        virEventRunDefaultImpl();
    return NULL;
}

static void fail(struct worker *w, const char *what)
{
    if (w->failures++ == 0)
        snprintf(w->first_failure, sizeof(w->first_failure), "%s: %s", what,
                 virGetLastErrorMessage());
}

static void *work(void *arg)
{
    struct worker *w = arg;
    char name[32], xml[512];
    int r;

    snprintf(name, sizeof(name), "t%d", w->index);
    snprintf(xml, sizeof(xml),
             "<domain type='test'><name>%s</name><uuid>7e57da7a-0000-4000-8000-%012d</uuid>"
             "<memory>65536</memory><vcpu>2</vcpu><os><type>hvm</type></os></domain>",
             name, w->index);
    for (r = 0; r < rounds; r++) {
        virDomainPtr dom, shared;
        virDomainPtr *all = NULL;
        virDomainSnapshotPtr snap;
        virDomainInfo info;
        char *text;
        int n, i;

        if (!(dom = virDomainDefineXML(conn, xml))) {
            fail(w, "define");
            continue;
        }
        if (virDomainCreate(dom) < 0)
            fail(w, "create");
        if (virDomainSuspend(dom) < 0)
            fail(w, "suspend");
        if (virDomainResume(dom) < 0)
            fail(w, "resume");
        if (virDomainGetInfo(dom, &info) < 0 || info.state != VIR_DOMAIN_RUNNING || info.nrVirtCpu != 2)
            fail(w, "info");
        if (virDomainSetMemory(dom, 32768) < 0)
            fail(w, "setMemory");
        text = virDomainGetXMLDesc(dom, 0);
        if (!text || !strstr(text, "<currentMemory unit='KiB'>32768</currentMemory>"))
            fail(w, "XMLDesc");
        free(text);
        snap = virDomainSnapshotCreateXML(dom, "<domainsnapshot><name>s</name></domainsnapshot>", 0);
        if (!snap || virDomainSnapshotNum(dom, 0) != 1 || virDomainSnapshotDelete(snap, 0) < 0)
            fail(w, "snapshot");
        if (snap)
            virDomainSnapshotFree(snap);
        if (!(shared = virDomainLookupByName(conn, "test")))
            fail(w, "lookup test");
        else
            virDomainFree(shared);
        n = virConnectListAllDomains(conn, &all, 0);
        if (n < 2)
            fail(w, "listAllDomains");
        for (i = 0; i < n; i++)
            virDomainFree(all[i]);
        free(all);
        if (virDomainDestroy(dom) < 0)
            fail(w, "destroy");
        if (virDomainUndefine(dom) < 0)
            fail(w, "undefine");
        virDomainFree(dom);
    }
    return NULL;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    static const char *kinds[EVENT_KINDS] = {"defined", "undefined", "started", "suspended", "resumed",
                                             "stopped", "shutdown", "pmsuspended", "crashed"};
    pthread_t loop, threads[MAX_THREADS];
    struct worker workers[MAX_THREADS];
    int nthreads = argc > 1 ? atoi(argv[1]) : 8;
    int i, expected, total = 0, timer, cb;
    virDomainPtr *all = NULL;
    double deadline;

    if (argc > 2)
        rounds = atoi(argv[2]);
    if (nthreads < 1 || nthreads > MAX_THREADS || rounds < 1) {
        fprintf(stderr, "usage: %s [THREADS [ROUNDS]]\n", argv[0]);
        return 2;
    }
    if (check_loaded_library() < 0)
        return 3;
    virSetErrorFunc(NULL, quiet);
    if (virEventRegisterDefaultImpl() < 0 || !(conn = virConnectOpen("test:///default")))
        return 1;
    cb = virConnectDomainEventRegisterAny(conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                          VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle), NULL, NULL);
    timer = virEventAddTimeout(20, tick, NULL, NULL);
    pthread_create(&loop, NULL, event_loop, NULL);
    for (i = 0; i < nthreads; i++) {
        workers[i].index = i;
        workers[i].failures = 0;
        workers[i].first_failure[0] = '\0';
        pthread_create(&threads[i], NULL, work, &workers[i]);
    }
    for (i = 0; i < nthreads; i++)
        pthread_join(threads[i], NULL);

    /* Six lifecycle events per round: defined, started, suspended,
     * resumed, stopped, undefined.  Wait for the loop to deliver them. */
    expected = nthreads * rounds * 6;
    deadline = now() + 30;
    while (now() < deadline) {
        total = 0;
        for (i = 0; i < EVENT_KINDS; i++)
            total += __atomic_load_n(&events[i], __ATOMIC_SEQ_CST);
        if (total >= expected)
            break;
        {
            struct timespec pause = {0, 10 * 1000 * 1000};
            nanosleep(&pause, NULL);
        }
    }
    __atomic_store_n(&stop_loop, 1, __ATOMIC_SEQ_CST);
    pthread_join(loop, NULL);
    virEventRemoveTimeout(timer);
    virConnectDomainEventDeregisterAny(conn, cb);

    printf("%d threads x %d rounds on one connection\n", nthreads, rounds);
    for (i = 0; i < nthreads; i++)
        printf("  thread %d: %d failures%s%s\n", i, workers[i].failures,
               workers[i].failures ? ", first: " : "", workers[i].first_failure);
    printf("lifecycle events (%d expected, %d seen):\n", expected, total);
    for (i = 0; i < EVENT_KINDS; i++)
        printf("  %-12s %d\n", kinds[i], events[i]);
    printf("domains left:");
    total = virConnectListAllDomains(conn, &all, 0);
    for (i = 0; i < total; i++) {
        printf(" %s", virDomainGetName(all[i]));
        virDomainFree(all[i]);
    }
    free(all);
    printf("\n");
    virConnectClose(conn);
    return 0;
}
