/* The domain API of libvirt's C interface, on the test driver.
 *
 * tests/c/run_domains_c.py compiles this file against Debian's libvirt headers
 * and against ours, runs it on Debian's libvirt (the reference output) and on
 * our library, and requires identical stdout and stderr.  It reaches what the
 * Python binding cannot: NULL handles and arguments, short buffers, every bit
 * of every flags argument, typed parameters, free callbacks, and the error
 * record's detail fields.
 *
 * Output is deterministic: lists are sorted (libvirt returns them in hash
 * order), CPU times, creation times and pointers are never printed, guests
 * carry fixed UUIDs.
 *
 * usage: domains NODE_DIR SCRATCH_DIR [SECTION...]
 *   NODE_DIR holds node files written by the harness (fleet.xml);
 *   SCRATCH_DIR is an empty directory for save images.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include "loaded.h"

static const char *node_dir;
static const char *scratch;
static char fleet_uri[4096];

/* ------------------------------------------------------------------------ */
/* Printing                                                                 */
/* ------------------------------------------------------------------------ */

static const char *s(const char *str)
{
    return str ? str : "(null)";
}

static void section(const char *name)
{
    printf("\n== %s\n", name);
    fflush(stdout);
    fprintf(stderr, "== %s\n", name);
    fflush(stderr);
}

/* The last error, with every field a program can read. */
static void show_error(void)
{
    virErrorPtr e = virGetLastError();
    if (!e) {
        printf("    (no error set)\n");
        return;
    }
    printf("    error code=%d domain=%d level=%d message=[%s]\n", e->code, e->domain, e->level, s(e->message));
    printf("      str1=[%s] str2=[%s] str3=[%s] int1=%d int2=%d\n", s(e->str1), s(e->str2), s(e->str3), e->int1,
           e->int2);
}

/* Just the error's one-line form. */
static void brief_error(void)
{
    virErrorPtr e = virGetLastError();
    if (e)
        printf(" -> error code=%d domain=%d message=[%s]\n", e->code, e->domain, s(e->message));
    else
        printf(" -> failed without an error\n");
}

static int check_int(const char *label, int rc)
{
    printf("  %s = %d\n", label, rc);
    if (rc < 0)
        show_error();
    return rc;
}

static void *check_ptr(const char *label, void *p)
{
    printf("  %s = %s\n", label, p ? "object" : "NULL");
    if (!p)
        show_error();
    return p;
}

static void check_str(const char *label, char *str)
{
    printf("  %s = %s%s%s\n", label, str ? "[" : "", str ? str : "NULL", str ? "]" : "");
    if (!str)
        show_error();
    free(str);
}

#define INT(expr) check_int(#expr, (expr))
#define PTR(expr) check_ptr(#expr, (void *)(expr))
#define STR(expr) check_str(#expr, (expr))

static void quiet(void *data, virErrorPtr e)
{
    (void)data;
    (void)e;
}

static const char *state_names[] = {"nostate", "running", "blocked", "paused", "shutdown", "shutoff", "crashed",
                                    "pmsuspended"};

static void status(virDomainPtr dom)
{
    int state = -1, reason = -1;
    virDomainInfo info;
    unsigned int id = virDomainGetID(dom);

    if (virDomainGetState(dom, &state, &reason, 0) < 0 || virDomainGetInfo(dom, &info) < 0) {
        printf("  %s: state unavailable", virDomainGetName(dom));
        brief_error();
        return;
    }
    printf("  %s: %s (reason %d) id=%s%d active=%d persistent=%d info.state=%d mem=%lu/%lu vcpus=%u\n",
           virDomainGetName(dom), state >= 0 && state < 8 ? state_names[state] : "?", reason,
           id == (unsigned int)-1 ? "(unsigned)" : "", (int)id, virDomainIsActive(dom), virDomainIsPersistent(dom),
           info.state, info.memory, info.maxMem, info.nrVirtCpu);
}

static char *domxml(char *buf, size_t len, const char *name, int n, const char *extra)
{
    snprintf(buf, len,
             "<domain type='test'><name>%s</name><uuid>5e1f0c2d-3a4b-4c5d-8e6f-%012d</uuid>"
             "<memory>131072</memory><currentMemory>65536</currentMemory><vcpu current='2'>4</vcpu>"
             "<os><type>hvm</type></os>%s</domain>",
             name, n, extra ? extra : "");
    return buf;
}

static virDomainPtr define(virConnectPtr conn, const char *name, int n, const char *extra)
{
    char xml[4096];
    virDomainPtr dom = virDomainDefineXML(conn, domxml(xml, sizeof(xml), name, n, extra));
    if (!dom) {
        printf("  defining %s failed", name);
        brief_error();
    }
    return dom;
}

