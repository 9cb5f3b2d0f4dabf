/* How libvirt reports errors, and how a program sees them.
 *
 *   cc -o errors errors.c $(pkg-config --cflags --libs libvirt)
 *   ./errors [URI]            (URI defaults to test:///default)
 *
 * Every failing call returns -1 or NULL and records an error: the calling
 * thread's "last error" (virGetLastError and friends) and the connection's
 * (virConnGetLastError).  A callback set with virSetErrorFunc sees each error
 * as it is raised; without one, libvirt prints errors to stderr.  Every
 * public call starts by clearing the thread's last error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

static int raised;

static void on_error(void *opaque, virErrorPtr err)
{
    raised++;
    printf("  [callback %s] code=%d domain=%d level=%d: %s\n", (const char *)opaque, err->code, err->domain,
           err->level, err->message);
}

static void show_last(const char *what)
{
    virErrorPtr err = virGetLastError();

    if (!err) {
        printf("%s: no error\n", what);
        return;
    }
    printf("%s:\n", what);
    printf("    code    %d\n", err->code);
    printf("    domain  %d\n", err->domain);
    printf("    level   %d (%s)\n", err->level,
           err->level == VIR_ERR_ERROR ? "error" : err->level == VIR_ERR_WARNING ? "warning" : "none");
    printf("    message %s\n", err->message ? err->message : "(none)");
    printf("    str1    %s\n", err->str1 ? err->str1 : "(none)");
    printf("    str2    %s\n", err->str2 ? err->str2 : "(none)");
    printf("    int1    %d\n", err->int1);
}

int main(int argc, char **argv)
{
    const char *uri = argc > 1 ? argv[1] : "test:///default";
    virConnectPtr conn, ro;
    virDomainPtr dom;
    virErrorPtr saved;
    unsigned char uuid[VIR_UUID_BUFLEN];
    int rc;

    /* 1. Without a callback libvirt prints the error on stderr. */
    printf("opening test:/// without a path (libvirt prints this one to stderr)\n");
    fflush(stdout);
    conn = virConnectOpen("test:///");
    printf("virConnectOpen returned %s; last error code %d: %s\n", conn ? "a connection" : "NULL",
           virGetLastErrorCode(), virGetLastErrorMessage());

    /* 2. A global callback sees every error from now on. */
    virSetErrorFunc("global", on_error);
    conn = virConnectOpen(uri);
    if (!conn) {
        fprintf(stderr, "cannot connect to %s: %s\n", uri, virGetLastErrorMessage());
        return 1;
    }

    printf("looking up a domain that does not exist by name\n");
    dom = virDomainLookupByName(conn, "no-such-domain");
    show_last(dom ? "unexpectedly found" : "virDomainLookupByName");

    printf("by id\n");
    dom = virDomainLookupByID(conn, 4242);
    show_last(dom ? "unexpectedly found" : "virDomainLookupByID");

    printf("by UUID string, malformed\n");
    dom = virDomainLookupByUUIDString(conn, "not-a-uuid");
    show_last(dom ? "unexpectedly found" : "virDomainLookupByUUIDString");

    printf("by UUID, unknown\n");
    memset(uuid, 0x42, sizeof(uuid));
    dom = virDomainLookupByUUID(conn, uuid);
    show_last(dom ? "unexpectedly found" : "virDomainLookupByUUID");

    printf("a NULL argument\n");
    dom = virDomainLookupByName(conn, NULL);
    show_last(dom ? "unexpectedly found" : "virDomainLookupByName(conn, NULL)");

    printf("a NULL connection\n");
    rc = virConnectNumOfDomains(NULL);
    printf("virConnectNumOfDomains(NULL) = %d\n", rc);
    show_last("virConnectNumOfDomains(NULL)");

    printf("a domain in the wrong state\n");
    dom = virDomainLookupByName(conn, "test");
    if (dom) {
        rc = virDomainCreate(dom); /* it is already running */
        printf("virDomainCreate = %d\n", rc);
        show_last("virDomainCreate on a running domain");
        rc = virDomainResume(dom); /* it is not paused */
        printf("virDomainResume = %d: %s\n", rc, virGetLastErrorMessage());
    }

    printf("bad XML\n");
    if (!virDomainDefineXML(conn, "<domain type='test'><name>broken</name>"))
        show_last("virDomainDefineXML");
    if (!virDomainDefineXML(conn, "<domain type='test'><name>no-memory</name><os><type>hvm</type></os></domain>"))
        show_last("virDomainDefineXML without memory");

    printf("unknown flags\n");
    if (dom && virDomainSuspend(dom) == 0 && virDomainDestroyFlags(dom, 1u << 30) < 0)
        show_last("virDomainDestroyFlags(1 << 30)");

    printf("writing through a read-only connection\n");
    ro = virConnectOpenReadOnly(uri);
    if (ro) {
        virDomainPtr rodom = virDomainLookupByName(ro, "test");
        if (rodom) {
            rc = virDomainSuspend(rodom);
            printf("virDomainSuspend = %d\n", rc);
            show_last("virDomainSuspend on a read-only connection");

            /* 3. The next libvirt call resets the error, so keep a copy. */
            saved = virSaveLastError();
            virDomainFree(rodom);
            show_last("after the next call (virDomainFree)");
            printf("the saved copy still says: %s\n", saved->message);
            virFreeError(saved);
        }
        virConnectClose(ro);
    }

    /* 4. Errors are also kept per connection. */
    virConnResetLastError(conn);
    virDomainLookupByName(conn, "still-missing");
    {
        virErrorPtr cerr = virConnGetLastError(conn);
        printf("virConnGetLastError: %s\n", cerr ? cerr->message : "(none)");
    }

    /* 5. A successful call clears the thread's last error. */
    rc = virConnectNumOfDomains(conn);
    printf("virConnectNumOfDomains = %d, last error afterwards: %s\n", rc, virGetLastError() ? "set" : "none");

    /* 6. Back to the default: errors go to stderr again. */
    virSetErrorFunc(NULL, NULL);
    fflush(stdout);
    virDomainLookupByName(conn, "printed-on-stderr");

    if (dom) {
        virDomainResume(dom);
        virDomainFree(dom);
    }
    printf("%d errors went through the callback\n", raised);
    virConnectClose(conn);
    return 0;
}
