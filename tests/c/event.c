/* Differential test of libvirt-event.h: prints what the event API does in a
 * series of scenarios, each in a fresh child process (registration is
 * permanent).  The output must be identical on libvirt 9.0 and on our library:
 *
 *   gcc -pthread -o event-oracle tests/c/event.c -lvirt && ./event-oracle > a
 *   cargo build && gcc -pthread -Iinclude -o event-ours tests/c/event.c \
 *       -Ltarget/debug -lvirt && mkdir -p /tmp/ours && \
 *       ln -sf $PWD/target/debug/libvirt.so /tmp/ours/libvirt.so.0 && \
 *       LD_LIBRARY_PATH=/tmp/ours ./event-ours > b && diff a b
 *
 * Only timing-independent behaviour is printed: waits are reported as "short"
 * (nothing to wait for: under a millisecond) or "long" (a 1 s timer) around a
 * 250 ms threshold, and threads wait for the loop before they act.  The last
 * error is not inspected here (tests/event_ffi.rs covers it), so the program
 * needs nothing beyond the nine event functions.  stderr names the libvirt
 * library the process mapped.  tests/event_c_diff.rs runs all of this.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libvirt/libvirt.h>

static int p[2];
static volatile int iterations_started;
static int remove_self_watch, remove_self_timer;

static void hcb(int w, int fd, int ev, void *o)
{
    printf("  handle w=%d fd=%s ev=%d o=%ld\n", w, fd == p[0] ? "r" : fd == p[1] ? "w" : "?", ev, (long)o);
    if (remove_self_watch == w) {
        printf("  remove self -> %d\n", virEventRemoveHandle(w));
        remove_self_watch = 0;
    }
}

static void tcb(int t, void *o)
{
    printf("  timeout t=%d o=%ld\n", t, (long)o);
    if (remove_self_timer == t) {
        printf("  remove self -> %d\n", virEventRemoveTimeout(t));
        remove_self_timer = 0;
    }
}

static void ff(void *o)
{
    printf("  free o=%ld\n", (long)o);
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void run_iterations(int n, int timed)
{
    for (int i = 0; i < n; i++) {
        double a = now();
        int r;
        printf(" iter %d\n", i);
        fflush(stdout);
        __atomic_add_fetch(&iterations_started, 1, __ATOMIC_SEQ_CST);
        r = virEventRunDefaultImpl();
        if (timed)
            printf(" -> %d (%s)\n", r, now() - a > 0.25 ? "long" : "short");
        else
            printf(" -> %d\n", r);
    }
}

static void run(int n)
{
    run_iterations(n, 1);
}

/* For a thread that acts while the main thread iterates: returns once the
 * loop has started iteration n (counting from 1) and had time to block. */
static void await_iteration(int n)
{
    while (__atomic_load_n(&iterations_started, __ATOMIC_SEQ_CST) < n)
        usleep(1000);
    usleep(100000);
}

static int app_add(int fd, int ev, virEventHandleCallback cb, void *o, virFreeCallback f)
{
    printf("  app add_handle fd=%d ev=%d same=%d\n", fd, ev, cb == hcb && f == ff && o == (void *)5);
    return 42;
}
static void app_update(int w, int ev) { printf("  app update_handle %d %d\n", w, ev); }
static int app_remove(int w) { printf("  app remove_handle %d\n", w); return 7; }
static int app_add_timeout(int ms, virEventTimeoutCallback cb, void *o, virFreeCallback f)
{
    printf("  app add_timeout %d same=%d\n", ms, cb == tcb && f == ff && o == (void *)6);
    return 43;
}
static void app_update_timeout(int t, int ms) { printf("  app update_timeout %d %d\n", t, ms); }
static int app_remove_timeout(int t) { printf("  app remove_timeout %d\n", t); return 8; }

static void calls(void)
{
    printf(" add_handle -> %d\n", virEventAddHandle(5, 1, hcb, (void *)5, ff));
    virEventUpdateHandle(3, 2);
    printf(" remove_handle -> %d\n", virEventRemoveHandle(3));
    printf(" add_timeout -> %d\n", virEventAddTimeout(10, tcb, (void *)6, ff));
    virEventUpdateTimeout(3, 2);
    printf(" remove_timeout -> %d\n", virEventRemoveTimeout(3));
}