/* Removes a guest whatever its state, quietly. */
static void discard(virDomainPtr dom)
{
    if (!dom)
        return;
    if (virDomainIsActive(dom) == 1)
        virDomainDestroy(dom);
    if (virDomainIsPersistent(dom) == 1)
        virDomainUndefineFlags(dom, VIR_DOMAIN_UNDEFINE_MANAGED_SAVE | VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA);
    virDomainFree(dom);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static int cmp_dom(const void *a, const void *b)
{
    return strcmp(virDomainGetName(*(virDomainPtr const *)a), virDomainGetName(*(virDomainPtr const *)b));
}

static int cmp_snap(const void *a, const void *b)
{
    return strcmp(virDomainSnapshotGetName(*(virDomainSnapshotPtr const *)a),
                  virDomainSnapshotGetName(*(virDomainSnapshotPtr const *)b));
}

/* Prints and frees a domain list. */
static void print_domains(const char *label, virDomainPtr *doms, int n)
{
    int i;
    printf("  %s: %d [", label, n);
    if (n > 0) {
        qsort(doms, n, sizeof(*doms), cmp_dom);
        for (i = 0; i < n; i++) {
            printf("%s%s", i ? " " : "", virDomainGetName(doms[i]));
            virDomainFree(doms[i]);
        }
    }
    printf("]\n");
    if (n < 0)
        show_error();
    free(doms);
}

static void print_snapshots(const char *label, virDomainSnapshotPtr *snaps, int n)
{
    int i;
    printf("  %s: %d [", label, n);
    if (n > 0) {
        qsort(snaps, n, sizeof(*snaps), cmp_snap);
        for (i = 0; i < n; i++) {
            printf("%s%s", i ? " " : "", virDomainSnapshotGetName(snaps[i]));
            virDomainSnapshotFree(snaps[i]);
        }
    }
    printf("]\n");
    if (n < 0)
        show_error();
    free(snaps);
}

static void print_names(const char *label, char **names, int n)
{
    int i;
    printf("  %s: %d [", label, n);
    if (n > 0) {
        qsort(names, n, sizeof(*names), cmp_str);
        for (i = 0; i < n; i++) {
            printf("%s%s", i ? " " : "", names[i]);
            free(names[i]);
        }
    }
    printf("]\n");
    if (n < 0)
        show_error();
}

/* Replaces creation times in snapshot XML, which change from run to run. */
static void print_snapshot_xml(char *xml)
{
    char *p, *q;
    if (!xml) {
        printf("  XML: NULL\n");
        show_error();
        return;
    }
    if ((p = strstr(xml, "<creationTime>")) && (q = strstr(p, "</creationTime>"))) {
        *p = 0;
        printf("%s<creationTime>T%s", xml, q);
    } else {
        fputs(xml, stdout);
    }
    free(xml);
}

/* ------------------------------------------------------------------------ */
/* NULL handles and arguments                                               */
/* ------------------------------------------------------------------------ */

static int dummy_cb(virConnectPtr conn, virDomainPtr dom, int event, int detail, void *opaque)
{
    (void)conn;
    (void)dom;
    (void)event;
    (void)detail;
    (void)opaque;
    return 0;
}

static void null_handles(virConnectPtr conn)
{
    virDomainPtr dom = virDomainLookupByName(conn, "test");
    unsigned char uuid[VIR_UUID_BUFLEN];
    char uuidstr[VIR_UUID_STRING_BUFLEN];
    int ids[4], state, reason, nparams = 0, autostart;
    char *names[4];
    virDomainInfo info;
    virDomainPtr *doms;
    virSchedParameter sp[2];
    virTypedParameter tp[2];
    virVcpuInfo vinfo[2];
    unsigned char maps[8];

    memset(sp, 0, sizeof(sp));
    memset(tp, 0, sizeof(tp));
    memset(uuid, 0, sizeof(uuid));

    section("NULL connection");
    INT(virConnectNumOfDomains(NULL));
    INT(virConnectListDomains(NULL, ids, 4));
    INT(virConnectNumOfDefinedDomains(NULL));
    INT(virConnectListDefinedDomains(NULL, names, 4));
    INT(virConnectListAllDomains(NULL, &doms, 0));
    PTR(virDomainLookupByID(NULL, 1));
    PTR(virDomainLookupByName(NULL, "test"));
    PTR(virDomainLookupByUUID(NULL, uuid));
    PTR(virDomainLookupByUUIDString(NULL, "6695eb01-f6a4-8304-79aa-97f2502e193f"));
    PTR(virDomainDefineXML(NULL, "<domain/>"));
    PTR(virDomainDefineXMLFlags(NULL, "<domain/>", 0));
    PTR(virDomainCreateXML(NULL, "<domain/>", 0));
    INT(virDomainRestore(NULL, "/nonexistent"));
    INT(virDomainRestoreFlags(NULL, "/nonexistent", NULL, 0));
    INT(virConnectDomainEventRegisterAny(NULL, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                         VIR_DOMAIN_EVENT_CALLBACK(dummy_cb), NULL, NULL));
    INT(virConnectDomainEventDeregisterAny(NULL, 0));
    INT(virConnectDomainEventRegister(NULL, dummy_cb, NULL, NULL));
    INT(virConnectDomainEventDeregister(NULL, dummy_cb));

    section("NULL domain");
    printf("  virDomainGetName(NULL) = %s\n", s(virDomainGetName(NULL)));
    show_error();
    printf("  virDomainGetID(NULL) = %u\n", virDomainGetID(NULL));
    show_error();
    printf("  virDomainGetConnect(NULL) = %s\n", virDomainGetConnect(NULL) ? "object" : "NULL");
    show_error();
    INT(virDomainGetUUID(NULL, uuid));
    INT(virDomainGetUUIDString(NULL, uuidstr));
    INT(virDomainGetInfo(NULL, &info));
    INT(virDomainGetState(NULL, &state, &reason, 0));
    STR(virDomainGetOSType(NULL));
    printf("  virDomainGetMaxMemory(NULL) = %lu\n", virDomainGetMaxMemory(NULL));
    show_error();
    INT(virDomainGetMaxVcpus(NULL));
    STR(virDomainGetXMLDesc(NULL, 0));
    STR(virDomainGetHostname(NULL, 0));
    INT(virDomainFree(NULL));
    INT(virDomainRef(NULL));
    INT(virDomainCreate(NULL));
    INT(virDomainCreateWithFlags(NULL, 0));
    INT(virDomainSuspend(NULL));
    INT(virDomainResume(NULL));
    INT(virDomainShutdown(NULL));
    INT(virDomainShutdownFlags(NULL, 0));
    INT(virDomainReboot(NULL, 0));
    INT(virDomainReset(NULL, 0));
    INT(virDomainDestroy(NULL));
    INT(virDomainDestroyFlags(NULL, 0));
    INT(virDomainUndefine(NULL));
    INT(virDomainUndefineFlags(NULL, 0));
    INT(virDomainIsActive(NULL));
    INT(virDomainIsPersistent(NULL));
    INT(virDomainIsUpdated(NULL));
    INT(virDomainGetAutostart(NULL, &autostart));
    INT(virDomainSetAutostart(NULL, 1));
    INT(virDomainSetMemory(NULL, 1024));
    INT(virDomainSetMaxMemory(NULL, 1024));
    INT(virDomainSetMemoryFlags(NULL, 1024, 0));
    INT(virDomainSetVcpus(NULL, 1));
    INT(virDomainSetVcpusFlags(NULL, 1, 0));
    INT(virDomainGetVcpusFlags(NULL, 0));
    INT(virDomainGetVcpus(NULL, vinfo, 2, maps, 1));
    INT(virDomainManagedSave(NULL, 0));
    INT(virDomainHasManagedSaveImage(NULL, 0));
    INT(virDomainManagedSaveRemove(NULL, 0));
    INT(virDomainSave(NULL, "/nonexistent"));
    INT(virDomainSaveFlags(NULL, "/nonexistent", NULL, 0));
    STR(virDomainGetSchedulerType(NULL, &nparams));
    INT(virDomainGetSchedulerParameters(NULL, sp, &nparams));
    INT(virDomainGetSchedulerParametersFlags(NULL, tp, &nparams, 0));
    INT(virDomainSetSchedulerParameters(NULL, sp, 1));
    INT(virDomainSetSchedulerParametersFlags(NULL, tp, 1, 0));
    PTR(virDomainSnapshotCreateXML(NULL, "<domainsnapshot/>", 0));
    INT(virDomainSnapshotNum(NULL, 0));
    INT(virDomainSnapshotListNames(NULL, names, 4, 0));
    INT(virDomainListAllSnapshots(NULL, NULL, 0));
    PTR(virDomainSnapshotLookupByName(NULL, "s", 0));
    INT(virDomainHasCurrentSnapshot(NULL, 0));
    PTR(virDomainSnapshotCurrent(NULL, 0));
    INT(virDomainRevertToSnapshot(NULL, 0));

    section("NULL snapshot");
    printf("  virDomainSnapshotGetName(NULL) = %s\n", s(virDomainSnapshotGetName(NULL)));
    show_error();
    printf("  virDomainSnapshotGetDomain(NULL) = %s\n", virDomainSnapshotGetDomain(NULL) ? "object" : "NULL");
    show_error();
    printf("  virDomainSnapshotGetConnect(NULL) = %s\n", virDomainSnapshotGetConnect(NULL) ? "object" : "NULL");
    show_error();
    STR(virDomainSnapshotGetXMLDesc(NULL, 0));
    INT(virDomainSnapshotNumChildren(NULL, 0));
    INT(virDomainSnapshotListChildrenNames(NULL, names, 4, 0));
    INT(virDomainSnapshotListAllChildren(NULL, NULL, 0));
    PTR(virDomainSnapshotGetParent(NULL, 0));
    INT(virDomainSnapshotIsCurrent(NULL, 0));
    INT(virDomainSnapshotHasMetadata(NULL, 0));
    INT(virDomainSnapshotDelete(NULL, 0));
    INT(virDomainSnapshotRef(NULL));
    INT(virDomainSnapshotFree(NULL));

    section("NULL and invalid arguments");
    PTR(virDomainLookupByName(conn, NULL));
    PTR(virDomainLookupByUUID(conn, NULL));
    PTR(virDomainLookupByUUIDString(conn, NULL));
    PTR(virDomainLookupByID(conn, -1));
    PTR(virDomainLookupByID(conn, -2147483647 - 1));
    PTR(virDomainDefineXML(conn, NULL));
    PTR(virDomainDefineXMLFlags(conn, NULL, 0));
    PTR(virDomainCreateXML(conn, NULL, 0));
    INT(virDomainRestore(conn, NULL));
    INT(virDomainRestoreFlags(conn, NULL, NULL, 0));
    INT(virConnectListDomains(conn, NULL, 4));
    INT(virConnectListDomains(conn, ids, -1));
    INT(virConnectListDefinedDomains(conn, NULL, 4));
    INT(virConnectListDefinedDomains(conn, names, -1));
    INT(virDomainGetUUID(dom, NULL));
    INT(virDomainGetUUIDString(dom, NULL));
    INT(virDomainGetInfo(dom, NULL));
    INT(virDomainGetState(dom, NULL, &reason, 0));
    state = -7;
    INT(virDomainGetState(dom, &state, NULL, 0));
    printf("  state without reason = %d\n", state);
    INT(virDomainGetAutostart(dom, NULL));
    INT(virDomainSetMemory(dom, 0));
    INT(virDomainSetMaxMemory(dom, 0));
    INT(virDomainSetMemoryFlags(dom, 0, 0));
    INT(virDomainSetVcpus(dom, 0));
    INT(virDomainSetVcpusFlags(dom, 0, 0));
    INT(virDomainSave(dom, NULL));
    INT(virDomainSaveFlags(dom, NULL, NULL, 0));
    INT(virDomainGetSchedulerParameters(dom, NULL, &nparams));
    INT(virDomainGetSchedulerParameters(dom, sp, NULL));
    nparams = -1;
    INT(virDomainGetSchedulerParameters(dom, sp, &nparams));
    INT(virDomainGetSchedulerParametersFlags(dom, NULL, &nparams, 0));
    INT(virDomainSetSchedulerParameters(dom, NULL, 1));
    INT(virDomainSetSchedulerParameters(dom, sp, -1));
    INT(virDomainSetSchedulerParametersFlags(dom, NULL, 1, 0));
    INT(virDomainSetSchedulerParametersFlags(dom, tp, -1, 0));
    INT(virDomainGetVcpus(dom, NULL, 2, maps, 1));
    INT(virDomainGetVcpus(dom, vinfo, 0, maps, 1));
    INT(virDomainGetVcpus(dom, vinfo, 2, maps, 0));
    INT(virDomainGetVcpus(dom, vinfo, 2, NULL, 1));
    PTR(virDomainSnapshotCreateXML(dom, NULL, 0));
    INT(virDomainSnapshotListNames(dom, NULL, 4, 0));
    INT(virDomainSnapshotListNames(dom, names, -1, 0));
    PTR(virDomainSnapshotLookupByName(dom, NULL, 0));
    INT(virConnectDomainEventRegisterAny(conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE, NULL, NULL, NULL));
    INT(virConnectDomainEventRegisterAny(conn, NULL, -1, VIR_DOMAIN_EVENT_CALLBACK(dummy_cb), NULL, NULL));
    /* 26 is one past the last event id of libvirt 9.0 (MEMORY_DEVICE_SIZE_CHANGE). */
    INT(virConnectDomainEventRegisterAny(conn, NULL, VIR_DOMAIN_EVENT_ID_MEMORY_DEVICE_SIZE_CHANGE + 1,
                                         VIR_DOMAIN_EVENT_CALLBACK(dummy_cb), NULL, NULL));
    INT(virConnectDomainEventRegisterAny(conn, NULL, 1000, VIR_DOMAIN_EVENT_CALLBACK(dummy_cb), NULL, NULL));
    INT(virConnectDomainEventDeregisterAny(conn, -1));
    INT(virConnectDomainEventRegister(conn, NULL, NULL, NULL));
    INT(virConnectDomainEventDeregister(conn, NULL));
    virDomainFree(dom);
}

/* ------------------------------------------------------------------------ */
/* Lookups, identity, references                                            */
/* ------------------------------------------------------------------------ */

static void lookups(virConnectPtr conn)
{
    virDomainPtr a, b, c, off;
    unsigned char uuid[VIR_UUID_BUFLEN];
    char uuidstr[VIR_UUID_STRING_BUFLEN + 8];
    int i;

    section("lookups and identity");
    a = PTR(virDomainLookupByName(conn, "test"));
    b = PTR(virDomainLookupByID(conn, 1));
    INT(virDomainGetUUID(a, uuid));
    c = PTR(virDomainLookupByUUID(conn, uuid));
    printf("  three handles are %s objects\n", a != b && b != c && a != c ? "distinct" : "shared");
    printf("  names %s %s %s, ids %u %u %u\n", virDomainGetName(a), virDomainGetName(b), virDomainGetName(c),
           virDomainGetID(a), virDomainGetID(b), virDomainGetID(c));
    printf("  uuid bytes:");
    for (i = 0; i < VIR_UUID_BUFLEN; i++)
        printf(" %02x", uuid[i]);
    printf("\n");
    memset(uuidstr, 'x', sizeof(uuidstr));
    INT(virDomainGetUUIDString(a, uuidstr));
    printf("  uuid string [%s] length %zu\n", uuidstr, strlen(uuidstr));
    printf("  virDomainGetConnect is the connection: %d\n", virDomainGetConnect(a) == conn);
    STR(virDomainGetOSType(a));
    printf("  virDomainGetMaxMemory = %lu\n", virDomainGetMaxMemory(a));
    INT(virDomainGetMaxVcpus(a));
    STR(virDomainGetHostname(a, 0));
    for (i = 0; i < 3; i++) {
        const char *str[] = {"6695eb01-f6a4-8304-79aa-97f2502e193f", "6695EB01F6A4830479AA97F2502E193F",
                             "6695eb01-f6a4-8304-79aa-97f2502e193"};
        virDomainPtr d = virDomainLookupByUUIDString(conn, str[i]);
        printf("  virDomainLookupByUUIDString(%s) = %s\n", str[i], d ? virDomainGetName(d) : "NULL");
        if (d)
            virDomainFree(d);
        else
            show_error();
    }
    PTR(virDomainLookupByName(conn, "missing"));
    PTR(virDomainLookupByID(conn, 0));
    PTR(virDomainLookupByID(conn, 99));
    memset(uuid, 0xab, sizeof(uuid));
    PTR(virDomainLookupByUUID(conn, uuid));

    section("references");
    INT(virDomainRef(a));
    INT(virDomainFree(a));
    printf("  still usable after one free: %s\n", virDomainGetName(a));
    INT(virDomainFree(a));
    INT(virDomainFree(b));
    INT(virDomainFree(c));

    section("an inactive domain");
    off = define(conn, "idle", 1, NULL);
    if (!off)
        return;
    printf("  virDomainGetID = %u\n", virDomainGetID(off));
    INT(virDomainGetMaxVcpus(off));
    STR(virDomainGetHostname(off, 0));
    INT(virDomainGetVcpusFlags(off, 0));
    INT(virDomainGetVcpusFlags(off, VIR_DOMAIN_VCPU_MAXIMUM));
    INT(virDomainGetVcpusFlags(off, VIR_DOMAIN_AFFECT_LIVE));
    status(off);
    b = virDomainLookupByName(conn, "idle");
    INT(virDomainUndefine(off));
    printf("  after undefine, through a second handle:\n");
    printf("  virDomainGetName = %s, virDomainGetID = %u\n", virDomainGetName(b), virDomainGetID(b));
    INT(virDomainIsActive(b));
    INT(virDomainIsPersistent(b));
    INT(virDomainIsUpdated(b));
    STR(virDomainGetXMLDesc(b, 0));
    INT(virDomainCreate(b));
    INT(virDomainUndefine(b));
    virDomainFree(b);
    virDomainFree(off);
}

/* ------------------------------------------------------------------------ */
/* Listing                                                                  */
/* ------------------------------------------------------------------------ */

static const struct {
    unsigned int flag;
    const char *name;
} list_flags[] = {
    {VIR_CONNECT_LIST_DOMAINS_ACTIVE, "ACTIVE"},
    {VIR_CONNECT_LIST_DOMAINS_INACTIVE, "INACTIVE"},
    {VIR_CONNECT_LIST_DOMAINS_PERSISTENT, "PERSISTENT"},
    {VIR_CONNECT_LIST_DOMAINS_TRANSIENT, "TRANSIENT"},
    {VIR_CONNECT_LIST_DOMAINS_RUNNING, "RUNNING"},
    {VIR_CONNECT_LIST_DOMAINS_PAUSED, "PAUSED"},
    {VIR_CONNECT_LIST_DOMAINS_SHUTOFF, "SHUTOFF"},
    {VIR_CONNECT_LIST_DOMAINS_OTHER, "OTHER"},
    {VIR_CONNECT_LIST_DOMAINS_MANAGEDSAVE, "MANAGEDSAVE"},
    {VIR_CONNECT_LIST_DOMAINS_NO_MANAGEDSAVE, "NO_MANAGEDSAVE"},
    {VIR_CONNECT_LIST_DOMAINS_AUTOSTART, "AUTOSTART"},
    {VIR_CONNECT_LIST_DOMAINS_NO_AUTOSTART, "NO_AUTOSTART"},
    {VIR_CONNECT_LIST_DOMAINS_HAS_SNAPSHOT, "HAS_SNAPSHOT"},
    {VIR_CONNECT_LIST_DOMAINS_NO_SNAPSHOT, "NO_SNAPSHOT"},
    {VIR_CONNECT_LIST_DOMAINS_HAS_CHECKPOINT, "HAS_CHECKPOINT"},
    {VIR_CONNECT_LIST_DOMAINS_NO_CHECKPOINT, "NO_CHECKPOINT"},
};
#define NFLAGS (int)(sizeof(list_flags) / sizeof(list_flags[0]))

static void listing(void)
{
    virConnectPtr conn;
    virDomainPtr *doms, dom;
    int ids[64], n, i, j;
    char *names[64], label[256];

    section("listing a node file's guests");
    conn = virConnectOpen(fleet_uri);
    if (!conn) {
        show_error();
        return;
    }
    n = virConnectListAllDomains(conn, &doms, 0);
    if (n > 0) {
        qsort(doms, n, sizeof(*doms), cmp_dom);
        for (i = 0; i < n; i++) {
            status(doms[i]);
            virDomainFree(doms[i]);
        }
        free(doms);
    } else {
        show_error();
    }
    dom = virDomainLookupByName(conn, "running");
    if (dom) {
        INT(virDomainSetAutostart(dom, 1));
        virDomainFree(dom);
    }
    dom = virDomainLookupByName(conn, "shutoff");
    if (dom) {
        INT(virDomainSetAutostart(dom, 1));
        virDomainFree(dom);
    }

    INT(virConnectNumOfDomains(conn));
    n = virConnectListDomains(conn, ids, 64);
    if (n > 0)
        qsort(ids, n, sizeof(int), cmp_int);
    printf("  virConnectListDomains(64) = %d:", n);
    for (i = 0; i < n; i++)
        printf(" %d", ids[i]);
    printf("\n");
    for (i = 0; i < 3; i++) {
        int want[] = {0, 1, 3};
        memset(ids, 0, sizeof(ids));
        n = virConnectListDomains(conn, ids, want[i]);
        printf("  virConnectListDomains(max %d) = %d\n", want[i], n);
    }
    INT(virConnectNumOfDefinedDomains(conn));
    n = virConnectListDefinedDomains(conn, names, 64);
    print_names("virConnectListDefinedDomains(64)", names, n);
    memset(names, 0, sizeof(names));
    n = virConnectListDefinedDomains(conn, names, 1);
    printf("  virConnectListDefinedDomains(max 1) = %d, filled:", n);
    for (i = 0; i < 4; i++)
        printf(" %s", names[i] ? "set" : "NULL");
    printf("\n");
    free(names[0]);
    n = virConnectListDefinedDomains(conn, names, 0);
    printf("  virConnectListDefinedDomains(max 0) = %d\n", n);

    printf("  virConnectListAllDomains(NULL result, 0) = %d\n", virConnectListAllDomains(conn, NULL, 0));
    for (i = 0; i < NFLAGS; i++) {
        snprintf(label, sizeof(label), "%s", list_flags[i].name);
        n = virConnectListAllDomains(conn, &doms, list_flags[i].flag);
        print_domains(label, doms, n);
        printf("    count only: %d\n", virConnectListAllDomains(conn, NULL, list_flags[i].flag));
    }
    for (i = 0; i < NFLAGS; i++)
        for (j = i + 1; j < NFLAGS; j++) {
            snprintf(label, sizeof(label), "%s|%s", list_flags[i].name, list_flags[j].name);
            n = virConnectListAllDomains(conn, &doms, list_flags[i].flag | list_flags[j].flag);
            print_domains(label, doms, n);
        }
    for (i = 16; i < 32; i++) {
        doms = (virDomainPtr *)&label; /* must be left alone on failure */
        n = virConnectListAllDomains(conn, &doms, 1u << i);
        printf("  bit %d: %d, result %s", i, n, doms == (virDomainPtr *)&label ? "untouched" : doms ? "set" : "NULL");
        brief_error();
    }
    virConnectClose(conn);
}

/* ------------------------------------------------------------------------ */
/* Lifecycle                                                                */
/* ------------------------------------------------------------------------ */

static void lifecycle(virConnectPtr conn)
{
    virDomainPtr dom, again, t;
    char xml[4096];
    int autostart = -1;

    section("lifecycle of a persistent domain");
    dom = define(conn, "cycle", 10, "<on_reboot>restart</on_reboot>");
    if (!dom)
        return;
    status(dom);
    INT(virDomainGetAutostart(dom, &autostart));
    printf("  autostart = %d\n", autostart);
    INT(virDomainSetAutostart(dom, 7));
    INT(virDomainGetAutostart(dom, &autostart));
    printf("  autostart = %d\n", autostart);
    INT(virDomainSetAutostart(dom, 0));
    INT(virDomainSuspend(dom));
    INT(virDomainResume(dom));
    INT(virDomainShutdown(dom));
    INT(virDomainReboot(dom, 0));
    INT(virDomainReset(dom, 0));
    INT(virDomainDestroy(dom));
    INT(virDomainCreate(dom));
    status(dom);
    INT(virDomainCreate(dom));
    INT(virDomainSuspend(dom));
    status(dom);
    INT(virDomainSuspend(dom));
    INT(virDomainResume(dom));
    status(dom);
    INT(virDomainReboot(dom, 0));
    status(dom);
    INT(virDomainReset(dom, 0));
    status(dom);
    INT(virDomainShutdownFlags(dom, 0));
    status(dom);
    INT(virDomainCreateWithFlags(dom, 0));
    status(dom);
    again = virDomainLookupByName(conn, "cycle");
    printf("  a fresh handle's id: %d, the old handle's: %d\n", (int)virDomainGetID(again), (int)virDomainGetID(dom));
    INT(virDomainDestroyFlags(dom, 0));
    printf("  after destroy: fresh handle id %d, old handle id %d\n", (int)virDomainGetID(again),
           (int)virDomainGetID(dom));
    status(again);
    INT(virDomainCreate(again));
    printf("  started through the fresh handle: fresh id %d, old handle id %d\n", (int)virDomainGetID(again),
           (int)virDomainGetID(dom));
    INT(virDomainUndefineFlags(dom, 0));
    status(dom);
    INT(virDomainIsPersistent(again));
    INT(virDomainUndefine(dom));
    INT(virDomainDestroy(dom));
    PTR(virDomainLookupByName(conn, "cycle"));
    INT(virDomainIsActive(dom));
    virDomainFree(again);
    virDomainFree(dom);

    section("transient domains");
    t = PTR(virDomainCreateXML(conn, domxml(xml, sizeof(xml), "fleeting", 11, NULL), 0));
    if (t) {
        status(t);
        INT(virDomainSetAutostart(t, 1));
        INT(virDomainManagedSave(t, 0));
        dom = PTR(virDomainDefineXML(conn, domxml(xml, sizeof(xml), "fleeting", 11, "<on_poweroff>restart</on_poweroff>")));
        status(t);
        INT(virDomainUndefine(t));
        status(t);
        INT(virDomainShutdown(t));
        PTR(virDomainLookupByName(conn, "fleeting"));
        if (dom)
            virDomainFree(dom);
        virDomainFree(t);
    }
    PTR(virDomainCreateXML(conn, "<domain type='test'><name>x</name></domain>", 0));
    PTR(virDomainCreateXML(conn, domxml(xml, sizeof(xml), "test", 12, NULL), 0));
}

/* ------------------------------------------------------------------------ */
/* Every bit of every flags argument                                        */
/* ------------------------------------------------------------------------ */

enum op {
    OP_GET_XML, OP_GET_STATE, OP_GET_VCPUS_FLAGS, OP_GET_SCHED_FLAGS, OP_HAS_MANAGED_SAVE, OP_GET_HOSTNAME,
    OP_SNAPSHOT_NUM, OP_LIST_ALL_SNAPSHOTS, OP_SNAPSHOT_LIST_NAMES, OP_SNAPSHOT_CURRENT, OP_HAS_CURRENT_SNAPSHOT,
    OP_SNAPSHOT_LOOKUP, OP_SNAPSHOT_XML, OP_SNAPSHOT_NUM_CHILDREN, OP_SNAPSHOT_LIST_CHILDREN,
    OP_SNAPSHOT_ALL_CHILDREN, OP_SNAPSHOT_PARENT, OP_SNAPSHOT_IS_CURRENT, OP_SNAPSHOT_HAS_METADATA,
    OP_CREATE_WITH_FLAGS, OP_CREATE_XML, OP_DEFINE_XML_FLAGS, OP_UNDEFINE_FLAGS, OP_DESTROY_FLAGS,
    OP_SHUTDOWN_FLAGS, OP_REBOOT, OP_RESET, OP_MANAGED_SAVE, OP_MANAGED_SAVE_REMOVE, OP_SET_MEMORY_FLAGS,
    OP_SET_VCPUS_FLAGS, OP_SET_SCHED_FLAGS, OP_SNAPSHOT_CREATE, OP_REVERT, OP_SNAPSHOT_DELETE, OP_SAVE_FLAGS,
    OP_RESTORE_FLAGS, OP_COUNT
};

static const char *op_names[] = {
    "virDomainGetXMLDesc", "virDomainGetState", "virDomainGetVcpusFlags", "virDomainGetSchedulerParametersFlags",
    "virDomainHasManagedSaveImage", "virDomainGetHostname", "virDomainSnapshotNum", "virDomainListAllSnapshots",
    "virDomainSnapshotListNames", "virDomainSnapshotCurrent", "virDomainHasCurrentSnapshot",
    "virDomainSnapshotLookupByName", "virDomainSnapshotGetXMLDesc", "virDomainSnapshotNumChildren",
    "virDomainSnapshotListChildrenNames", "virDomainSnapshotListAllChildren", "virDomainSnapshotGetParent",
    "virDomainSnapshotIsCurrent", "virDomainSnapshotHasMetadata", "virDomainCreateWithFlags", "virDomainCreateXML",
    "virDomainDefineXMLFlags", "virDomainUndefineFlags", "virDomainDestroyFlags", "virDomainShutdownFlags",
    "virDomainReboot", "virDomainReset", "virDomainManagedSave", "virDomainManagedSaveRemove",
    "virDomainSetMemoryFlags", "virDomainSetVcpusFlags", "virDomainSetSchedulerParametersFlags",
    "virDomainSnapshotCreateXML", "virDomainRevertToSnapshot", "virDomainSnapshotDelete", "virDomainSaveFlags",
    "virDomainRestoreFlags",
};

/* One call of `op` with `flags` on a freshly made guest "sweep" (running, with
 * snapshots s1 <- s2, s2 current); returns the call's result. */
static int run_op(virConnectPtr conn, enum op op, unsigned int flags)
{
    char xml[4096], path[4096], *str, *names[8];
    virDomainPtr dom, d2;
    virDomainSnapshotPtr s1 = NULL, s2 = NULL, sn;
    virTypedParameter tp[4];
    int rc = -1, state, reason, n = 4, i;

    dom = virDomainDefineXML(conn, domxml(xml, sizeof(xml), "sweep", 20, NULL));
    if (!dom) {
        printf(" -> the guest could not be defined");
        brief_error();
        return -2;
    }
    if (virDomainCreate(dom) < 0 ||
        !(s1 = virDomainSnapshotCreateXML(dom, "<domainsnapshot><name>s1</name></domainsnapshot>", 0)) ||
        !(s2 = virDomainSnapshotCreateXML(dom, "<domainsnapshot><name>s2</name></domainsnapshot>", 0))) {
        printf(" -> the guest could not be set up");
        brief_error();
        rc = -2;
        goto done;
    }
    snprintf(path, sizeof(path), "%s/sweep.img", scratch);
    virResetLastError();
    switch (op) {
    case OP_GET_XML:
        str = virDomainGetXMLDesc(dom, flags);
        rc = str ? 0 : -1;
        free(str);
        break;
    case OP_GET_STATE:
        rc = virDomainGetState(dom, &state, &reason, flags);
        break;
    case OP_GET_VCPUS_FLAGS:
        rc = virDomainGetVcpusFlags(dom, flags);
        break;
    case OP_GET_SCHED_FLAGS:
        rc = virDomainGetSchedulerParametersFlags(dom, tp, &n, flags);
        break;
    case OP_HAS_MANAGED_SAVE:
        rc = virDomainHasManagedSaveImage(dom, flags);
        break;
    case OP_GET_HOSTNAME:
        str = virDomainGetHostname(dom, flags);
        rc = str ? 0 : -1;
        free(str);
        break;
    case OP_SNAPSHOT_NUM:
        rc = virDomainSnapshotNum(dom, flags);
        break;
    case OP_LIST_ALL_SNAPSHOTS:
        rc = virDomainListAllSnapshots(dom, NULL, flags);
        break;
    case OP_SNAPSHOT_LIST_NAMES:
        rc = virDomainSnapshotListNames(dom, names, 8, flags);
        for (i = 0; i < rc; i++)
            free(names[i]);
        break;
    case OP_SNAPSHOT_CURRENT:
        sn = virDomainSnapshotCurrent(dom, flags);
        rc = sn ? 0 : -1;
        if (sn)
            virDomainSnapshotFree(sn);
        break;
    case OP_HAS_CURRENT_SNAPSHOT:
        rc = virDomainHasCurrentSnapshot(dom, flags);
        break;
    case OP_SNAPSHOT_LOOKUP:
        sn = virDomainSnapshotLookupByName(dom, "s1", flags);
        rc = sn ? 0 : -1;
        if (sn)
            virDomainSnapshotFree(sn);
        break;
    case OP_SNAPSHOT_XML:
        str = virDomainSnapshotGetXMLDesc(s1, flags);
        rc = str ? 0 : -1;
        free(str);
        break;
    case OP_SNAPSHOT_NUM_CHILDREN:
        rc = virDomainSnapshotNumChildren(s1, flags);
        break;
    case OP_SNAPSHOT_LIST_CHILDREN:
        rc = virDomainSnapshotListChildrenNames(s1, names, 8, flags);
        for (i = 0; i < rc; i++)
            free(names[i]);
        break;
    case OP_SNAPSHOT_ALL_CHILDREN:
        rc = virDomainSnapshotListAllChildren(s1, NULL, flags);
        break;
    case OP_SNAPSHOT_PARENT:
        sn = virDomainSnapshotGetParent(s2, flags);
        rc = sn ? 0 : -1;
        if (sn)
            virDomainSnapshotFree(sn);
        break;
    case OP_SNAPSHOT_IS_CURRENT:
        rc = virDomainSnapshotIsCurrent(s2, flags);
        break;
    case OP_SNAPSHOT_HAS_METADATA:
        rc = virDomainSnapshotHasMetadata(s2, flags);
        break;
    case OP_CREATE_WITH_FLAGS:
        virDomainDestroy(dom);
        rc = virDomainCreateWithFlags(dom, flags);
        break;
    case OP_CREATE_XML:
        d2 = virDomainCreateXML(conn, domxml(xml, sizeof(xml), "sweep2", 21, NULL), flags);
        rc = d2 ? 0 : -1;
        if (d2) {
            virDomainDestroy(d2);
            virDomainFree(d2);
        }
        break;
    case OP_DEFINE_XML_FLAGS:
        d2 = virDomainDefineXMLFlags(conn, domxml(xml, sizeof(xml), "sweep2", 21, NULL), flags);
        rc = d2 ? 0 : -1;
        if (d2) {
            virDomainUndefine(d2);
            virDomainFree(d2);
        }
        break;
    case OP_UNDEFINE_FLAGS:
        rc = virDomainUndefineFlags(dom, flags);
        break;
    case OP_DESTROY_FLAGS:
        rc = virDomainDestroyFlags(dom, flags);
        break;
    case OP_SHUTDOWN_FLAGS:
        rc = virDomainShutdownFlags(dom, flags);
        break;
    case OP_REBOOT:
        rc = virDomainReboot(dom, flags);
        break;
    case OP_RESET:
        rc = virDomainReset(dom, flags);
        break;
    case OP_MANAGED_SAVE:
        rc = virDomainManagedSave(dom, flags);
        break;
    case OP_MANAGED_SAVE_REMOVE:
        virDomainManagedSave(dom, 0);
        rc = virDomainManagedSaveRemove(dom, flags);
        break;
    case OP_SET_MEMORY_FLAGS:
        rc = virDomainSetMemoryFlags(dom, 98304, flags);
        break;
    case OP_SET_VCPUS_FLAGS:
        rc = virDomainSetVcpusFlags(dom, 3, flags);
        break;
    case OP_SET_SCHED_FLAGS: {
        virTypedParameterPtr p = NULL;
        int max = 0;
        n = 0;
        virTypedParamsAddUInt(&p, &n, &max, VIR_DOMAIN_SCHEDULER_WEIGHT, 77);
        rc = virDomainSetSchedulerParametersFlags(dom, p, n, flags);
        virTypedParamsFree(p, n);
        break;
    }
    case OP_SNAPSHOT_CREATE:
        sn = virDomainSnapshotCreateXML(dom, "<domainsnapshot><name>s3</name></domainsnapshot>", flags);
        rc = sn ? 0 : -1;
        if (sn)
            virDomainSnapshotFree(sn);
        break;
    case OP_REVERT:
        rc = virDomainRevertToSnapshot(s1, flags);
        break;
    case OP_SNAPSHOT_DELETE:
        rc = virDomainSnapshotDelete(s1, flags);
        break;
    case OP_SAVE_FLAGS:
        rc = virDomainSaveFlags(dom, path, NULL, flags);
        break;
    case OP_RESTORE_FLAGS:
        if (virDomainSave(dom, path) < 0) {
            rc = -2;
            break;
        }
        rc = virDomainRestoreFlags(conn, path, NULL, flags);
        break;
    case OP_COUNT:
        break;
    }
    if (rc == -1)
        printf(" ->%s error code=%d domain=%d message=[%s]\n", "", virGetLastErrorCode(), virGetLastErrorDomain(),
               virGetLastErrorMessage());
done:
    if (s1)
        virDomainSnapshotFree(s1);
    if (s2)
        virDomainSnapshotFree(s2);
    unlink(path);
    discard(dom);
    return rc;
}

static void flag_sweeps(virConnectPtr conn)
{
    int op, bit;

    section("every bit of every flags argument");
    printf("  (on a running guest with snapshots s1 <- s2; a line per bit libvirt rejects)\n");
    for (op = 0; op < OP_COUNT; op++) {
        char accepted[256] = "";
        printf("  %s:\n", op_names[op]);
        for (bit = -1; bit < 32; bit++) {
            unsigned int flags = bit < 0 ? 0 : 1u << bit;
            int rc;
            printf("    %s", bit < 0 ? "0" : "");
            if (bit >= 0)
                printf("1<<%d", bit);
            fflush(stdout);
            rc = run_op(conn, op, flags);
            if (rc >= 0) {
                printf(" -> %d\n", rc);
                if (bit < 0)
                    snprintf(accepted, sizeof(accepted), " 0");
                else
                    snprintf(accepted + strlen(accepted), sizeof(accepted) - strlen(accepted), " 1<<%d", bit);
            }
        }
        printf("    accepted:%s\n", accepted);
    }
}

/* ------------------------------------------------------------------------ */
/* Memory, vCPUs, scheduler                                                 */
/* ------------------------------------------------------------------------ */

static void tuning(virConnectPtr conn)
{
    virDomainPtr dom;
    virVcpuInfo vinfo[8];
    unsigned char maps[8 * 4];
    virSchedParameter sp[4];
    virTypedParameterPtr tp = NULL;
    int n, i, nparams, maxp;
    char *type;

    section("memory");
    dom = define(conn, "tune", 30, NULL);
    if (!dom)
        return;
    INT(virDomainSetMemory(dom, 1024));
    INT(virDomainSetMaxMemory(dom, 262144));
    INT(virDomainSetMemoryFlags(dom, 200000, VIR_DOMAIN_AFFECT_CONFIG));
    INT(virDomainSetMaxMemory(dom, (unsigned long)-1));
    INT(virDomainSetMaxMemory(dom, (unsigned long)-1 / 1024));
    INT(virDomainSetMaxMemory(dom, (unsigned long)-1 / 1024 + 1));
    status(dom);
    INT(virDomainCreate(dom));
    INT(virDomainSetMemory(dom, 1));
    status(dom);
    INT(virDomainSetMemory(dom, 262145));
    INT(virDomainSetMemory(dom, (unsigned long)-1));
    INT(virDomainSetMemoryFlags(dom, 100000, VIR_DOMAIN_AFFECT_LIVE | VIR_DOMAIN_AFFECT_CONFIG));
    INT(virDomainSetMemoryFlags(dom, 100000, VIR_DOMAIN_MEM_MAXIMUM));
    INT(virDomainSetMemoryFlags(dom, 100000, VIR_DOMAIN_MEM_MAXIMUM | VIR_DOMAIN_AFFECT_CONFIG));
    status(dom);
    printf("  virDomainGetMaxMemory = %lu\n", virDomainGetMaxMemory(dom));

    section("vcpus");
    INT(virDomainGetMaxVcpus(dom));
    INT(virDomainSetVcpus(dom, 4));
    INT(virDomainSetVcpus(dom, 5));
    INT(virDomainSetVcpus(dom, (unsigned int)-1));
    INT(virDomainSetVcpusFlags(dom, 1, VIR_DOMAIN_VCPU_LIVE));
    INT(virDomainSetVcpusFlags(dom, 8, VIR_DOMAIN_VCPU_MAXIMUM | VIR_DOMAIN_VCPU_CONFIG));
    INT(virDomainSetVcpusFlags(dom, 9, VIR_DOMAIN_VCPU_CONFIG));
    INT(virDomainSetVcpusFlags(dom, 40, VIR_DOMAIN_VCPU_MAXIMUM | VIR_DOMAIN_VCPU_CONFIG));
    INT(virDomainSetVcpusFlags(dom, 1, VIR_DOMAIN_VCPU_GUEST));
    INT(virDomainSetVcpusFlags(dom, 1, VIR_DOMAIN_VCPU_HOTPLUGGABLE));
    for (i = 0; i < 6; i++) {
        unsigned int f[] = {0, VIR_DOMAIN_VCPU_LIVE, VIR_DOMAIN_VCPU_CONFIG, VIR_DOMAIN_VCPU_MAXIMUM,
                            VIR_DOMAIN_VCPU_MAXIMUM | VIR_DOMAIN_VCPU_CONFIG, VIR_DOMAIN_VCPU_GUEST};
        printf("  virDomainGetVcpusFlags(%#x) = %d\n", f[i], virDomainGetVcpusFlags(dom, f[i]));
    }
    memset(maps, 0xee, sizeof(maps));
    n = virDomainGetVcpus(dom, vinfo, 8, maps, 4);
    printf("  virDomainGetVcpus(8, maplen 4) = %d\n", n);
    for (i = 0; i < n; i++)
        printf("    vcpu %u state %d cpu %d map %02x %02x %02x %02x\n", vinfo[i].number, vinfo[i].state, vinfo[i].cpu,
               maps[i * 4], maps[i * 4 + 1], maps[i * 4 + 2], maps[i * 4 + 3]);
    n = virDomainGetVcpus(dom, vinfo, 1, NULL, 0);
    printf("  virDomainGetVcpus(1, no maps) = %d, vcpu %u state %d cpu %d\n", n, vinfo[0].number, vinfo[0].state,
           vinfo[0].cpu);
    if (n < 0)
        show_error();

    section("scheduler");
    type = virDomainGetSchedulerType(dom, &nparams);
    printf("  virDomainGetSchedulerType = %s, nparams %d\n", s(type), nparams);
    free(type);
    STR(virDomainGetSchedulerType(dom, NULL));
    for (i = 0; i < 3; i++) {
        int want[] = {0, 1, 4};
        nparams = want[i];
        memset(sp, 0, sizeof(sp));
        n = virDomainGetSchedulerParameters(dom, sp, &nparams);
        printf("  virDomainGetSchedulerParameters(nparams %d) = %d, nparams now %d", want[i], n, nparams);
        if (n == 0 && nparams > 0)
            printf(", first [%s] type %d value %u", sp[0].field, sp[0].type, sp[0].value.ui);
        printf("\n");
        if (n < 0)
            show_error();
    }
    for (i = 0; i < 4; i++) {
        unsigned int f[] = {0, VIR_DOMAIN_AFFECT_LIVE, VIR_DOMAIN_AFFECT_CONFIG, VIR_TYPED_PARAM_STRING_OKAY};
        virTypedParameter t[4];
        nparams = 4;
        memset(t, 0, sizeof(t));
        n = virDomainGetSchedulerParametersFlags(dom, t, &nparams, f[i]);
        printf("  virDomainGetSchedulerParametersFlags(%#x) = %d nparams %d", f[i], n, nparams);
        if (n == 0 && nparams > 0)
            printf(" [%s] type %d value %u", t[0].field, t[0].type, t[0].value.ui);
        printf("\n");
        if (n < 0)
            show_error();
    }
    memset(sp, 0, sizeof(sp));
    strcpy(sp[0].field, "weight");
    sp[0].type = VIR_DOMAIN_SCHED_FIELD_UINT;
    sp[0].value.ui = 500;
    INT(virDomainSetSchedulerParameters(dom, sp, 1));
    sp[0].type = VIR_DOMAIN_SCHED_FIELD_INT;
    INT(virDomainSetSchedulerParameters(dom, sp, 1));
    strcpy(sp[0].field, "cap");
    sp[0].type = VIR_DOMAIN_SCHED_FIELD_UINT;
    INT(virDomainSetSchedulerParameters(dom, sp, 1));
    INT(virDomainSetSchedulerParameters(dom, sp, 0));
    strcpy(sp[0].field, "weight");
    strcpy(sp[1].field, "weight");
    sp[1].type = VIR_DOMAIN_SCHED_FIELD_UINT;
    sp[1].value.ui = 9;
    INT(virDomainSetSchedulerParameters(dom, sp, 2));
    nparams = 0;
    maxp = 0;
    virTypedParamsAddUInt(&tp, &nparams, &maxp, VIR_DOMAIN_SCHEDULER_WEIGHT, 321);
    for (i = 0; i < 4; i++) {
        unsigned int f[] = {0, VIR_DOMAIN_AFFECT_LIVE, VIR_DOMAIN_AFFECT_CONFIG,
                            VIR_DOMAIN_AFFECT_LIVE | VIR_DOMAIN_AFFECT_CONFIG};
        int rc = virDomainSetSchedulerParametersFlags(dom, tp, nparams, f[i]);
        int got = 2;
        printf("  virDomainSetSchedulerParametersFlags(weight 321, %#x) = %d", f[i], rc);
        if (rc < 0)
            brief_error();
        else
            printf("\n");
        memset(sp, 0, sizeof(sp));
        if (virDomainGetSchedulerParameters(dom, sp, &got) == 0)
            printf("    now %s=%u\n", sp[0].field, sp[0].value.ui);
    }
    virTypedParamsFree(tp, nparams);
    tp = NULL;
    nparams = maxp = 0;
    virTypedParamsAddInt(&tp, &nparams, &maxp, VIR_DOMAIN_SCHEDULER_WEIGHT, 5);
    INT(virDomainSetSchedulerParametersFlags(dom, tp, nparams, 0));
    virTypedParamsFree(tp, nparams);
    tp = NULL;
    nparams = maxp = 0;
    virTypedParamsAddUInt(&tp, &nparams, &maxp, VIR_DOMAIN_SCHEDULER_CAP, 5);
    INT(virDomainSetSchedulerParametersFlags(dom, tp, nparams, 0));
    virTypedParamsFree(tp, nparams);
    tp = NULL;
    nparams = maxp = 0;
    virTypedParamsAddString(&tp, &nparams, &maxp, VIR_DOMAIN_SCHEDULER_WEIGHT, "5");
    INT(virDomainSetSchedulerParametersFlags(dom, tp, nparams, 0));
    virTypedParamsFree(tp, nparams);
    discard(dom);
}

/* ------------------------------------------------------------------------ */
/* Saving                                                                   */
/* ------------------------------------------------------------------------ */

static void saving(virConnectPtr conn)
{
    virDomainPtr dom, t;
    char path[4096], bad[4096], xml[4096];
    FILE *fp;

    section("save, restore, managed save");
    snprintf(path, sizeof(path), "%s/guest.img", scratch);
    dom = define(conn, "keeper", 40, NULL);
    if (!dom)
        return;
    INT(virDomainSave(dom, path));
    INT(virDomainCreate(dom));
    INT(virDomainSave(dom, path));
    status(dom);
    STR(virDomainSaveImageGetXMLDesc(conn, path, 0));
    INT(virDomainRestore(conn, path));
    status(dom);
    INT(virDomainSaveFlags(dom, path, domxml(xml, sizeof(xml), "keeper", 40, NULL), 0));
    INT(virDomainSaveFlags(dom, path, NULL, VIR_DOMAIN_SAVE_BYPASS_CACHE));
    INT(virDomainRestoreFlags(conn, path, domxml(xml, sizeof(xml), "keeper", 40, NULL), 0));
    INT(virDomainRestoreFlags(conn, path, NULL, 0));
    status(dom);
    INT(virDomainRestore(conn, path));
    INT(virDomainDestroy(dom));
    INT(virDomainRestore(conn, path));
    status(dom);
    snprintf(bad, sizeof(bad), "%s/truncated.img", scratch);
    if ((fp = fopen(bad, "w"))) {
        fputs("LibvirtQemudSave and some more bytes than a header has, so that the magic is what fails. "
              "LibvirtQemudSave and some more bytes than a header has, so that the magic is what fails.", fp);
        fclose(fp);
    }
    INT(virDomainRestore(conn, bad));
    /* A file shorter than the header fails with "incomplete save header in
     * '...': " and whatever errno the process last left behind, which is not
     * a behaviour to compare. */
    unlink(bad);
    snprintf(bad, sizeof(bad), "%s", scratch);
    INT(virDomainRestore(conn, bad));
    INT(virDomainSave(dom, bad));
    unlink(path);

    INT(virDomainManagedSave(dom, 0));
    INT(virDomainHasManagedSaveImage(dom, 0));
    status(dom);
    INT(virDomainSuspend(dom));
    INT(virDomainCreate(dom));
    status(dom);
    INT(virDomainHasManagedSaveImage(dom, 0));
    INT(virDomainManagedSave(dom, VIR_DOMAIN_SAVE_RUNNING | VIR_DOMAIN_SAVE_PAUSED));
    INT(virDomainManagedSave(dom, VIR_DOMAIN_SAVE_PAUSED));
    INT(virDomainManagedSaveRemove(dom, 0));
    INT(virDomainManagedSaveRemove(dom, 0));
    INT(virDomainCreate(dom));
    INT(virDomainManagedSave(dom, 0));
    INT(virDomainUndefine(dom));
    INT(virDomainUndefineFlags(dom, VIR_DOMAIN_UNDEFINE_MANAGED_SAVE));
    virDomainFree(dom);

    t = virDomainCreateXML(conn, domxml(xml, sizeof(xml), "keeper2", 41, NULL), 0);
    if (t) {
        INT(virDomainManagedSave(t, 0));
        INT(virDomainSave(t, path));
        PTR(virDomainLookupByName(conn, "keeper2"));
        INT(virDomainRestore(conn, path));
        virDomainFree(t);
        t = virDomainLookupByName(conn, "keeper2");
        if (t) {
            status(t);
            virDomainDestroy(t);
            virDomainFree(t);
        }
    }
    unlink(path);
}

/* ------------------------------------------------------------------------ */
/* Snapshots                                                                */
/* ------------------------------------------------------------------------ */

static void snapshots(virConnectPtr conn)
{
    virDomainPtr dom, owner;
    virDomainSnapshotPtr a, b, c, cur, parent, *list;
    char *names[8];
    int n, i;

    section("snapshots");
    dom = define(conn, "snappy", 50, NULL);
    if (!dom)
        return;
    a = PTR(virDomainSnapshotCreateXML(dom, "<domainsnapshot><name>a</name><description>off</description>"
                                            "</domainsnapshot>", 0));
    INT(virDomainCreate(dom));
    b = PTR(virDomainSnapshotCreateXML(dom, "<domainsnapshot><name>b</name></domainsnapshot>", 0));
    c = PTR(virDomainSnapshotCreateXML(dom, "<domainsnapshot><name>c</name><memory snapshot='no'/>"
                                            "</domainsnapshot>", 0));
    if (!a || !b || !c) {
        discard(dom);
        return;
    }
    printf("  names %s %s %s\n", virDomainSnapshotGetName(a), virDomainSnapshotGetName(b), virDomainSnapshotGetName(c));
    owner = virDomainSnapshotGetDomain(a);
    printf("  virDomainSnapshotGetDomain is the domain handle: %d, its name %s\n", owner == dom,
           virDomainGetName(owner));
    printf("  virDomainSnapshotGetConnect is the connection: %d\n", virDomainSnapshotGetConnect(a) == conn);
    print_snapshot_xml(virDomainSnapshotGetXMLDesc(a, 0));
    print_snapshot_xml(virDomainSnapshotGetXMLDesc(c, VIR_DOMAIN_SNAPSHOT_XML_SECURE));
    INT(virDomainSnapshotNum(dom, 0));
    n = virDomainSnapshotListNames(dom, names, 8, 0);
    print_names("virDomainSnapshotListNames(8)", names, n);
    memset(names, 0, sizeof(names));
    n = virDomainSnapshotListNames(dom, names, 2, 0);
    printf("  virDomainSnapshotListNames(2) = %d, filled:", n);
    for (i = 0; i < 8; i++)
        printf(" %s", names[i] ? "set" : "NULL");
    printf("\n");
    for (i = 0; i < 2; i++)
        free(names[i]);
    INT(virDomainSnapshotListNames(dom, names, 0, 0));
    n = virDomainListAllSnapshots(dom, &list, 0);
    print_snapshots("virDomainListAllSnapshots", list, n);
    INT(virDomainListAllSnapshots(dom, NULL, 0));
    n = virDomainListAllSnapshots(dom, &list, VIR_DOMAIN_SNAPSHOT_LIST_ROOTS);
    print_snapshots("ROOTS", list, n);
    n = virDomainListAllSnapshots(dom, &list, VIR_DOMAIN_SNAPSHOT_LIST_LEAVES);
    print_snapshots("LEAVES", list, n);
    n = virDomainListAllSnapshots(dom, &list, VIR_DOMAIN_SNAPSHOT_LIST_INACTIVE);
    print_snapshots("INACTIVE", list, n);
    n = virDomainListAllSnapshots(dom, &list, VIR_DOMAIN_SNAPSHOT_LIST_ACTIVE);
    print_snapshots("ACTIVE", list, n);
    n = virDomainListAllSnapshots(dom, &list, VIR_DOMAIN_SNAPSHOT_LIST_DISK_ONLY);
    print_snapshots("DISK_ONLY", list, n);
    n = virDomainListAllSnapshots(dom, &list, VIR_DOMAIN_SNAPSHOT_LIST_TOPOLOGICAL);
    printf("  TOPOLOGICAL order:");
    for (i = 0; i < n; i++) {
        printf(" %s", virDomainSnapshotGetName(list[i]));
        virDomainSnapshotFree(list[i]);
    }
    printf("\n");
    free(list);
    INT(virDomainSnapshotNumChildren(a, 0));
    INT(virDomainSnapshotNumChildren(a, VIR_DOMAIN_SNAPSHOT_LIST_DESCENDANTS));
    n = virDomainSnapshotListChildrenNames(a, names, 8, VIR_DOMAIN_SNAPSHOT_LIST_DESCENDANTS);
    print_names("virDomainSnapshotListChildrenNames(a, DESCENDANTS)", names, n);
    n = virDomainSnapshotListAllChildren(a, &list, 0);
    print_snapshots("virDomainSnapshotListAllChildren(a)", list, n);
    INT(virDomainSnapshotListAllChildren(c, NULL, 0));
    parent = virDomainSnapshotGetParent(c, 0);
    printf("  parent of c: %s\n", parent ? virDomainSnapshotGetName(parent) : "NULL");
    if (parent)
        virDomainSnapshotFree(parent);
    PTR(virDomainSnapshotGetParent(a, 0));
    cur = virDomainSnapshotCurrent(dom, 0);
    printf("  current: %s\n", cur ? virDomainSnapshotGetName(cur) : "NULL");
    if (cur)
        virDomainSnapshotFree(cur);
    INT(virDomainSnapshotIsCurrent(a, 0));
    INT(virDomainSnapshotIsCurrent(c, 0));
    INT(virDomainSnapshotHasMetadata(a, 0));
    INT(virDomainHasCurrentSnapshot(dom, 0));
    INT(virDomainSnapshotRef(a));
    INT(virDomainSnapshotFree(a));
    printf("  still usable after one free: %s\n", virDomainSnapshotGetName(a));

    section("revert and delete");
    INT(virDomainSetMemory(dom, 4096));
    INT(virDomainRevertToSnapshot(a, 0));
    status(dom);
    INT(virDomainRevertToSnapshot(b, 0));
    status(dom);
    INT(virDomainRevertToSnapshot(c, VIR_DOMAIN_SNAPSHOT_REVERT_PAUSED));
    status(dom);
    INT(virDomainRevertToSnapshot(a, VIR_DOMAIN_SNAPSHOT_REVERT_RUNNING));
    status(dom);
    INT(virDomainRevertToSnapshot(a, VIR_DOMAIN_SNAPSHOT_REVERT_PAUSED));
    status(dom);
    INT(virDomainRevertToSnapshot(b, VIR_DOMAIN_SNAPSHOT_REVERT_FORCE));
    status(dom);
    INT(virDomainSnapshotDelete(b, VIR_DOMAIN_SNAPSHOT_DELETE_METADATA_ONLY));
    INT(virDomainSnapshotDelete(b, VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN_ONLY));
    n = virDomainSnapshotListNames(dom, names, 8, 0);
    print_names("after deleting b's children", names, n);
    INT(virDomainSnapshotIsCurrent(b, 0));
    INT(virDomainSnapshotDelete(c, 0));
    STR(virDomainSnapshotGetXMLDesc(c, 0));
    INT(virDomainRevertToSnapshot(c, 0));
    INT(virDomainSnapshotDelete(b, 0));
    n = virDomainSnapshotListNames(dom, names, 8, 0);
    print_names("after deleting b", names, n);
    INT(virDomainHasCurrentSnapshot(dom, 0));
    INT(virDomainUndefine(dom));
    INT(virDomainDestroy(dom));
    INT(virDomainUndefine(dom));
    INT(virDomainSnapshotDelete(a, VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN));
    INT(virDomainSnapshotNum(dom, 0));
    INT(virDomainUndefine(dom));
    INT(virDomainSnapshotFree(a));
    INT(virDomainSnapshotFree(b));
    INT(virDomainSnapshotFree(c));
    virDomainFree(dom);
}

/* ------------------------------------------------------------------------ */
/* Events                                                                   */
/* ------------------------------------------------------------------------ */

static int events_seen;
static int marker_fired;

static int on_lifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail, void *opaque)
{
    (void)conn;
    events_seen++;
    printf("    lifecycle[%s] %s event=%d detail=%d\n", (const char *)opaque, virDomainGetName(dom), event, detail);
    return 0;
}

