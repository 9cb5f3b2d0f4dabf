/* A first look at a hypervisor through libvirt's C API.
 *
 *   cc -o demo demo.c $(pkg-config --cflags --libs libvirt)
 *   ./demo test:///default
 */
#include <stdio.h>
#include <stdlib.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

int main(int argc, char **argv)
{
    const char *uri = argc > 1 ? argv[1] : NULL;
    unsigned long lib = 0, hv = 0;
    virNodeInfo node;
    virConnectPtr conn;
    char *s;

    virGetVersion(&lib, NULL, NULL);
    printf("libvirt API %lu.%lu.%lu\n", lib / 1000000, lib / 1000 % 1000, lib % 1000);

    conn = virConnectOpenAuth(uri, virConnectAuthPtrDefault, 0);
    if (!conn) {
        fprintf(stderr, "cannot connect: %s\n", virGetLastErrorMessage());
        return 1;
    }
    s = virConnectGetURI(conn);
    printf("connected to %s\n", s);
    free(s);
    if (virConnectGetVersion(conn, &hv) == 0)
        printf("hypervisor %s, version %lu.%lu.%lu\n", virConnectGetType(conn), hv / 1000000, hv / 1000 % 1000,
               hv % 1000);
    s = virConnectGetHostname(conn);
    if (s)
        printf("host name %s\n", s);
    free(s);
    if (virNodeGetInfo(conn, &node) == 0)
        printf("host: %s, %u CPUs at %d MHz (%u nodes x %u sockets x %u cores x %u threads), %lu KiB memory\n",
               node.model, node.cpus, node.mhz, node.nodes, node.sockets, node.cores, node.threads, node.memory);
    printf("max vCPUs per guest: %d\n", virConnectGetMaxVcpus(conn, NULL));
    printf("secure: %d, encrypted: %d\n", virConnectIsSecure(conn), virConnectIsEncrypted(conn));

    /* Errors read like libvirt's. */
    if (!virDomainLookupByName(conn, "no-such-guest"))
        printf("looking up a missing guest: %s\n", virGetLastErrorMessage());

    virConnectClose(conn);
    return 0;
}
