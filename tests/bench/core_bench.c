/* Times common calls; tests/bench/run runs it on Debian's libvirt and on ours
 * in the same run and prints the ratios. */
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

static void quiet(void *u, virErrorPtr e) { (void)u; (void)e; }

#define BENCH(label, n, ...)                                                    \
    do {                                                                        \
        double t0 = now();                                                      \
        for (long i_ = 0; i_ < (n); i_++) { __VA_ARGS__; }                           \
        printf("%s %.1f\n", label, (now() - t0) * 1e9 / (n));                   \
    } while (0)

int main(void)
{
    virConnectPtr conn;
    unsigned long v;
    virSetErrorFunc(NULL, quiet);
    conn = virConnectOpen("test:///default");
    if (!conn)
        return 1;
    BENCH("open+close(test:///default)", 20000, {
        virConnectPtr c = virConnectOpen("test:///default");
        virConnectClose(c);
    });
    BENCH("getType+getURI", 500000, {
        char *u = virConnectGetURI(conn);
        virConnectGetType(conn);
        free(u);
    });
    BENCH("nodeGetInfo", 500000, {
        virNodeInfo info;
        virNodeGetInfo(conn, &info);
    });
    BENCH("getCapabilities", 20000, { free(virConnectGetCapabilities(conn)); });
    BENCH("failing call (error dispatch)", 500000, { virConnectGetVersion(conn, NULL); });
    BENCH("invalid handle", 500000, { virConnectGetVersion(NULL, &v); });
    BENCH("typed params add x4 + get + free", 200000, {
        virTypedParameterPtr p = NULL;
        int n = 0, max = 0;
        unsigned int u;
        virTypedParamsAddInt(&p, &n, &max, "a", 1);
        virTypedParamsAddUInt(&p, &n, &max, "b", 2);
        virTypedParamsAddString(&p, &n, &max, "c", "three");
        virTypedParamsAddBoolean(&p, &n, &max, "d", 1);
        virTypedParamsGetUInt(p, n, "b", &u);
        virTypedParamsFree(p, n);
    });
    virConnectClose(conn);
    return 0;
}