static void on_reboot(virConnectPtr conn, virDomainPtr dom, void *opaque)
{
    (void)conn;
    events_seen++;
    printf("    reboot[%s] %s\n", (const char *)opaque, virDomainGetName(dom));
}

static void on_generic(virConnectPtr conn, virDomainPtr dom, void *opaque)
{
    (void)conn;
    events_seen++;
    printf("    generic[%s] %s\n", (const char *)opaque, virDomainGetName(dom));
}

static void on_free(void *opaque)
{
    printf("    free callback for [%s]\n", (const char *)opaque);
}

static void on_timer(int timer, void *opaque)
{
    (void)timer;
    *(int *)opaque = 1;
}

/* Runs the loop until `expect` more events arrived (2 s at most), then once
 * more to collect any further queued ones. */
static void pump(int expect)
{
    int goal = events_seen + expect, expired = 0, timer;

    fflush(stdout);
    timer = virEventAddTimeout(2000, on_timer, &expired, NULL);
    while (events_seen < goal && !expired)
        if (virEventRunDefaultImpl() < 0)
            break;
    virEventRemoveTimeout(timer);
    marker_fired = 0;
    timer = virEventAddTimeout(0, on_timer, &marker_fired, NULL);
    while (!marker_fired)
        if (virEventRunDefaultImpl() < 0)
            break;
    virEventRemoveTimeout(timer);
    if (events_seen < goal)
        printf("    (%d fewer than expected)\n", goal - events_seen);
}

