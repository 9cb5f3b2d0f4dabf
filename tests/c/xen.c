/* The Xen driver through libvirt's C API, against the XenD test server:
 * host facts, listing with info, a pause and resume, a guest defined from
 * XML, started, resized, destroyed and undefined, and the errors of a
 * missing domain and of a second define of a running name.  Prints
 * "key value" lines for tests/xend_c.rs.
 *
 * usage: xen GUEST_XML_FILE */
#include <stdio.h>
#include <string.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include "loaded.h"

static void last_error(const char *key)
{
    virErrorPtr e = virGetLastError();
    printf("%s %d %d %s\n", key, e ? e->code : -1, e ? e->domain : -1, e && e->message ? e->message : "");
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    char *buf;
    long n;
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    buf = calloc(1, n + 1);
    if (buf && fread(buf, 1, n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

int main(int argc, char **argv)
{
    virConnectPtr conn;
    virDomainPtr *doms = NULL, dom, guest;
    virNodeInfo node;
    virDomainInfo info;
    unsigned long version = 0;
    char *host, *xml, *desc;
    int n, state, reason;

    if (argc != 2 || !(xml = slurp(argv[1])))
        return 2;
    conn = virConnectOpen("xen:///");
    if (!conn) {
        last_error("open");
        return 1;
    }
    if (check_loaded_library() != 0)
        return 3;
    printf("type %s\n", virConnectGetType(conn));
    virConnectGetVersion(conn, &version);
    printf("version %lu\n", version);
    host = virConnectGetHostname(conn);
    printf("hostname %s\n", host);
    free(host);
    virNodeGetInfo(conn, &node);
    printf("node %s %lu %u %u\n", node.model, node.memory, node.cpus, node.mhz);
    n = virConnectListAllDomains(conn, &doms, 0);
    printf("domains %d\n", n);
    for (int i = 0; i < n; i++) {
        virDomainGetInfo(doms[i], &info);
        printf("dom %s %d %d %lu %u\n", virDomainGetName(doms[i]), virDomainGetID(doms[i]), info.state,
               info.memory, info.nrVirtCpu);
        virDomainFree(doms[i]);
    }
    free(doms);

    dom = virDomainLookupByName(conn, "pvtest");
    printf("suspend %d\n", virDomainSuspend(dom));
    virDomainGetState(dom, &state, &reason, 0);
    printf("paused %d\n", state);
    printf("resume %d\n", virDomainResume(dom));
    virDomainGetState(dom, &state, &reason, 0);
    printf("running %d\n", state);
    desc = virDomainGetXMLDesc(dom, 0);
    printf("xml-name %d\n", desc && strstr(desc, "<name>pvtest</name>") != NULL);
    free(desc);
    virDomainFree(dom);

    guest = virDomainDefineXML(conn, xml);
    if (!guest) {
        last_error("define");
        return 1;
    }
    printf("defined %s %d\n", virDomainGetName(guest), virDomainGetID(guest));
    printf("create %d\n", virDomainCreate(guest));
    virDomainGetInfo(guest, &info);
    printf("started %d %lu\n", info.state, info.memory);
    printf("setmem %d\n", virDomainSetMemory(guest, 100 * 1024));
    virDomainGetInfo(guest, &info);
    printf("resized %lu\n", info.memory);
    printf("destroy %d\n", virDomainDestroy(guest));
    virDomainGetState(guest, &state, &reason, 0);
    printf("destroyed %d\n", state);
    printf("undefine %d\n", virDomainUndefine(guest));
    virDomainFree(guest);
    if (!virDomainLookupByName(conn, "guest-c"))
        last_error("gone");
    if (!virDomainLookupByName(conn, "nope"))
        last_error("lookup-missing");
    printf("close %d\n", virConnectClose(conn));
    free(xml);
    return 0;
}
