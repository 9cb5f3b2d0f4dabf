/* Core behaviour of the library, written against libvirt's public API only.
 *
 * tests/c/run compiles this file against Debian's libvirt headers and against
 * ours, runs it on Debian's libvirt (the reference output) and on our library,
 * and requires identical stdout and stderr.  Output never contains pointers.
 *
 * usage: core NODE_DIR   (a directory holding the node files written by the harness)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include "loaded.h"

static const char *node_dir;

static void show_error(const char *what)
{
    virErrorPtr e = virGetLastError();
    if (!e) {
        printf("  %s: no error\n", what);
        return;
    }
    printf("  %s: code=%d domain=%d level=%d message=[%s]\n", what, e->code, e->domain, e->level,
           e->message ? e->message : "(null)");
    printf("    str1=[%s] str2=[%s] str3=[%s] int1=%d int2=%d\n", e->str1 ? e->str1 : "(null)",
           e->str2 ? e->str2 : "(null)", e->str3 ? e->str3 : "(null)", e->int1, e->int2);
}

static void handler(void *data, virErrorPtr e)
{
    printf("  handler(%s): code=%d domain=%d message=[%s]\n", (const char *)data, e->code, e->domain,
           e->message);
}

static void quiet(void *data, virErrorPtr e)
{
    (void)data;
    (void)e;
}

static void section(const char *name)
{
    printf("== %s\n", name);
    fflush(stdout);
    fprintf(stderr, "== %s\n", name);
    fflush(stderr);
}

static void versions(void)
{
    unsigned long lib = 0, type = 0;
    int rc;
    section("versions");
    printf("  LIBVIR_VERSION_NUMBER=%d check(9,0,0)=%d check(9,1,0)=%d\n", LIBVIR_VERSION_NUMBER,
           LIBVIR_CHECK_VERSION(9, 0, 0), LIBVIR_CHECK_VERSION(9, 1, 0));
    rc = virGetVersion(&lib, NULL, NULL);
    printf("  virGetVersion(&lib, NULL, NULL)=%d lib=%lu\n", rc, lib);
    rc = virGetVersion(&lib, "Test", &type);
    printf("  virGetVersion(&lib, \"Test\", &type)=%d type=%lu\n", rc, type);
    type = 7;
    rc = virGetVersion(&lib, "bogus", &type);
    printf("  virGetVersion(&lib, \"bogus\", &type)=%d type=%lu\n", rc, type);
    printf("  virGetVersion(NULL, NULL, NULL)=%d\n", virGetVersion(NULL, NULL, NULL));
    show_error("after NULL libVer");
}

static void error_api(void)
{
    virError copy;
    virErrorPtr saved;
    virConnectPtr conn;
    int rc;

    section("error API without an error");
    virResetLastError();
    printf("  last=%s message=[%s] code=%d domain=%d\n", virGetLastError() ? "set" : "NULL",
           virGetLastErrorMessage(), virGetLastErrorCode(), virGetLastErrorDomain());
    memset(&copy, 0x5a, sizeof(copy));
    rc = virCopyLastError(&copy);
    printf("  copy rc=%d code=%d domain=%d level=%d message=%s\n", rc, copy.code, copy.domain, copy.level,
           copy.message ? "set" : "NULL");
    saved = virSaveLastError();
    printf("  save code=%d message=%s\n", saved->code, saved->message ? "set" : "NULL");
    virFreeError(saved);
    virFreeError(NULL);
    virResetError(NULL);
    virDefaultErrorFunc(NULL);

    section("default handler prints to stderr");
    conn = virConnectOpen("test:///");
    printf("  open => %s\n", conn ? "conn" : "NULL");
    show_error("open test:///");
    printf("  message=[%s] code=%d domain=%d\n", virGetLastErrorMessage(), virGetLastErrorCode(),
           virGetLastErrorDomain());
    memset(&copy, 0, sizeof(copy));
    rc = virCopyLastError(&copy);
    printf("  copy rc=%d code=%d message=[%s]\n", rc, copy.code, copy.message);
    virResetError(&copy);
    printf("  reset copy: code=%d message=%s\n", copy.code, copy.message ? "set" : "NULL");
    saved = virSaveLastError();
    printf("  saved: code=%d domain=%d message=[%s] str1=[%s]\n", saved->code, saved->domain, saved->message,
           saved->str1);
    virResetLastError();
    show_error("after virResetLastError");
    printf("  saved copy survives: [%s]\n", saved->message);
    virDefaultErrorFunc(saved);
    virFreeError(saved);

    section("global handler");
    virSetErrorFunc("global", handler);
    conn = virConnectOpen("test");
    show_error("open test");
    conn = virConnectOpen("bogus uri with spaces");
    show_error("open with spaces");
    conn = virConnectOpen(":///default");
    show_error("open :///default");
    conn = virConnectOpen("///default");
    show_error("open ///default");
    conn = virConnectOpen("test:///%zz");
    show_error("open bad escape");
    virSetErrorFunc(NULL, NULL);
}

static void connection_errors(void)
{
    virConnectPtr conn;
    virErrorPtr e;
    virError copy;
    int rc;

    section("connection errors");
    conn = virConnectOpen("test:///default");
    e = virConnGetLastError(conn);
    printf("  fresh connection error: %s code=%d message=%s\n", e ? "set" : "NULL", e ? e->code : -1,
           e && e->message ? "set" : "NULL");
    memset(&copy, 0x5a, sizeof(copy));
    rc = virConnCopyLastError(conn, &copy);
    printf("  conn copy rc=%d code=%d\n", rc, copy.code);
    virConnSetErrorFunc(conn, "conn", handler);
    printf("  keepalive=%d\n", virConnectSetKeepAlive(conn, 5, 3));
    show_error("keepalive");
    e = virConnGetLastError(conn);
    printf("  connection error now: code=%d message=[%s]\n", e->code, e->message);
    memset(&copy, 0, sizeof(copy));
    rc = virConnCopyLastError(conn, &copy);
    printf("  conn copy rc=%d code=%d message=[%s]\n", rc, copy.code, copy.message);
    virResetError(&copy);
    virConnResetLastError(conn);
    e = virConnGetLastError(conn);
    printf("  after reset: %s code=%d\n", e ? "set" : "NULL", e ? e->code : -1);
    virSetErrorFunc("global", handler);
    virConnSetErrorFunc(conn, NULL, NULL);
    printf("  getVersion(NULL out)=%d\n", virConnectGetVersion(conn, NULL));
    show_error("getVersion NULL");
    virSetErrorFunc(NULL, NULL);
    printf("  libVersion(NULL out)=%d\n", virConnectGetLibVersion(conn, NULL));
    printf("  nodeInfo(NULL out)=%d\n", virNodeGetInfo(conn, NULL));
    show_error("nodeInfo NULL");
    printf("  close=%d\n", virConnectClose(conn));
    printf("  virConnGetLastError(NULL)=%s\n", virConnGetLastError(NULL) ? "set" : "NULL");
    virConnResetLastError(NULL);
    virConnSetErrorFunc(NULL, NULL, NULL);
}

static void null_handles(void)
{
    section("NULL handles");
    virSetErrorFunc(NULL, quiet);
    printf("  virConnectGetType(NULL)=%s\n", virConnectGetType(NULL) ? "set" : "NULL");
    show_error("virConnectGetType");
    printf("  virConnectClose(NULL)=%d\n", virConnectClose(NULL));
    show_error("virConnectClose");
    printf("  virConnectRef(NULL)=%d\n", virConnectRef(NULL));
    show_error("virConnectRef");
    printf("  virConnectGetURI(NULL)=%s\n", virConnectGetURI(NULL) ? "set" : "NULL");
    show_error("virConnectGetURI");
    printf("  virNodeGetInfo(NULL)=%d\n", virNodeGetInfo(NULL, NULL));
    show_error("virNodeGetInfo");
    printf("  virConnectIsAlive(NULL)=%d\n", virConnectIsAlive(NULL));
    printf("  virDomainFree(NULL)=%d\n", virDomainFree(NULL));
    show_error("virDomainFree");
    printf("  virDomainGetID(NULL)=%u\n", virDomainGetID(NULL));
    printf("  virDomainGetMaxMemory(NULL)=%lu\n", virDomainGetMaxMemory(NULL));
    printf("  virNetworkFree(NULL)=%d\n", virNetworkFree(NULL));
    show_error("virNetworkFree");
    printf("  virStreamFree(NULL)=%d\n", virStreamFree(NULL));
    show_error("virStreamFree");
    virSetErrorFunc(NULL, NULL);
}

static void default_driver(void)
{
    virConnectPtr conn, ro;
    virNodeInfo info;
    unsigned long v = 0;
    char *s;
    int rc;

    section("test:///default");
    conn = virConnectOpen("test:///default");
    printf("  type=%s\n", virConnectGetType(conn));
    rc = virConnectGetVersion(conn, &v);
    printf("  version rc=%d v=%lu\n", rc, v);
    rc = virConnectGetLibVersion(conn, &v);
    printf("  libversion rc=%d v=%lu\n", rc, v);
    s = virConnectGetURI(conn);
    printf("  uri=%s\n", s);
    free(s);
    s = virConnectGetHostname(conn);
    printf("  hostname matches: %s\n", s && *s ? "yes" : "no");
    free(s);
    rc = virNodeGetInfo(conn, &info);
    printf("  nodeinfo rc=%d\n", rc);
    printf("  model=%s memory=%lu cpus=%u mhz=%d nodes=%u sockets=%u cores=%u threads=%u maxcpus=%u\n",
           info.model, info.memory, info.cpus, info.mhz, info.nodes, info.sockets, info.cores, info.threads,
           VIR_NODEINFO_MAXCPUS(info));
    printf("  maxvcpus(NULL)=%d maxvcpus(\"kvm\")=%d\n", virConnectGetMaxVcpus(conn, NULL),
           virConnectGetMaxVcpus(conn, "kvm"));
    printf("  alive=%d secure=%d encrypted=%d\n", virConnectIsAlive(conn), virConnectIsSecure(conn),
           virConnectIsEncrypted(conn));
    s = virConnectGetCapabilities(conn);
    printf("  capabilities:\n%s", s);
    free(s);
    virSetErrorFunc(NULL, quiet);
    printf("  register close cb(NULL)=%d\n", virConnectRegisterCloseCallback(conn, NULL, NULL, NULL));
    show_error("close cb");
    printf("  unregister close cb(NULL)=%d\n", virConnectUnregisterCloseCallback(conn, NULL));
    virSetErrorFunc(NULL, NULL);

    section("references");
    rc = virConnectRef(conn);
    printf("  ref=%d\n", rc);
    rc = virConnectRef(conn);
    printf("  ref=%d\n", rc);
    printf("  close=%d\n", virConnectClose(conn));
    printf("  close=%d\n", virConnectClose(conn));
    printf("  close=%d\n", virConnectClose(conn));

    section("read-only and flags");
    ro = virConnectOpenReadOnly("test:///default");
    printf("  read-only open: %s\n", ro ? "ok" : "failed");
    s = virConnectGetURI(ro);
    printf("  uri=%s\n", s);
    free(s);
    virConnectClose(ro);
    virSetErrorFunc(NULL, quiet);
    ro = virConnectOpenAuth("test:///default", NULL, VIR_CONNECT_RO | 0x100);
    show_error("unknown flag");
    ro = virConnectOpenAuth("test:///default", NULL, VIR_CONNECT_NO_ALIASES);
    show_error("NO_ALIASES reaches the test driver");
    ro = virConnectOpen("test:///default?name=x#frag");
    s = virConnectGetURI(ro);
    printf("  params kept: %s\n", s);
    free(s);
    virConnectClose(ro);
    virSetErrorFunc(NULL, NULL);
}

static void interfaces(void)
{
    virConnectPtr conn, ro;
    virInterfacePtr *ifaces = (virInterfacePtr *)1;
    int i, n;

    section("host interfaces: arguments the bindings cannot pass");
    conn = virConnectOpen("test:///default");
    ro = virConnectOpenReadOnly("test:///default");
    virSetErrorFunc(NULL, quiet);
    printf("  listAll(NULL)=%d\n", virConnectListAllInterfaces(conn, NULL, 0));
    n = virConnectListAllInterfaces(conn, &ifaces, 0);
    printf("  listAll=%d\n", n);
    for (i = 0; i < n; i++) {
        printf("    %s %s\n", virInterfaceGetName(ifaces[i]), virInterfaceGetMACString(ifaces[i]));
        virInterfaceFree(ifaces[i]);
    }
    printf("  array end NULL: %s\n", ifaces[n] == NULL ? "yes" : "no");
    free(ifaces);
    ifaces = (virInterfacePtr *)1;
    n = virConnectListAllInterfaces(conn, &ifaces, 4);
    printf("  listAll(bad flags)=%d, array %s\n", n, ifaces == NULL ? "NULL" : "set");
    show_error("listAll(bad flags)");
    printf("  defineXML(NULL)=%s\n", virInterfaceDefineXML(conn, NULL, 0) ? "set" : "NULL");
    show_error("defineXML(NULL)");
    printf("  read-only defineXML(NULL)=%s\n", virInterfaceDefineXML(ro, NULL, 0) ? "set" : "NULL");
    show_error("read-only defineXML(NULL)");
    printf("  changeBegin(NULL)=%d\n", virInterfaceChangeBegin(NULL, 0));
    show_error("changeBegin(NULL)");
    printf("  create(NULL)=%d\n", virInterfaceCreate(NULL, 0));
    show_error("create(NULL)");
    printf("  lookupByMAC(NULL)=%s\n", virInterfaceLookupByMACString(conn, NULL) ? "set" : "NULL");
    show_error("lookupByMAC(NULL)");
    virSetErrorFunc(NULL, NULL);
    virConnectClose(ro);
    virConnectClose(conn);
}

static void node_files(void)
{
    char uri[4096];
    const char *files[] = {"plain.xml", "defaults.xml", "badmhz.xml", "badroot.xml", "missing.xml", "longmodel.xml", NULL};
    virSetErrorFunc(NULL, quiet);
    section("node files");
    for (int i = 0; files[i]; i++) {
        virConnectPtr c;
        virNodeInfo info;
        snprintf(uri, sizeof(uri), "test://%s/%s", node_dir, files[i]);
        c = virConnectOpen(uri);
        if (!c) {
            printf("  %s: failed code=%d domain=%d\n", files[i], virGetLastErrorCode(), virGetLastErrorDomain());
            if (virGetLastErrorCode() != VIR_ERR_XML_DETAIL)
                printf("    message=[%s]\n", virGetLastErrorMessage());
            continue;
        }
        virNodeGetInfo(c, &info);
        printf("  %s: model=%s memory=%lu cpus=%u mhz=%d topology=%u/%u/%u/%u\n", files[i], info.model,
               info.memory, info.cpus, info.mhz, info.nodes, info.sockets, info.cores, info.threads);
        if (i == 0) {
            char *caps = virConnectGetCapabilities(c);
            printf("%s", caps);
            free(caps);
        }
        virConnectClose(c);
    }
    virSetErrorFunc(NULL, NULL);
}

struct answers {
    const char *user;
    const char *password;
    int fail;
};

static int auth_cb(virConnectCredentialPtr cred, unsigned int ncred, void *cbdata)
{
    struct answers *a = cbdata;
    for (unsigned int i = 0; i < ncred; i++) {
        const char *ans = cred[i].type == VIR_CRED_AUTHNAME ? a->user : a->password;
        printf("  asked type=%d prompt=[%s] challenge=[%s] default=[%s]\n", cred[i].type, cred[i].prompt,
               cred[i].challenge ? cred[i].challenge : "(null)",
               cred[i].defresult ? cred[i].defresult : "(null)");
        if (a->fail)
            return -1;
        cred[i].result = ans ? strdup(ans) : NULL;
        cred[i].resultlen = ans ? strlen(ans) : 0;
    }
    return 0;
}

static void authentication(void)
{
    char uri[4096];
    int all[] = {VIR_CRED_AUTHNAME, VIR_CRED_PASSPHRASE};
    int noecho[] = {VIR_CRED_NOECHOPROMPT, VIR_CRED_AUTHNAME, VIR_CRED_PASSPHRASE};
    int nameonly[] = {VIR_CRED_AUTHNAME};
    int passonly[] = {VIR_CRED_PASSPHRASE};
    struct {
        const char *label;
        int *types;
        unsigned int ntypes;
        struct answers a;
    } cases[] = {
        {"right password", all, 2, {"alice", "secret", 0}},
        {"wrong password", all, 2, {"alice", "wrong", 0}},
        {"user without password", all, 2, {"bob", NULL, 0}},
        {"unknown user", all, 2, {"carol", "x", 0}},
        {"callback fails", all, 2, {"alice", "secret", 1}},
        {"no echo first", noecho, 3, {"alice", "secret", 0}},
        {"no password type", nameonly, 1, {"alice", "secret", 0}},
        {"no name type", passonly, 1, {"alice", "secret", 0}},
    };

    section("authentication");
    virSetErrorFunc(NULL, quiet);
    snprintf(uri, sizeof(uri), "test://%s/auth.xml", node_dir);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        virConnectAuth auth = {cases[i].types, cases[i].ntypes, auth_cb, &cases[i].a};
        virConnectPtr c;
        printf(" %s:\n", cases[i].label);
        c = virConnectOpenAuth(uri, &auth, 0);
        if (c) {
            printf("  connected\n");
            virConnectClose(c);
        } else {
            show_error("failed");
        }
    }
    printf(" no auth at all:\n");
    if (!virConnectOpen(uri))
        show_error("failed");
    printf(" virConnectAuthPtrDefault: %s, %u credential types\n", virConnectAuthPtrDefault ? "set" : "NULL",
           virConnectAuthPtrDefault->ncredtype);
    virSetErrorFunc(NULL, NULL);
}

static void default_uri(void)
{
    virConnectPtr c;
    char *s;
    section("default URI and aliases");
    virSetErrorFunc(NULL, quiet);
    c = virConnectOpen(NULL);
    if (c) {
        s = virConnectGetURI(c);
        printf("  open(NULL) uri=%s\n", s);
        free(s);
        virConnectClose(c);
    } else {
        show_error("open(NULL)");
    }
    c = virConnectOpen("");
    if (c) {
        s = virConnectGetURI(c);
        printf("  open(\"\") uri=%s\n", s);
        free(s);
        virConnectClose(c);
    } else {
        show_error("open(\"\")");
    }
    const char *names[] = {"mytest", "my-test_2", "other", "notanalias", "bad.alias", NULL};
    for (int i = 0; names[i]; i++) {
        c = virConnectOpen(names[i]);
        if (c) {
            s = virConnectGetURI(c);
            printf("  open(%s) uri=%s\n", names[i], s);
            free(s);
            virConnectClose(c);
        } else {
            show_error(names[i]);
        }
    }
    c = virConnectOpenAuth("mytest", NULL, VIR_CONNECT_NO_ALIASES);
    show_error("mytest with VIR_CONNECT_NO_ALIASES");
    virSetErrorFunc(NULL, NULL);
}

/* virConnectAuthPtrDefault answering from stdin (the harness runs this
 * without a controlling terminal, so secrets are read from stdin too). */
