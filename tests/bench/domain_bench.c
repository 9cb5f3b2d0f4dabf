/* Times the domain API; tests/bench/run runs it on Debian's libvirt and on
 * ours in the same run and prints the ratios.
 *
 * usage: domain_bench NODE_FILE    (a node file with many guests, written by the runner)
 * Prints "label nanoseconds-per-operation" lines, or "label FAIL" when an
 * operation does not work on the library under test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void quiet(void *u, virErrorPtr e)
{
    (void)u;
    (void)e;
}

/* Runs BODY (which sets ok_ to 0 on failure) n times; a failure stops the
 * measurement and prints FAIL. */
#define BENCH(label, n, ...)                                                                        \
    do {                                                                                            \
        int ok_ = 1;                                                                                \
        long i_;                                                                                    \
        double t0 = now();                                                                          \
        for (i_ = 0; i_ < (n) && ok_; i_++) {                                                       \
            __VA_ARGS__;                                                                            \
        }                                                                                           \
        if (ok_)                                                                                    \
            printf("%s %.1f\n", label, (now() - t0) * 1e9 / (n));                                  \
        else                                                                                        \
            printf("%s FAIL\n", label);                                                             \
        fflush(stdout);                                                                             \
    } while (0)

static const char *GUEST = "<domain type='test'><name>bench</name>"
                           "<uuid>0b3e5c1a-9d2f-4e6b-8a7c-1d2e3f405162</uuid><memory>65536</memory>"
                           "<vcpu>1</vcpu><os><type>hvm</type></os></domain>";

int main(int argc, char **argv)
{
    char uri[4096];
    virConnectPtr conn, node;
    double t0;

    if (argc < 2) {
        fprintf(stderr, "usage: %s NODE_FILE\n", argv[0]);
        return 2;
    }
    virSetErrorFunc(NULL, quiet);
    conn = virConnectOpen("test:///default");
    if (!conn)
        return 1;

    BENCH("open+close test:///default", 5000, {
        virConnectPtr c = virConnectOpen("test:///default");
        if (!c)
            ok_ = 0;
        else
            virConnectClose(c);
    });
    BENCH("lookupByName+getInfo+getXMLDesc", 20000, {
        virDomainInfo info;
        virDomainPtr d = virDomainLookupByName(conn, "test");
        char *xml = d ? virDomainGetXMLDesc(d, 0) : NULL;
        if (!d || virDomainGetInfo(d, &info) < 0 || !xml)
            ok_ = 0;
        free(xml);
        if (d)
            virDomainFree(d);
    });
    BENCH("defineXML+undefine", 5000, {
        virDomainPtr d = virDomainDefineXML(conn, GUEST);
        if (!d || virDomainUndefine(d) < 0)
            ok_ = 0;
        if (d)
            virDomainFree(d);
    });
    BENCH("create+suspend+resume+destroy", 5000, {
        virDomainPtr d = virDomainCreateXML(conn, GUEST, 0);
        if (!d || virDomainSuspend(d) < 0 || virDomainResume(d) < 0 || virDomainDestroy(d) < 0)
            ok_ = 0;
        if (d)
            virDomainFree(d);
    });

    snprintf(uri, sizeof(uri), "test://%s", argv[1]);
    t0 = now();
    node = virConnectOpen(uri);
    if (node)
        printf("open node file with 1000 guests %.1f\n", (now() - t0) * 1e9);
    else
        printf("open node file with 1000 guests FAIL\n");
    if (node) {
        BENCH("listAllDomains(1000 guests)", 200, {
            virDomainPtr *doms = NULL;
            int n = virConnectListAllDomains(node, &doms, 0), k;
            if (n != 1000)
                ok_ = 0;
            for (k = 0; k < n; k++)
                virDomainFree(doms[k]);
            free(doms);
        });
        BENCH("listAllDomains(ACTIVE|PAUSED, 1000 guests)", 200, {
            virDomainPtr *doms = NULL;
            int n = virConnectListAllDomains(node, &doms,
                                             VIR_CONNECT_LIST_DOMAINS_ACTIVE | VIR_CONNECT_LIST_DOMAINS_PAUSED), k;
            if (n < 0)
                ok_ = 0;
            for (k = 0; k < n; k++)
                virDomainFree(doms[k]);
            free(doms);
        });
        BENCH("listDomains+listDefinedDomains(1000)", 200, {
            int ids[1000], k;
            char *names[1000];
            int a = virConnectListDomains(node, ids, 1000);
            int b = virConnectListDefinedDomains(node, names, 1000);
            if (a < 0 || b < 0)
                ok_ = 0;
            for (k = 0; k < b; k++)
                free(names[k]);
        });
        virConnectClose(node);
    }
    virConnectClose(conn);
    return 0;
}
