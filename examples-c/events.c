/* Watch a guest's lifecycle events.
 *
 *   cc -o events events.c $(pkg-config --cflags --libs libvirt)
 *   ./events [URI]            (URI defaults to test:///default)
 *
 * Events are delivered through an event loop that the application runs.  This
 * program registers libvirt's default loop (virEventRegisterDefaultImpl, which
 * must come before opening the connection), subscribes to lifecycle events
 * with virConnectDomainEventRegisterAny, then defines a guest and drives it
 * through start, suspend, resume and destroy.  After each step it runs the
 * loop (virEventRunDefaultImpl) until the expected event has arrived, giving
 * up after a few seconds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#define GUEST "events-guest"
#define TIMEOUT_MS 5000

static int received;
static int timed_out;

static const char *event_name(int event)
{
    switch (event) {
    case VIR_DOMAIN_EVENT_DEFINED: return "defined";
    case VIR_DOMAIN_EVENT_UNDEFINED: return "undefined";
    case VIR_DOMAIN_EVENT_STARTED: return "started";
    case VIR_DOMAIN_EVENT_SUSPENDED: return "suspended";
    case VIR_DOMAIN_EVENT_RESUMED: return "resumed";
    case VIR_DOMAIN_EVENT_STOPPED: return "stopped";
    case VIR_DOMAIN_EVENT_SHUTDOWN: return "shutdown";
    case VIR_DOMAIN_EVENT_PMSUSPENDED: return "pmsuspended";
    case VIR_DOMAIN_EVENT_CRASHED: return "crashed";
    default: return "?";
    }
}

/* The detail's meaning depends on the event; a few common ones. */
static const char *detail_name(int event, int detail)
{
    switch (event) {
    case VIR_DOMAIN_EVENT_DEFINED:
        return detail == VIR_DOMAIN_EVENT_DEFINED_ADDED ? "added"
             : detail == VIR_DOMAIN_EVENT_DEFINED_UPDATED ? "updated" : "other";
    case VIR_DOMAIN_EVENT_UNDEFINED:
        return detail == VIR_DOMAIN_EVENT_UNDEFINED_REMOVED ? "removed" : "other";
    case VIR_DOMAIN_EVENT_STARTED:
        return detail == VIR_DOMAIN_EVENT_STARTED_BOOTED ? "booted" : "other";
    case VIR_DOMAIN_EVENT_SUSPENDED:
        return detail == VIR_DOMAIN_EVENT_SUSPENDED_PAUSED ? "paused" : "other";
    case VIR_DOMAIN_EVENT_RESUMED:
        return detail == VIR_DOMAIN_EVENT_RESUMED_UNPAUSED ? "unpaused" : "other";
    case VIR_DOMAIN_EVENT_STOPPED:
        return detail == VIR_DOMAIN_EVENT_STOPPED_DESTROYED ? "destroyed"
             : detail == VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN ? "shutdown" : "other";
    default:
        return "other";
    }
}

static int on_lifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail, void *opaque)
{
    (void)conn;
    received++;
    printf("  event [%s]: domain %s %s (%d), detail %s (%d)\n", (const char *)opaque, virDomainGetName(dom),
           event_name(event), event, detail_name(event, detail), detail);
    return 0;
}

static void on_timeout(int timer, void *opaque)
{
    (void)timer;
    (void)opaque;
    timed_out = 1;
}

/* Runs the event loop until `want` more events have arrived, or the time is up. */
static void wait_for(int want)
{
    int goal = received + want;
    int timer = virEventAddTimeout(TIMEOUT_MS, on_timeout, NULL, NULL);

    timed_out = 0;
    while (received < goal && !timed_out)
        if (virEventRunDefaultImpl() < 0) {
            printf("  the event loop failed: %s\n", virGetLastErrorMessage());
            break;
        }
    if (timed_out)
        printf("  gave up waiting: %d event(s) missing\n", goal - received);
    virEventRemoveTimeout(timer);
}

static void step(const char *what, int rc)
{
    printf("%s: %s\n", what, rc < 0 ? virGetLastErrorMessage() : "ok");
    fflush(stdout);
    if (rc >= 0)
        wait_for(1);
}

int main(int argc, char **argv)
{
    const char *uri = argc > 1 ? argv[1] : "test:///default";
    virConnectPtr conn;
    virDomainPtr dom;
    int id;

    if (virEventRegisterDefaultImpl() < 0) {
        fprintf(stderr, "cannot set up the event loop: %s\n", virGetLastErrorMessage());
        return 1;
    }
    conn = virConnectOpen(uri);
    if (!conn) {
        fprintf(stderr, "cannot connect to %s: %s\n", uri, virGetLastErrorMessage());
        return 1;
    }
    /* NULL domain: events of every domain of the connection. */
    id = virConnectDomainEventRegisterAny(conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                          VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle), "lifecycle", NULL);
    if (id < 0) {
        fprintf(stderr, "cannot register for events: %s\n", virGetLastErrorMessage());
        virConnectClose(conn);
        return 1;
    }
    printf("registered callback %d\n", id);

    dom = virDomainDefineXML(conn, "<domain type='test'><name>" GUEST "</name>"
                                   "<uuid>0f9a3c1e-7d55-4a8e-9b61-3f2a4c5d6e7f</uuid>"
                                   "<memory>65536</memory><os><type>hvm</type></os></domain>");
    step("define", dom ? 0 : -1);
    if (!dom) {
        virConnectClose(conn);
        return 1;
    }
    step("start", virDomainCreate(dom));
    step("suspend", virDomainSuspend(dom));
    step("resume", virDomainResume(dom));
    step("destroy", virDomainDestroy(dom));
    step("undefine", virDomainUndefine(dom));
    virDomainFree(dom);

    if (virConnectDomainEventDeregisterAny(conn, id) < 0)
        printf("deregister failed: %s\n", virGetLastErrorMessage());
    else
        printf("deregistered; %d events received\n", received);
    virConnectClose(conn);
    return 0;
}