static void terminal_prompts(void)
{
    char uri[4096];
    virConnectCredential c[3];
    virConnectPtr conn;
    int rc;

    memset(c, 0, sizeof(c));
    c[0].type = VIR_CRED_AUTHNAME;
    c[0].prompt = "Name";
    c[0].defresult = "fallback";
    c[1].type = VIR_CRED_PASSPHRASE;
    c[1].prompt = "Secret";
    c[2].type = VIR_CRED_REALM;
    c[2].prompt = "Realm";
    c[2].defresult = "home";
    rc = virConnectAuthPtrDefault->cb(c, 3, virConnectAuthPtrDefault->cbdata);
    printf("\ncallback rc=%d name=[%s] secret=[%s] realm=[%s]\n", rc, c[0].result, c[1].result, c[2].result);
    free(c[0].result);
    free(c[1].result);
    free(c[2].result);
    snprintf(uri, sizeof(uri), "test://%s/auth.xml", node_dir);
    virSetErrorFunc(NULL, quiet);
    conn = virConnectOpenAuth(uri, virConnectAuthPtrDefault, 0);
    printf("\nopen with the terminal prompter: %s\n", conn ? "connected" : virGetLastErrorMessage());
    if (conn)
        virConnectClose(conn);
}

int main(int argc, char **argv)
{
    const char *only = argc > 2 ? argv[2] : NULL;
    if (check_loaded_library() < 0)
        return 3;
    if (argc < 2) {
        fprintf(stderr, "usage: %s NODE_DIR [default-uri|terminal]\n", argv[0]);
        return 2;
    }
    node_dir = argv[1];
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (virInitialize() < 0)
        return 1;
    if (only && strcmp(only, "default-uri") == 0) {
        default_uri();
        return 0;
    }
    if (only && strcmp(only, "terminal") == 0) {
        terminal_prompts();
        return 0;
    }
    versions();
    error_api();
    connection_errors();
    null_handles();
    default_driver();
    interfaces();
    node_files();
    authentication();
    return 0;
}
