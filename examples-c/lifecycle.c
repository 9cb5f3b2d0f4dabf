/* A guest's life, from definition to removal, printing its state after each step.
 *
 *   cc -o lifecycle lifecycle.c $(pkg-config --cflags --libs libvirt)
 *   ./lifecycle [URI]            (URI defaults to test:///default)
 *
 * Defines a persistent guest "demo-guest" from XML built here, starts it,
 * pauses and resumes it, changes its memory and vCPU count, takes a snapshot
 * and reverts to it, shuts it down, starts it again, pulls the plug (destroy)
 * and finally removes its definition (undefine).  Meant for the test driver:
 * on a real hypervisor it would need a bootable disk.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libvirt/libvirt.h>
#include <libvirt/libvirt-domain-snapshot.h>
#include <libvirt/virterror.h>

#define GUEST "demo-guest"

static const char *state_name(int state)
{
    static const char *names[] = {"no state", "running", "blocked", "paused", "shutting down",
                                  "shut off", "crashed", "pmsuspended"};
    return state >= 0 && state < (int)(sizeof(names) / sizeof(names[0])) ? names[state] : "unknown";
}

static void show(virDomainPtr dom, const char *step, int rc)
{
    virDomainInfo info;
    int state, reason;

    if (rc < 0) {
        printf("%-28s FAILED: %s\n", step, virGetLastErrorMessage());
        return;
    }
    if (virDomainGetState(dom, &state, &reason, 0) < 0 || virDomainGetInfo(dom, &info) < 0) {
        printf("%-28s ok, but the state is unavailable: %s\n", step, virGetLastErrorMessage());
        return;
    }
    printf("%-28s state=%s (reason %d) id=%d memory=%lu/%lu KiB vcpus=%u active=%d persistent=%d\n", step,
           state_name(state), reason, (int)virDomainGetID(dom), info.memory, info.maxMem, info.nrVirtCpu,
           virDomainIsActive(dom), virDomainIsPersistent(dom));
}

static void quiet(void *opaque, virErrorPtr err)
{
    (void)opaque;
    (void)err;
}

int main(int argc, char **argv)
{
    const char *uri = argc > 1 ? argv[1] : "test:///default";
    char xml[1024];
    virConnectPtr conn;
    virDomainPtr dom;
    virDomainSnapshotPtr snap;
    int status = 0;

    /* Errors are printed below, where they happen. */
    virSetErrorFunc(NULL, quiet);
    conn = virConnectOpen(uri);
    if (!conn) {
        fprintf(stderr, "cannot connect to %s: %s\n", uri, virGetLastErrorMessage());
        return 1;
    }

    /* A fixed UUID keeps the output the same from run to run (libvirt makes
     * up a random one when the XML has none). */
    snprintf(xml, sizeof(xml),
             "<domain type='test'>\n"
             "  <name>%s</name>\n"
             "  <uuid>4a1d6bba-2c1e-4c55-9f6b-0123456789ab</uuid>\n"
             "  <memory unit='MiB'>512</memory>\n"
             "  <currentMemory unit='MiB'>256</currentMemory>\n"
             "  <vcpu current='1'>4</vcpu>\n"
             "  <os><type arch='x86_64'>hvm</type></os>\n"
             "</domain>\n",
             GUEST);
    dom = virDomainDefineXML(conn, xml);
    if (!dom) {
        fprintf(stderr, "cannot define %s: %s\n", GUEST, virGetLastErrorMessage());
        virConnectClose(conn);
        return 1;
    }
    show(dom, "defined", 0);
    show(dom, "started", virDomainCreate(dom));
    show(dom, "suspended", virDomainSuspend(dom));
    show(dom, "resumed", virDomainResume(dom));
    show(dom, "memory set to 384 MiB", virDomainSetMemory(dom, 384 * 1024));
    show(dom, "vcpus set to 2", virDomainSetVcpus(dom, 2));

    snap = virDomainSnapshotCreateXML(dom, "<domainsnapshot><name>before-change</name>"
                                           "<description>two vCPUs, 384 MiB</description></domainsnapshot>", 0);
    show(dom, "snapshot taken", snap ? 0 : -1);
    if (snap) {
        printf("%-28s %s (current: %d)\n", "  snapshot name", virDomainSnapshotGetName(snap),
               virDomainSnapshotIsCurrent(snap, 0));
        show(dom, "memory set to 300 MiB", virDomainSetMemory(dom, 300 * 1024));
        show(dom, "reverted to the snapshot", virDomainRevertToSnapshot(snap, 0));
        virDomainSnapshotFree(snap);
    } else {
        status = 1;
    }

    show(dom, "shut down", virDomainShutdown(dom));
    show(dom, "started again", virDomainCreate(dom));
    show(dom, "destroyed", virDomainDestroy(dom));
    /* A domain with snapshots can only be undefined together with their metadata. */
    show(dom, "undefine (plain)", virDomainUndefine(dom));
    if (virDomainUndefineFlags(dom, VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA) < 0) {
        printf("%-28s FAILED: %s\n", "undefined", virGetLastErrorMessage());
        status = 1;
    } else {
        printf("%-28s ok\n", "undefined with snapshots");
    }
    virDomainFree(dom);

    dom = virDomainLookupByName(conn, GUEST);
    printf("%-28s %s\n", "looked up again", dom ? "still there" : virGetLastErrorMessage());
    if (dom)
        virDomainFree(dom);
    virConnectClose(conn);
    return status;
}