static void events(virConnectPtr conn)
{
    virConnectPtr other;
    virDomainPtr dom, foreign;
    int all, mine, reboot, old, generic, rc;
    char xml[4096];

    section("events");
    all = INT(virConnectDomainEventRegisterAny(conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                               VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle), "all", on_free));
    reboot = INT(virConnectDomainEventRegisterAny(conn, NULL, VIR_DOMAIN_EVENT_ID_REBOOT,
                                                  VIR_DOMAIN_EVENT_CALLBACK(on_reboot), "reboot", on_free));
    generic = INT(virConnectDomainEventRegisterAny(conn, NULL, VIR_DOMAIN_EVENT_ID_CONTROL_ERROR,
                                                   VIR_DOMAIN_EVENT_CALLBACK(on_generic), "control", on_free));
    old = INT(virConnectDomainEventRegister(conn, on_lifecycle, "old", on_free));
    rc = virConnectDomainEventRegister(conn, on_lifecycle, "old again", on_free);
    printf("  registering the same old-style callback twice = %d\n", rc);
    if (rc < 0)
        printf("    error code=%d domain=%d\n", virGetLastErrorCode(), virGetLastErrorDomain());
    (void)old;
    pump(0);

    dom = define(conn, "watched", 60, NULL);
    pump(2);
    if (!dom)
        return;
    mine = INT(virConnectDomainEventRegisterAny(conn, dom, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                                VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle), "watched", on_free));
    other = virConnectOpen("test:///default");
    foreign = virDomainLookupByName(other, "watched");
    rc = virConnectDomainEventRegisterAny(conn, foreign, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                          VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle), "foreign", on_free);
    printf("  registering for a domain of another connection = %s\n", rc >= 0 ? "ok" : "error");
    if (rc < 0)
        show_error();
    INT(virDomainCreate(dom));
    pump(rc >= 0 ? 4 : 3);
    if (rc >= 0)
        virConnectDomainEventDeregisterAny(conn, rc);
    INT(virDomainSuspend(dom));
    pump(3);
    INT(virDomainResume(dom));
    pump(3);
    INT(virDomainReboot(dom, 0));
    pump(0);
    INT(virDomainShutdown(dom));
    pump(3);
    INT(virDomainCreate(dom));
    pump(3);
    INT(virDomainDestroy(dom));
    pump(3);
    INT(virDomainDestroy(foreign));
    pump(0);
    INT(virDomainUndefine(dom));
    pump(3);
    virDomainFree(foreign);
    virConnectClose(other);

    printf("  deregistering:\n");
    INT(virConnectDomainEventDeregisterAny(conn, mine));
    INT(virConnectDomainEventDeregisterAny(conn, mine));
    INT(virConnectDomainEventDeregisterAny(conn, reboot));
    INT(virConnectDomainEventDeregisterAny(conn, generic));
    INT(virConnectDomainEventDeregister(conn, on_lifecycle));
    rc = virConnectDomainEventDeregister(conn, on_lifecycle);
    printf("  deregistering the old-style callback again = %d", rc);
    if (rc < 0)
        printf(", error code=%d domain=%d", virGetLastErrorCode(), virGetLastErrorDomain());
    printf("\n");
    virDomainFree(dom);
    dom = virDomainCreateXML(conn, domxml(xml, sizeof(xml), "watched2", 61, NULL), 0);
    pump(1);
    if (dom) {
        virDomainDestroy(dom);
        pump(1);
        virDomainFree(dom);
    }
    INT(virConnectDomainEventDeregisterAny(conn, all));
    printf("  closing with no callbacks left\n");
}