static void put(void) { if (write(p[1], "x", 1) != 1) abort(); }

static void unregistered(void) { calls(); }

static void register_twice(void)
{
    printf(" register -> %d\n", virEventRegisterDefaultImpl());
    printf(" register -> %d\n", virEventRegisterDefaultImpl());
}

static void ids(void)
{
    int h2, t2;
    virEventRegisterDefaultImpl();
    printf(" h %d\n", virEventAddHandle(p[0], 1, hcb, (void *)1, ff));
    printf(" h %d\n", h2 = virEventAddHandle(p[0], 0, hcb, (void *)2, ff));
    printf(" t %d\n", virEventAddTimeout(-1, tcb, (void *)3, ff));
    printf(" t %d\n", t2 = virEventAddTimeout(-1, tcb, (void *)4, ff));
    printf(" h fd -1: %d\n", virEventAddHandle(-1, 1, hcb, (void *)5, ff));
    printf(" h NULL ff: %d\n", virEventAddHandle(p[0], 0, hcb, (void *)6, NULL));
    printf(" remove h %d -> %d\n", h2, virEventRemoveHandle(h2));
    printf(" remove h %d -> %d\n", h2, virEventRemoveHandle(h2));
    printf(" remove h 99 -> %d\n", virEventRemoveHandle(99));
    printf(" remove h 0 -> %d\n", virEventRemoveHandle(0));
    printf(" remove h -5 -> %d\n", virEventRemoveHandle(-5));
    printf(" remove t %d -> %d\n", t2, virEventRemoveTimeout(t2));
    printf(" remove t %d -> %d\n", t2, virEventRemoveTimeout(t2));
    printf(" remove t 99 -> %d\n", virEventRemoveTimeout(99));
    printf(" remove t 0 -> %d\n", virEventRemoveTimeout(0));
    virEventUpdateHandle(99, 1);
    virEventUpdateTimeout(99, 1);
    virEventUpdateHandle(0, 1);
    virEventUpdateTimeout(-1, 1);
    printf(" h %d\n", virEventAddHandle(p[0], 0, hcb, (void *)7, ff));
    printf(" t %d\n", virEventAddTimeout(-1, tcb, (void *)8, ff));
}

static void timeout_zero(void)
{
    virEventRegisterDefaultImpl();
    virEventAddTimeout(0, tcb, (void *)1, ff);
    virEventAddTimeout(-1, tcb, (void *)2, ff);
    run(3);
}

static void handle_ready(void)
{
    virEventRegisterDefaultImpl();
    put();
    virEventAddHandle(p[0], 1, hcb, (void *)1, ff);
    run(2);
}

static void timeout_then_handle(void)
{
    virEventRegisterDefaultImpl();
    put();
    virEventAddTimeout(0, tcb, (void *)1, ff);
    virEventAddHandle(p[0], 1, hcb, (void *)2, ff);
    run(2);
}

static void handle_then_timeout(void)
{
    virEventRegisterDefaultImpl();
    put();
    virEventAddHandle(p[0], 1, hcb, (void *)1, ff);
    virEventAddTimeout(0, tcb, (void *)2, ff);
    run(2);
}

static void update_reorders(void)
{
    int h, t, a, b;
    virEventRegisterDefaultImpl();
    put();
    h = virEventAddHandle(p[0], 1, hcb, (void *)1, ff);
    t = virEventAddTimeout(0, tcb, (void *)2, ff);
    run(1);
    virEventUpdateHandle(h, 0);
    virEventUpdateHandle(h, 1);
    run(1);
    virEventUpdateTimeout(t, 0);
    run(1);
    virEventUpdateHandle(h, 1);
    run(1);
    virEventRemoveHandle(h);
    virEventRemoveTimeout(t);
    a = virEventAddTimeout(0, tcb, (void *)3, NULL);
    b = virEventAddTimeout(0, tcb, (void *)4, NULL);
    run(2);
    virEventUpdateTimeout(a, 0);
    run(1);
    (void)b;
}

