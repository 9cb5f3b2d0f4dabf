/* List the guests of a hypervisor: their id, name and state.
 *
 *   cc -o list-domains list-domains.c $(pkg-config --cflags --libs libvirt)
 *   ./list-domains [URI]            (URI defaults to test:///default)
 *
 * Shows the modern call (virConnectListAllDomains, one call returning domain
 * objects) and the two older ones (virConnectListDomains for the ids of running
 * guests, virConnectListDefinedDomains for the names of stopped ones).  libvirt
 * returns domains in no particular order, so the lists are sorted here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

static const char *state_name(int state)
{
    switch (state) {
    case VIR_DOMAIN_NOSTATE: return "no state";
    case VIR_DOMAIN_RUNNING: return "running";
    case VIR_DOMAIN_BLOCKED: return "blocked";
    case VIR_DOMAIN_PAUSED: return "paused";
    case VIR_DOMAIN_SHUTDOWN: return "shutting down";
    case VIR_DOMAIN_SHUTOFF: return "shut off";
    case VIR_DOMAIN_CRASHED: return "crashed";
    case VIR_DOMAIN_PMSUSPENDED: return "suspended (power management)";
    default: return "unknown";
    }
}

static int by_name(const void *a, const void *b)
{
    return strcmp(virDomainGetName(*(virDomainPtr const *)a), virDomainGetName(*(virDomainPtr const *)b));
}

static int by_int(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

static int by_string(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void print_domain(virDomainPtr dom)
{
    int state = 0, reason = 0;
    unsigned int id = virDomainGetID(dom);

    if (virDomainGetState(dom, &state, &reason, 0) < 0) {
        printf("  %-4s %-20s (state unknown: %s)\n", "?", virDomainGetName(dom), virGetLastErrorMessage());
        return;
    }
    if (id == (unsigned int)-1)
        printf("  %-4s %-20s %s\n", "-", virDomainGetName(dom), state_name(state));
    else
        printf("  %-4u %-20s %s\n", id, virDomainGetName(dom), state_name(state));
}

int main(int argc, char **argv)
{
    const char *uri = argc > 1 ? argv[1] : "test:///default";
    virConnectPtr conn;
    virDomainPtr *doms = NULL;
    int n, i;

    conn = virConnectOpen(uri);
    if (!conn) {
        fprintf(stderr, "cannot connect to %s: %s\n", uri, virGetLastErrorMessage());
        return 1;
    }

    /* One call for every guest, running or not. */
    n = virConnectListAllDomains(conn, &doms, 0);
    if (n < 0) {
        fprintf(stderr, "cannot list domains: %s\n", virGetLastErrorMessage());
        virConnectClose(conn);
        return 1;
    }
    qsort(doms, n, sizeof(*doms), by_name);
    printf("virConnectListAllDomains: %d domain(s)\n", n);
    printf("  %-4s %-20s %s\n", "Id", "Name", "State");
    for (i = 0; i < n; i++) {
        print_domain(doms[i]);
        virDomainFree(doms[i]);
    }
    free(doms);

    /* The same, with filters: only the running ones, only the persistent shut-off ones. */
    n = virConnectListAllDomains(conn, NULL, VIR_CONNECT_LIST_DOMAINS_ACTIVE);
    printf("active: %d\n", n);
    n = virConnectListAllDomains(conn, NULL, VIR_CONNECT_LIST_DOMAINS_PERSISTENT | VIR_CONNECT_LIST_DOMAINS_SHUTOFF);
    printf("persistent and shut off: %d\n", n);

    /* The older calls: ids of running guests, names of defined (inactive) ones. */
    n = virConnectNumOfDomains(conn);
    if (n >= 0) {
        int *ids = calloc(n + 1, sizeof(int));
        n = virConnectListDomains(conn, ids, n);
        if (n >= 0) {
            qsort(ids, n, sizeof(int), by_int);
            printf("virConnectListDomains: %d active\n", n);
            for (i = 0; i < n; i++) {
                virDomainPtr dom = virDomainLookupByID(conn, ids[i]);
                if (dom) {
                    print_domain(dom);
                    virDomainFree(dom);
                }
            }
        }
        free(ids);
    }
    n = virConnectNumOfDefinedDomains(conn);
    if (n >= 0) {
        char **names = calloc(n + 1, sizeof(char *));
        n = virConnectListDefinedDomains(conn, names, n);
        if (n >= 0) {
            qsort(names, n, sizeof(char *), by_string);
            printf("virConnectListDefinedDomains: %d defined but not running\n", n);
            for (i = 0; i < n; i++) {
                virDomainPtr dom = virDomainLookupByName(conn, names[i]);
                if (dom) {
                    print_domain(dom);
                    virDomainFree(dom);
                }
                free(names[i]);
            }
        }
        free(names);
    }

    virConnectClose(conn);
    return 0;
}