/* ------------------------------------------------------------------------ */
/* Read-only connections, and closing                                       */
/* ------------------------------------------------------------------------ */

static void read_only(void)
{
    virConnectPtr ro = virConnectOpenReadOnly("test:///default");
    virDomainPtr dom;
    char xml[4096];
    unsigned int f;

    section("read-only connection");
    if (!ro) {
        show_error();
        return;
    }
    dom = virDomainLookupByName(ro, "test");
    PTR(virDomainDefineXML(ro, domxml(xml, sizeof(xml), "ro", 70, NULL)));
    PTR(virDomainCreateXML(ro, domxml(xml, sizeof(xml), "ro", 70, NULL), 0));
    INT(virDomainSuspend(dom));
    INT(virDomainDestroyFlags(dom, 1u << 30));
    INT(virDomainSetVcpusFlags(dom, 0, 0));
    PTR(virDomainSnapshotCreateXML(dom, NULL, 0));
    for (f = 0; f < 16; f++) {
        char *x = virDomainGetXMLDesc(dom, f);
        printf("  virDomainGetXMLDesc(%#x) = %s", f, x ? "ok\n" : "NULL");
        if (!x)
            brief_error();
        free(x);
    }
    INT(virDomainGetVcpusFlags(dom, 0));
    INT(virConnectListAllDomains(ro, NULL, 0));
    virDomainFree(dom);
    INT(virConnectClose(ro));
}