static void frees(void)
{
    int h, t, t2;
    virEventRegisterDefaultImpl();
    h = virEventAddHandle(p[0], 1, hcb, (void *)1, ff);
    t = virEventAddTimeout(-1, tcb, (void *)2, ff);
    virEventRemoveHandle(h);
    virEventRemoveTimeout(t);
    run(1);
    t2 = virEventAddTimeout(1000, tcb, (void *)3, ff);
    run(3);
    virEventRemoveTimeout(t2);
}

static void remove_inside_callback(void)
{
    virEventRegisterDefaultImpl();
    put();
    remove_self_watch = virEventAddHandle(p[0], 1, hcb, (void *)1, ff);
    remove_self_timer = virEventAddTimeout(0, tcb, (void *)2, ff);
    virEventAddTimeout(1000, tcb, (void *)3, ff);
    run(3);
}

static void timer_free_starves(void)
{
    int h, t;
    virEventRegisterDefaultImpl();
    h = virEventAddHandle(p[0], 1, hcb, (void *)1, ff);
    t = virEventAddTimeout(-1, tcb, (void *)2, ff);
    virEventAddTimeout(0, tcb, (void *)3, ff);
    virEventRemoveHandle(h);
    virEventRemoveTimeout(t);
    run(3);
}

static void update_removed(void)
{
    int t, h;
    virEventRegisterDefaultImpl();
    t = virEventAddTimeout(-1, tcb, (void *)1, ff);
    virEventRemoveTimeout(t);
    virEventUpdateTimeout(t, 0);
    h = virEventAddHandle(p[0], 0, hcb, (void *)2, ff);
    virEventRemoveHandle(h);
    put();
    virEventUpdateHandle(h, 1);
    virEventAddTimeout(1000, tcb, (void *)3, ff);
    run(3);
}

static void hangup(void)
{
    virEventRegisterDefaultImpl();
    put();
    close(p[1]);
    p[1] = -2;
    virEventAddHandle(p[0], 1, hcb, (void *)1, ff);
    virEventAddHandle(p[0], 2, hcb, (void *)2, ff);
    virEventAddHandle(p[0], 4, hcb, (void *)3, ff);
    virEventAddHandle(p[0], 8, hcb, (void *)4, ff);
    virEventAddHandle(p[0], 15, hcb, (void *)5, ff);
    virEventAddHandle(p[0], 0, hcb, (void *)6, ff);
    run(1);
}

static void broken_pipe(void)
{
    virEventRegisterDefaultImpl();
    close(p[0]);
    p[0] = -2;
    virEventAddHandle(p[1], 2, hcb, (void *)1, ff);
    virEventAddHandle(p[1], 1, hcb, (void *)2, ff);
    virEventAddHandle(p[1], 16 + 2, hcb, (void *)3, ff);
    run(1);
}

static void bad_fds(void)
{
    virEventRegisterDefaultImpl();
    virEventAddHandle(-1, 1, hcb, (void *)1, ff);
    virEventAddTimeout(0, tcb, (void *)2, ff);
    run(1);
}

static void negative_timeouts(void)
{
    int t;
    virEventRegisterDefaultImpl();
    t = virEventAddTimeout(-5, tcb, (void *)1, ff);
    printf(" t=%d\n", t);
    virEventAddTimeout(1000, tcb, (void *)2, ff);
    run(1);
    virEventUpdateTimeout(t, 0);
    run(1);
    virEventUpdateTimeout(t, -7);
    run(1);
}

static void wakeups(void)
{
    int h;
    virEventRegisterDefaultImpl();
    virEventAddTimeout(1000, tcb, (void *)1, ff);
    run(1);
    h = virEventAddHandle(p[0], 1, hcb, (void *)2, ff);
    run(2);
    virEventRemoveHandle(h);
    run(3);
}

