/* The Hyper-V driver through libvirt's C API, against the WS-Management test
 * server: open with an auth callback, host facts, listing with info, a power
 * cycle, send keys, and the errors of a wrong password and of
 * virConnectOpen.  Prints "key value" lines for tests/hyperv_c.rs.
 *
 * usage: hyperv URI PASSWORD */
#include <stdio.h>
#include <string.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include "loaded.h"

static const char *password;

static int auth_cb(virConnectCredentialPtr cred, unsigned int ncred, void *data)
{
    (void)data;
    for (unsigned int i = 0; i < ncred; i++) {
        const char *answer = cred[i].type == VIR_CRED_AUTHNAME ? "administrator" : password;
        cred[i].result = strdup(answer);
        cred[i].resultlen = strlen(answer);
    }
    return 0;
}

static void last_error(const char *key)
{
    virErrorPtr e = virGetLastError();
    printf("%s %d %d %s\n", key, e ? e->code : -1, e ? e->domain : -1, e && e->message ? e->message : "");
}

int main(int argc, char **argv)
{
    int creds[] = { VIR_CRED_AUTHNAME, VIR_CRED_PASSPHRASE };
    virConnectAuth auth = { creds, 2, auth_cb, NULL };
    virConnectPtr conn;
    virDomainPtr *doms = NULL, web;
    virNodeInfo node;
    virDomainInfo info;
    unsigned long version = 0;
    unsigned int keys[] = { 29, 56, 111 };
    char *host;
    int n, state, reason;

    if (argc != 3)
        return 2;
    password = argv[2];
    conn = virConnectOpenAuth(argv[1], &auth, 0);
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
        printf("dom %s %d %lu %u\n", virDomainGetName(doms[i]), info.state, info.memory, info.nrVirtCpu);
        virDomainFree(doms[i]);
    }
    free(doms);
    web = virDomainLookupByName(conn, "web01");
    printf("suspend %d\n", virDomainSuspend(web));
    virDomainGetState(web, &state, &reason, 0);
    printf("state %d %d\n", state, reason);
    printf("resume %d\n", virDomainResume(web));
    printf("sendkey %d\n", virDomainSendKey(web, VIR_KEYCODE_SET_LINUX, 0, keys, 3, 0));
    printf("suspend-again %d\n", virDomainResume(web));
    last_error("resume-running");
    virDomainFree(web);
    if (!virDomainLookupByName(conn, "nope"))
        last_error("lookup");
    virConnectClose(conn);

    password = "wrong";
    if (!virConnectOpenAuth(argv[1], &auth, 0))
        last_error("badpass");
    if (!virConnectOpen(argv[1]))
        last_error("noauth");
    return 0;
}