static void closing(void)
{
    virConnectPtr conn;
    virDomainPtr a, b, c;
    virDomainSnapshotPtr snap;

    section("closing with handles alive");
    conn = virConnectOpen("test:///default");
    INT(virConnectRef(conn));
    INT(virConnectClose(conn));
    a = virDomainLookupByName(conn, "test");
    b = virDomainLookupByName(conn, "test");
    c = virDomainLookupByID(conn, 1);
    snap = virDomainSnapshotCreateXML(a, "<domainsnapshot><name>kept</name></domainsnapshot>", 0);
    INT(virConnectClose(conn));
    printf("  the handles still work: %s %s %u\n", virDomainGetName(a), virDomainGetName(b), virDomainGetID(c));
    INT(virDomainIsActive(a));
    printf("  snapshot %s\n", virDomainSnapshotGetName(snap));
    INT(virDomainSnapshotDelete(snap, 0));
    INT(virDomainSnapshotFree(snap));
    INT(virDomainFree(a));
    INT(virDomainFree(b));
    INT(virDomainFree(c));
}

/* ------------------------------------------------------------------------ */

/* Proves which libvirt.so.0 this process loaded: the one in
 * $EXPECT_LIBVIRT_DIR, so a comparison can never silently test the wrong library. */
static int wanted(int argc, char **argv, const char *name)
{
    int i;
    if (argc <= 3)
        return 1;
    for (i = 3; i < argc; i++)
        if (!strcmp(argv[i], name))
            return 1;
    return 0;
}