static void *add_later(void *arg)
{
    (void)arg;
    await_iteration(1);
    printf(" thread: add handle\n");
    fflush(stdout);
    virEventAddHandle(p[0], 2, hcb, (void *)1, ff);
    return NULL;
}

static void *remove_later(void *arg)
{
    (void)arg;
    await_iteration(2);
    printf(" thread: remove handle\n");
    fflush(stdout);
    virEventRemoveHandle(1);
    return NULL;
}

static void cross_thread_add(void)
{
    pthread_t t;
    virEventRegisterDefaultImpl();
    pthread_create(&t, NULL, add_later, NULL);
    run_iterations(1, 0);
    pthread_join(t, NULL);
}

static void cross_thread_remove(void)
{
    pthread_t t;
    virEventRegisterDefaultImpl();
    virEventAddHandle(p[0], 1, hcb, (void *)1, ff);
    pthread_create(&t, NULL, remove_later, NULL);
    run_iterations(3, 0);
    pthread_join(t, NULL);
}

static void custom(void)
{
    virEventRegisterImpl(app_add, app_update, app_remove, app_add_timeout, app_update_timeout,
                         app_remove_timeout);
    calls();
    printf(" register default -> %d\n", virEventRegisterDefaultImpl());
    calls();
    virEventRegisterImpl(NULL, NULL, NULL, NULL, NULL, NULL);
    calls();
}

static void custom_partial(void)
{
    virEventRegisterImpl(app_add, NULL, NULL, NULL, NULL, NULL);
    calls();
    virEventRegisterImpl(app_add, app_update, app_remove, app_add_timeout, app_update_timeout,
                         app_remove_timeout);
    calls();
}

static void custom_after_nulls(void)
{
    virEventRegisterImpl(NULL, NULL, NULL, NULL, NULL, NULL);
    calls();
    virEventRegisterImpl(app_add, app_update, app_remove, app_add_timeout, app_update_timeout,
                         app_remove_timeout);
    calls();
}

static void custom_single_function(void)
{
    virEventRegisterImpl(NULL, NULL, NULL, NULL, NULL, app_remove_timeout);
    virEventRegisterImpl(app_add, app_update, app_remove, app_add_timeout, app_update_timeout,
                         app_remove_timeout);
    calls();
}

static void custom_after_default(void)
{
    virEventRegisterDefaultImpl();
    virEventRegisterImpl(app_add, app_update, app_remove, app_add_timeout, app_update_timeout,
                         app_remove_timeout);
    calls();
}

static const struct {
    const char *name;
    void (*fn)(void);
} scenarios[] = {
#define S(n) { #n, n }
    S(unregistered), S(register_twice), S(ids), S(timeout_zero), S(handle_ready),
    S(timeout_then_handle), S(handle_then_timeout), S(update_reorders), S(frees),
    S(remove_inside_callback), S(timer_free_starves), S(update_removed), S(hangup),
    S(broken_pipe), S(bad_fds), S(negative_timeouts), S(wakeups), S(cross_thread_add),
    S(cross_thread_remove), S(custom), S(custom_partial), S(custom_after_nulls),
    S(custom_single_function), S(custom_after_default),
};

/* Names the libvirt library this process uses, on stderr. */
static void report_library(void)
{
    char line[4096];
    FILE *maps = fopen("/proc/self/maps", "r");
    while (maps && fgets(line, sizeof(line), maps)) {
        char *path = strchr(line, '/');
        if (path && strstr(path, "/libvirt.so")) {
            fprintf(stderr, "library: %s", path);
            break;
        }
    }
    if (maps)
        fclose(maps);
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    report_library();
    for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
        pid_t pid;
        int st;
        if (argc > 1 && strcmp(argv[1], scenarios[i].name) != 0)
            continue;
        printf("== %s\n", scenarios[i].name);
        fflush(stdout);
        pid = fork();
        if (pid == 0) {
            alarm(10);
            if (pipe(p) < 0)
                abort();
            scenarios[i].fn();
            fflush(stdout);
            _exit(0);
        }
        waitpid(pid, &st, 0);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            printf(" (child failed: status %d)\n", st);
    }
    return 0;
}
