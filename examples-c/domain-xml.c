/* Print the XML description of a guest.
 *
 *   cc -o domain-xml domain-xml.c $(pkg-config --cflags --libs libvirt)
 *   ./domain-xml [URI] NAME [--inactive] [--secure] [--update-cpu] [--migratable]
 *
 * URI defaults to test:///default; NAME may also be a UUID or a numeric id.
 * --inactive shows the configuration the guest boots with next time rather
 * than the running one, --secure includes secrets such as VNC passwords.
 * The connection is read-only, and libvirt refuses --secure (and
 * --migratable, which may carry secrets too) on read-only connections.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

/* Errors are reported below with virGetLastErrorMessage(); without a handler
 * libvirt would also print every one of them to stderr. */
static void quiet(void *opaque, virErrorPtr err)
{
    (void)opaque;
    (void)err;
}

static void usage(void)
{
    fprintf(stderr, "usage: domain-xml [URI] NAME [--inactive] [--secure] [--update-cpu] [--migratable]\n");
}

/* Try the name, then the UUID, then the id, as virsh does. */
static virDomainPtr find(virConnectPtr conn, const char *key)
{
    virDomainPtr dom;
    char *end;
    long id;

    if ((dom = virDomainLookupByName(conn, key)))
        return dom;
    if (virGetLastErrorCode() != VIR_ERR_NO_DOMAIN)
        return NULL;
    if (strlen(key) == VIR_UUID_STRING_BUFLEN - 1 && (dom = virDomainLookupByUUIDString(conn, key)))
        return dom;
    id = strtol(key, &end, 10);
    if (*key && !*end && id >= 0 && (dom = virDomainLookupByID(conn, (int)id)))
        return dom;
    return NULL;
}

int main(int argc, char **argv)
{
    const char *uri = "test:///default", *name = NULL;
    const char *positional[2];
    unsigned int flags = 0;
    int npos = 0, i;
    virConnectPtr conn;
    virDomainPtr dom;
    char *xml;

    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--inactive"))
            flags |= VIR_DOMAIN_XML_INACTIVE;
        else if (!strcmp(argv[i], "--secure"))
            flags |= VIR_DOMAIN_XML_SECURE;
        else if (!strcmp(argv[i], "--update-cpu"))
            flags |= VIR_DOMAIN_XML_UPDATE_CPU;
        else if (!strcmp(argv[i], "--migratable"))
            flags |= VIR_DOMAIN_XML_MIGRATABLE;
        else if (argv[i][0] == '-' && argv[i][1] == '-') {
            usage();
            return 2;
        } else if (npos < 2)
            positional[npos++] = argv[i];
        else {
            usage();
            return 2;
        }
    }
    if (npos == 2) {
        uri = positional[0];
        name = positional[1];
    } else if (npos == 1) {
        name = positional[0];
    } else {
        usage();
        return 2;
    }

    virSetErrorFunc(NULL, quiet);
    /* Reading XML needs no write access (but --secure does, see below). */
    conn = virConnectOpenReadOnly(uri);
    if (!conn) {
        fprintf(stderr, "cannot connect to %s: %s\n", uri, virGetLastErrorMessage());
        return 1;
    }
    dom = find(conn, name);
    if (!dom) {
        fprintf(stderr, "no domain %s: %s\n", name, virGetLastErrorMessage());
        virConnectClose(conn);
        return 1;
    }
    xml = virDomainGetXMLDesc(dom, flags);
    if (!xml) {
        fprintf(stderr, "cannot get the XML of %s: %s\n", name, virGetLastErrorMessage());
        virDomainFree(dom);
        virConnectClose(conn);
        return 1;
    }
    fputs(xml, stdout);
    free(xml);
    virDomainFree(dom);
    virConnectClose(conn);
    return 0;
}