int main(int argc, char **argv)
{
    virConnectPtr conn;
    virDomainPtr *doms;
    int n, i;

    if (check_loaded_library() < 0)
        return 3;
    if (argc < 3) {
        fprintf(stderr, "usage: %s NODE_DIR SCRATCH_DIR [SECTION...]\n", argv[0]);
        return 2;
    }
    node_dir = argv[1];
    scratch = argv[2];
    snprintf(fleet_uri, sizeof(fleet_uri), "test://%s/fleet.xml", node_dir);
    setvbuf(stdout, NULL, _IOLBF, 0);

    /* The first error goes through libvirt's default printer (stderr). */
    conn = virConnectOpen("test:///default");
    virDomainLookupByName(conn, "printed-to-stderr");
    virConnectClose(conn);

    virSetErrorFunc(NULL, quiet);
    if (virEventRegisterDefaultImpl() < 0)
        return 1;
    conn = virConnectOpen("test:///default");
    if (!conn)
        return 1;
    if (wanted(argc, argv, "null"))
        null_handles(conn);
    if (wanted(argc, argv, "lookups"))
        lookups(conn);
    if (wanted(argc, argv, "listing"))
        listing();
    if (wanted(argc, argv, "lifecycle"))
        lifecycle(conn);
    if (wanted(argc, argv, "flags"))
        flag_sweeps(conn);
    if (wanted(argc, argv, "tuning"))
        tuning(conn);
    if (wanted(argc, argv, "saving"))
        saving(conn);
    if (wanted(argc, argv, "snapshots"))
        snapshots(conn);
    if (wanted(argc, argv, "events"))
        events(conn);
    if (wanted(argc, argv, "readonly"))
        read_only();
    if (wanted(argc, argv, "closing"))
        closing();

    section("left over on test:///default");
    n = virConnectListAllDomains(conn, &doms, 0);
    if (n >= 0) {
        qsort(doms, n, sizeof(*doms), cmp_dom);
        for (i = 0; i < n; i++) {
            status(doms[i]);
            virDomainFree(doms[i]);
        }
        free(doms);
    } else {
        show_error();
    }
    printf("  virConnectClose = %d\n", virConnectClose(conn));
    return 0;
}
