//! The default event loop on poll(2), scheduling as libvirt 9.0's GLib-based
//! loop does (see the module documentation of `event` for the rules).

use std::any::Any;
use std::collections::BTreeMap;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use parking_lot::{Mutex, ReentrantMutex};

use super::{EventImpl, Events, HandleCallback, TimeoutCallback};

struct Handle {
    fd: RawFd,
    events: Events,
    /// Dispatch rank, renewed whenever the mask changes; `None` while the mask
    /// is empty (not polled) or once removed.
    seq: Option<u64>,
    /// Taken out while the callback runs, so that it runs without the lock.
    cb: Option<HandleCallback>,
    /// Removed while its callback was running: dropped when that returns.
    removed: bool,
}

struct Timer {
    interval: i32,
    /// `None` while disabled.
    deadline: Option<Instant>,
    /// Dispatch rank, renewed on every update; `None` while disabled.
    seq: Option<u64>,
    cb: Option<TimeoutCallback>,
    removed: bool,
}

#[derive(Default)]
struct State {
    last_watch: i32,
    last_timer: i32,
    last_seq: u64,
    handles: BTreeMap<i32, Handle>,
    timers: BTreeMap<i32, Timer>,
    /// Callbacks of removed handles, dropped at the start of the next iteration.
    handle_frees: Vec<HandleCallback>,
    /// Callbacks of removed timers, dropped by an iteration with nothing else to do.
    timer_frees: Vec<TimeoutCallback>,
    /// The thread running an iteration: changes made by others must wake it.
    owner: Option<ThreadId>,
    /// Bumped whenever the set of polled descriptors changes.
    poll_set_version: u64,
}

impl State {
    fn next_seq(&mut self) -> u64 {
        self.last_seq += 1;
        self.last_seq
    }

    /// The deadline and dispatch rank of a timer (re)armed now with
    /// `interval_ms`: re-arming moves it to the end of the dispatch order.
    fn arm(&mut self, interval_ms: i32) -> (Option<Instant>, Option<u64>) {
        if interval_ms < 0 {
            return (None, None);
        }
        (
            Some(Instant::now() + interval(interval_ms)),
            Some(self.next_seq()),
        )
    }

    fn live_handle(&mut self, watch: i32) -> Option<&mut Handle> {
        self.handles.get_mut(&watch).filter(|h| !h.removed)
    }

    fn live_timer(&mut self, timer: i32) -> Option<&mut Timer> {
        self.timers.get_mut(&timer).filter(|t| !t.removed)
    }
}

/// Picks the next id after `last`, skipping ids in use once the counter wraps
/// (libvirt's plain counter would overflow; this never matters in practice).
fn next_id<V>(last: &mut i32, used: &BTreeMap<i32, V>) -> i32 {
    loop {
        *last = if *last == i32::MAX { 1 } else { *last + 1 };
        if !used.contains_key(last) {
            return *last;
        }
    }
}

/// The descriptors one poll waits on: the wakeup first, then each polled
/// handle (`polled` has its watch, rank and mask), with the timeout in ms and
/// the version of the poll set they were taken from.
struct PollSet {
    fds: Vec<libc::pollfd>,
    polled: Vec<(i32, u64, Events)>,
    timeout: i32,
    version: u64,
}

/// What one poll found ready, in dispatch order.
enum Ready {
    Handle(i32, u64, Events),
    Timer(i32, u64),
}

impl Ready {
    fn seq(&self) -> u64 {
        match *self {
            Ready::Handle(_, seq, _) | Ready::Timer(_, seq) => seq,
        }
    }
}

/// An event loop: handles and timers, run one iteration at a time by
/// [`EventLoop::run_once`]; every other method may be called from any thread,
/// including from inside callbacks.
pub struct EventLoop {
    state: Mutex<State>,
    /// Serialises iterations; re-entrant so a callback may run a nested one.
    turn: ReentrantMutex<()>,
    /// An eventfd that interrupts a blocked poll.
    wakeup: OwnedFd,
}

impl EventLoop {
    /// A new, empty loop.
    pub fn new() -> io::Result<EventLoop> {
        // SAFETY: eventfd takes no pointers.
        let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(EventLoop {
            state: Mutex::new(State::default()),
            turn: ReentrantMutex::new(()),
            // SAFETY: eventfd just returned this descriptor and nothing else owns it.
            wakeup: unsafe { OwnedFd::from_raw_fd(fd) },
        })
    }

    /// Watches `fd` for `events` (an empty mask: not yet); returns the watch id.
    pub fn add_handle(&self, fd: RawFd, events: Events, cb: HandleCallback) -> i32 {
        let mut guard = self.state.lock();
        let st = &mut *guard;
        let watch = next_id(&mut st.last_watch, &st.handles);
        let seq = (!events.is_empty()).then(|| st.next_seq());
        st.handles.insert(
            watch,
            Handle {
                fd,
                events,
                seq,
                cb: Some(cb),
                removed: false,
            },
        );
        self.changed(st, seq.is_some());
        watch
    }

    /// Changes the events `watch` waits for; unknown ids are ignored.
    pub fn update_handle(&self, watch: i32, events: Events) {
        let mut st = self.state.lock();
        // Ranks only order dispatch, so one drawn for nothing does no harm.
        let seq = (!events.is_empty()).then(|| st.next_seq());
        let Some(h) = st.live_handle(watch) else { return };
        if h.events == events {
            return;
        }
        let was_polled = h.seq.is_some();
        h.events = events;
        h.seq = seq;
        self.changed(&mut st, was_polled || seq.is_some());
    }

    /// Stops watching; `false` for an unknown or already removed id.  The
    /// callback is dropped by a later iteration.
    pub fn remove_handle(&self, watch: i32) -> bool {
        let mut st = self.state.lock();
        let Some(h) = st.live_handle(watch) else {
            return false;
        };
        let was_polled = h.seq.is_some();
        if h.cb.is_some() {
            if let Some(cb) = st.handles.remove(&watch).and_then(|h| h.cb) {
                st.handle_frees.push(cb);
            }
        } else {
            h.removed = true;
            h.seq = None;
        }
        self.changed(&mut st, was_polled);
        true
    }

    /// Calls `cb` every `interval_ms` milliseconds (0: every iteration,
    /// negative: disabled); returns the timer id.
    pub fn add_timeout(&self, interval_ms: i32, cb: TimeoutCallback) -> i32 {
        let mut guard = self.state.lock();
        let st = &mut *guard;
        let timer = next_id(&mut st.last_timer, &st.timers);
        let (deadline, seq) = st.arm(interval_ms);
        st.timers.insert(
            timer,
            Timer {
                interval: interval_ms,
                deadline,
                seq,
                cb: Some(cb),
                removed: false,
            },
        );
        self.changed(st, false);
        timer
    }

    /// Sets a timer's interval and restarts it; unknown ids are ignored.
    pub fn update_timeout(&self, timer: i32, interval_ms: i32) {
        let mut st = self.state.lock();
        let (deadline, seq) = st.arm(interval_ms);
        let Some(t) = st.live_timer(timer) else { return };
        t.interval = interval_ms;
        t.deadline = deadline;
        t.seq = seq;
        self.changed(&mut st, false);
    }

    /// Stops a timer; `false` for an unknown or already removed id.  The
    /// callback is dropped by a later iteration.
    pub fn remove_timeout(&self, timer: i32) -> bool {
        let mut st = self.state.lock();
        let Some(t) = st.live_timer(timer) else {
            return false;
        };
        if t.cb.is_some() {
            if let Some(cb) = st.timers.remove(&timer).and_then(|t| t.cb) {
                st.timer_frees.push(cb);
            }
        } else {
            t.removed = true;
            t.seq = None;
            t.deadline = None;
        }
        self.changed(&mut st, false);
        true
    }

    /// One iteration: waits until something is ready (or the loop is woken by
    /// a change from another thread), then dispatches what is ready.
    pub fn run_once(&self) {
        let _turn = self.turn.lock();
        let _owner = OwnerGuard::enter(self);

        // Dropping removed handles' callbacks is an iteration of its own, which
        // does not even look at the wakeup (so a pending one is still pending).
        let frees = std::mem::take(&mut self.state.lock().handle_frees);
        if !frees.is_empty() {
            release(frees);
            return;
        }

        let PollSet {
            mut fds,
            polled,
            timeout,
            version,
        } = self.prepare();
        // SAFETY: `fds` is a live, exclusively borrowed array of `fds.len()`
        // pollfd structures for the duration of the call.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout) };
        if n < 0 {
            // EINTR (or a resource shortage) counts as an iteration with nothing ready.
            fds.iter_mut().for_each(|p| p.revents = 0);
        }
        if fds[0].revents != 0 {
            self.drain_wakeup();
        }

        let now = Instant::now();
        let mut ready = Vec::new();
        let timer_frees = {
            let mut st = self.state.lock();
            if st.poll_set_version != version {
                // What was polled is stale: like GLib, dispatch nothing this time.
                return;
            }
            for (p, &(watch, seq, mask)) in fds[1..].iter().zip(&polled) {
                let got = from_revents(p.revents) & (mask | Events::ERROR | Events::HANGUP);
                let current = st.handles.get(&watch).and_then(|h| h.seq);
                if !got.is_empty() && current == Some(seq) {
                    ready.push(Ready::Handle(watch, seq, got));
                }
            }
            for (&id, t) in &st.timers {
                if let (Some(seq), Some(deadline), Some(_)) = (t.seq, t.deadline, &t.cb) {
                    if deadline <= now {
                        ready.push(Ready::Timer(id, seq));
                    }
                }
            }
            if ready.is_empty() {
                std::mem::take(&mut st.timer_frees)
            } else {
                Vec::new()
            }
        };
        release(timer_frees);

        ready.sort_by_key(Ready::seq);
        for r in ready {
            match r {
                Ready::Handle(watch, seq, got) => self.dispatch_handle(watch, seq, got),
                Ready::Timer(timer, seq) => self.dispatch_timer(timer, seq, now),
            }
        }
    }

    /// What the next poll waits for.
    fn prepare(&self) -> PollSet {
        let st = self.state.lock();
        let mut fds = vec![libc::pollfd {
            fd: self.wakeup.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        }];
        let mut polled = Vec::new();
        for (&watch, h) in &st.handles {
            // A handle whose callback is running (a nested iteration) is not polled.
            if let (Some(seq), Some(_)) = (h.seq, &h.cb) {
                fds.push(libc::pollfd {
                    fd: h.fd,
                    events: to_poll_events(h.events),
                    revents: 0,
                });
                polled.push((watch, seq, h.events));
            }
        }
        let now = Instant::now();
        let next = st
            .timers
            .values()
            .filter(|t| t.cb.is_some())
            .filter_map(|t| t.deadline)
            .min();
        let timeout = if !st.timer_frees.is_empty() {
            0
        } else {
            match next {
                None => -1,
                Some(d) if d <= now => 0,
                Some(d) => {
                    let wait = d - now;
                    // Round up: waking before the deadline would spin.
                    let ms = wait.as_millis() + u128::from(!wait.subsec_nanos().is_multiple_of(1_000_000));
                    ms.min(i32::MAX as u128) as i32
                }
            }
        };
        PollSet {
            fds,
            polled,
            timeout,
            version: st.poll_set_version,
        }
    }

    fn dispatch_handle(&self, watch: i32, seq: u64, got: Events) {
        let (mut cb, fd) = {
            let mut st = self.state.lock();
            // An earlier callback of this iteration may have removed or changed it.
            let Some(h) = st.handles.get_mut(&watch).filter(|h| h.seq == Some(seq)) else {
                return;
            };
            let Some(cb) = h.cb.take() else { return };
            (cb, h.fd)
        };
        let _ = catch_unwind(AssertUnwindSafe(|| cb(watch, fd, got)));
        let mut st = self.state.lock();
        match st.handles.get_mut(&watch) {
            Some(h) if !h.removed => h.cb = Some(cb),
            _ => {
                st.handles.remove(&watch);
                st.handle_frees.push(cb);
            }
        }
    }

    fn dispatch_timer(&self, timer: i32, seq: u64, now: Instant) {
        let mut cb = {
            let mut st = self.state.lock();
            let Some(t) = st.timers.get_mut(&timer).filter(|t| t.seq == Some(seq)) else {
                return;
            };
            let Some(cb) = t.cb.take() else { return };
            cb
        };
        let _ = catch_unwind(AssertUnwindSafe(|| cb(timer)));
        let mut st = self.state.lock();
        match st.timers.get_mut(&timer) {
            Some(t) if !t.removed => {
                // Rescheduled from this iteration's time unless the callback re-armed it.
                if t.seq == Some(seq) {
                    t.deadline = Some(now + interval(t.interval));
                }
                t.cb = Some(cb);
            }
            _ => {
                st.timers.remove(&timer);
                st.timer_frees.push(cb);
            }
        }
    }

    /// Records a change.  One to the polled descriptors always signals the
    /// wakeup, as GLib does: the next poll returns at once, and one already
    /// running dispatches nothing.  Any other change only wakes an iteration
    /// running on another thread (the iterating thread sees it next time anyway).
    fn changed(&self, st: &mut State, poll_set: bool) {
        if poll_set {
            st.poll_set_version += 1;
        }
        if poll_set || st.owner.is_some_and(|o| o != thread::current().id()) {
            let one: u64 = 1;
            // SAFETY: writes 8 bytes from a live u64 to our eventfd.  A full
            // counter (EAGAIN) already means "woken", so the result is ignored.
            let _ = unsafe { libc::write(self.wakeup.as_raw_fd(), (&one as *const u64).cast(), 8) };
        }
    }

    fn drain_wakeup(&self) {
        let mut buf: u64 = 0;
        // SAFETY: reads at most 8 bytes into a live u64; non-blocking, so an
        // unsignalled eventfd just returns EAGAIN.
        let _ = unsafe { libc::read(self.wakeup.as_raw_fd(), (&mut buf as *mut u64).cast(), 8) };
    }
}

impl EventImpl for EventLoop {
    fn add_handle(&self, fd: RawFd, events: Events, cb: HandleCallback) -> Option<i32> {
        Some(EventLoop::add_handle(self, fd, events, cb))
    }
    fn update_handle(&self, watch: i32, events: Events) {
        EventLoop::update_handle(self, watch, events)
    }
    fn remove_handle(&self, watch: i32) -> bool {
        EventLoop::remove_handle(self, watch)
    }
    fn add_timeout(&self, interval_ms: i32, cb: TimeoutCallback) -> Option<i32> {
        Some(EventLoop::add_timeout(self, interval_ms, cb))
    }
    fn update_timeout(&self, timer: i32, interval_ms: i32) {
        EventLoop::update_timeout(self, timer, interval_ms)
    }
    fn remove_timeout(&self, timer: i32) -> bool {
        EventLoop::remove_timeout(self, timer)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Marks the current thread as the one iterating, restoring the previous
/// owner (an outer iteration on the same thread) when done.
struct OwnerGuard<'a> {
    lp: &'a EventLoop,
    prev: Option<ThreadId>,
}

impl<'a> OwnerGuard<'a> {
    fn enter(lp: &'a EventLoop) -> Self {
        let prev = lp.state.lock().owner.replace(thread::current().id());
        OwnerGuard { lp, prev }
    }
}

impl Drop for OwnerGuard<'_> {
    fn drop(&mut self) {
        self.lp.state.lock().owner = self.prev;
    }
}

fn interval(ms: i32) -> Duration {
    Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

fn to_poll_events(events: Events) -> libc::c_short {
    let mut p = libc::POLLERR | libc::POLLHUP;
    if events.contains(Events::READABLE) {
        p |= libc::POLLIN;
    }
    if events.contains(Events::WRITABLE) {
        p |= libc::POLLOUT;
    }
    p
}

fn from_revents(revents: libc::c_short) -> Events {
    let mut e = Events::NONE;
    for (bit, ev) in [
        (libc::POLLIN, Events::READABLE),
        (libc::POLLOUT, Events::WRITABLE),
        (libc::POLLERR, Events::ERROR),
        (libc::POLLHUP, Events::HANGUP),
    ] {
        if revents & bit != 0 {
            e |= ev;
        }
    }
    e
}

/// Drops callbacks (running their free callbacks) outside any lock; a
/// panicking one does not keep the others from being released.
fn release<T>(items: Vec<T>) {
    for item in items {
        let _ = catch_unwind(AssertUnwindSafe(move || drop(item)));
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{mpsc, Arc};

    use super::*;

    /// Everything the callbacks of a test did, in order.
    type Log = Arc<Mutex<Vec<String>>>;

    fn log() -> Log {
        Arc::new(Mutex::new(Vec::new()))
    }

    fn take(log: &Log) -> Vec<String> {
        std::mem::take(&mut *log.lock())
    }

    /// Counts drops: the Rust form of a free callback.
    struct FreeCount(Arc<AtomicUsize>);

    impl Drop for FreeCount {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn timer_cb(log: &Log, name: &'static str) -> TimeoutCallback {
        let log = log.clone();
        Box::new(move |id| log.lock().push(format!("{name}:t{id}")))
    }

    fn handle_cb(log: &Log, name: &'static str) -> HandleCallback {
        let log = log.clone();
        Box::new(move |id, _fd, ev| log.lock().push(format!("{name}:w{id}:{}", ev.bits())))
    }

    struct Pipe {
        r: OwnedFd,
        w: OwnedFd,
    }

    fn pipe() -> Pipe {
        let mut fds = [0; 2];
        // SAFETY: pipe writes two descriptors into a live array of two ints.
        assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
        // SAFETY: both descriptors are fresh and owned by nobody else.
        unsafe {
            Pipe {
                r: OwnedFd::from_raw_fd(fds[0]),
                w: OwnedFd::from_raw_fd(fds[1]),
            }
        }
    }

    fn write_byte(fd: &OwnedFd) {
        // SAFETY: writes one byte from a live buffer.
        assert_eq!(unsafe { libc::write(fd.as_raw_fd(), b"x".as_ptr().cast(), 1) }, 1);
    }

    #[test]
    fn ids_count_from_one_separately_and_are_never_reused() {
        let lp = EventLoop::new().unwrap();
        let l = log();
        assert_eq!(lp.add_handle(-1, Events::NONE, handle_cb(&l, "a")), 1);
        assert_eq!(lp.add_handle(-1, Events::READABLE, handle_cb(&l, "b")), 2);
        assert_eq!(lp.add_timeout(-1, timer_cb(&l, "c")), 1);
        assert!(lp.remove_handle(2));
        assert!(!lp.remove_handle(2), "a second removal fails");
        assert!(!lp.remove_handle(99) && !lp.remove_handle(0) && !lp.remove_handle(-1));
        assert!(lp.remove_timeout(1));
        assert!(!lp.remove_timeout(1));
        assert_eq!(lp.add_handle(-1, Events::NONE, handle_cb(&l, "d")), 3);
        assert_eq!(lp.add_timeout(-1, timer_cb(&l, "e")), 2);
        // Unknown ids are ignored without effect.
        lp.update_handle(99, Events::READABLE);
        lp.update_timeout(99, 0);
        lp.update_timeout(1, 0);
    }

    #[test]
    fn timeouts_fire_in_deadline_order() {
        let lp = EventLoop::new().unwrap();
        let l = log();
        let start = Instant::now();
        // Gaps far above any scheduling hiccup keep the order deterministic.
        lp.add_timeout(1600, timer_cb(&l, "slow"));
        lp.add_timeout(20, timer_cb(&l, "fast"));
        lp.add_timeout(800, timer_cb(&l, "mid"));
        let mut first = Vec::new();
        while first.len() < 3 {
            lp.run_once();
            for e in take(&l) {
                if !first.contains(&e) {
                    first.push(e);
                }
            }
        }
        assert_eq!(first, ["fast:t2", "mid:t3", "slow:t1"]);
        assert!(
            start.elapsed() >= Duration::from_millis(1600),
            "no timer fires early"
        );
    }

    #[test]
    fn zero_fires_every_iteration_negative_never() {
        let lp = EventLoop::new().unwrap();
        let l = log();
        lp.add_timeout(-1, timer_cb(&l, "off"));
        let t = lp.add_timeout(0, timer_cb(&l, "zero"));
        for _ in 0..3 {
            lp.run_once();
            assert_eq!(take(&l), ["zero:t2"]);
        }
        lp.update_timeout(t, -5);
        lp.update_timeout(1, 0);
        lp.run_once();
        assert_eq!(take(&l), ["off:t1"]);
    }

    #[test]
    fn one_iteration_dispatches_in_arming_order() {
        let lp = EventLoop::new().unwrap();
        let l = log();
        let p = pipe();
        write_byte(&p.w);
        let h = lp.add_handle(p.r.as_raw_fd(), Events::READABLE, handle_cb(&l, "h"));
        let t = lp.add_timeout(0, timer_cb(&l, "t"));
        lp.run_once();
        assert_eq!(take(&l), ["h:w1:1", "t:t1"]);
        // Re-arming a timer (even to the same interval) moves it last...
        lp.update_timeout(t, 0);
        lp.update_handle(h, Events::NONE);
        lp.update_handle(h, Events::READABLE);
        lp.run_once();
        assert_eq!(take(&l), ["t:t1", "h:w1:1"]);
        // ...an unchanged mask does not.
        lp.update_timeout(t, 0);
        lp.update_handle(h, Events::READABLE);
        lp.run_once();
        assert_eq!(take(&l), ["h:w1:1", "t:t1"]);
        // An empty mask is not polled at all.
        lp.update_handle(h, Events::NONE);
        lp.run_once();
        assert_eq!(take(&l), ["t:t1"]);
    }

    #[test]
    fn handles_fire_on_readable_pipes_with_hangup_always_reported() {
        let lp = EventLoop::new().unwrap();
        let l = log();
        let p = pipe();
        let q = pipe();
        lp.add_handle(p.r.as_raw_fd(), Events::READABLE, handle_cb(&l, "r"));
        lp.add_handle(q.r.as_raw_fd(), Events::WRITABLE, handle_cb(&l, "w"));
        lp.add_handle(q.w.as_raw_fd(), Events::WRITABLE, handle_cb(&l, "out"));
        write_byte(&p.w);
        lp.run_once();
        assert_eq!(take(&l), ["r:w1:1", "out:w3:2"]);
        drop(q.w);
        drop(p.w);
        lp.remove_handle(3);
        lp.run_once(); // drops the removed handle's callback, nothing else
        assert_eq!(take(&l), Vec::<String>::new());
        lp.run_once();
        assert_eq!(take(&l), ["r:w1:9", "w:w2:8"]);
    }

    #[test]
    fn bad_descriptors_are_accepted_and_never_dispatched() {
        let lp = EventLoop::new().unwrap();
        let l = log();
        lp.add_handle(-1, Events::READABLE, handle_cb(&l, "neg"));
        lp.add_handle(1_000_000, Events::READABLE, handle_cb(&l, "nval"));
        lp.add_timeout(0, timer_cb(&l, "t"));
        lp.run_once();
        assert_eq!(take(&l), ["t:t1"]);
    }

    #[test]
    fn removal_inside_a_callback_defers_the_free() {
        let lp = Arc::new(EventLoop::new().unwrap());
        let p = pipe();
        write_byte(&p.w);
        let freed = Arc::new(AtomicUsize::new(0));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (lp2, freed2, seen2) = (lp.clone(), freed.clone(), seen.clone());
        let guard = FreeCount(freed.clone());
        let victim_freed = Arc::new(AtomicUsize::new(0));
        let victim_guard = FreeCount(victim_freed.clone());
        let victim_ran = Arc::new(AtomicUsize::new(0));
        let victim_ran2 = victim_ran.clone();
        let first = lp.add_handle(
            p.r.as_raw_fd(),
            Events::READABLE,
            Box::new(move |watch, _, _| {
                let _keep = &guard;
                let removed_self = lp2.remove_handle(watch);
                let removed_other = lp2.remove_handle(watch + 1);
                seen2
                    .lock()
                    .push((removed_self, removed_other, freed2.load(Ordering::SeqCst)));
            }),
        );
        // Ready in the same iteration, but removed by the first callback before its turn.
        lp.add_handle(
            p.r.as_raw_fd(),
            Events::READABLE,
            Box::new(move |_, _, _| {
                let _keep = &victim_guard;
                victim_ran2.fetch_add(1, Ordering::SeqCst);
            }),
        );
        lp.run_once();
        assert_eq!(*seen.lock(), [(true, true, 0)], "not freed while running");
        assert_eq!(victim_ran.load(Ordering::SeqCst), 0);
        assert_eq!(freed.load(Ordering::SeqCst), 0, "freed only on a later iteration");
        assert_eq!(victim_freed.load(Ordering::SeqCst), 0);
        assert!(!lp.remove_handle(first));
        lp.run_once();
        assert_eq!(freed.load(Ordering::SeqCst), 1);
        assert_eq!(victim_freed.load(Ordering::SeqCst), 1);
        assert_eq!(seen.lock().len(), 1);
    }

    #[test]
    fn free_callbacks_run_exactly_once() {
        let freed = Arc::new(AtomicUsize::new(0));
        let lp = EventLoop::new().unwrap();
        let guard = FreeCount(freed.clone());
        let h = lp.add_handle(
            -1,
            Events::READABLE,
            Box::new(move |_, _, _| {
                let _keep = &guard;
            }),
        );
        let guard = FreeCount(freed.clone());
        let t = lp.add_timeout(
            -1,
            Box::new(move |_| {
                let _keep = &guard;
            }),
        );
        let guard = FreeCount(freed.clone());
        lp.add_timeout(
            -1,
            Box::new(move |_| {
                let _keep = &guard;
            }),
        );
        assert!(lp.remove_handle(h) && lp.remove_timeout(t));
        assert_eq!(freed.load(Ordering::SeqCst), 0);
        lp.run_once(); // removed handles first, alone
        assert_eq!(freed.load(Ordering::SeqCst), 1);
        lp.run_once(); // removed timers once nothing else is ready
        assert_eq!(freed.load(Ordering::SeqCst), 2);
        lp.add_timeout(0, Box::new(|_| ()));
        lp.run_once();
        lp.run_once();
        assert!(!lp.remove_handle(h) && !lp.remove_timeout(t));
        assert_eq!(freed.load(Ordering::SeqCst), 2);
        drop(lp); // the loop's own end frees what is left
        assert_eq!(freed.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn removed_timers_wait_for_an_idle_iteration() {
        let lp = EventLoop::new().unwrap();
        let freed = Arc::new(AtomicUsize::new(0));
        let guard = FreeCount(freed.clone());
        let t = lp.add_timeout(
            -1,
            Box::new(move |_| {
                let _keep = &guard;
            }),
        );
        let busy = lp.add_timeout(0, Box::new(|_| ()));
        lp.remove_timeout(t);
        for _ in 0..3 {
            lp.run_once();
            assert_eq!(freed.load(Ordering::SeqCst), 0, "starved while work is ready");
        }
        lp.remove_timeout(busy);
        lp.run_once();
        assert_eq!(freed.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_panicking_callback_does_not_stop_the_loop() {
        let lp = EventLoop::new().unwrap();
        let l = log();
        lp.add_timeout(0, Box::new(|_| panic!("callback bug")));
        lp.add_timeout(0, timer_cb(&l, "ok"));
        for _ in 0..2 {
            lp.run_once();
            assert_eq!(take(&l), ["ok:t2"]);
        }
        assert!(lp.remove_timeout(1), "the panicking timer is still registered");
    }

    #[test]
    fn changes_from_another_thread_wake_a_blocked_iteration() {
        let lp = Arc::new(EventLoop::new().unwrap());
        let l = log();
        let (tx, rx) = mpsc::channel();
        let lp2 = lp.clone();
        let l2 = l.clone();
        thread::spawn(move || {
            // Nothing registered: this blocks until another thread changes something.
            lp2.run_once();
            tx.send(take(&l2)).unwrap();
            while take(&l2).is_empty() {
                lp2.run_once();
            }
            tx.send(vec!["fired".to_string()]).unwrap();
        });
        // Give the loop time to block; either order must work anyway.
        thread::sleep(Duration::from_millis(50));
        lp.add_timeout(0, timer_cb(&l, "late"));
        let woke = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the blocked iteration returned");
        assert!(woke.is_empty() || woke == ["late:t1"]);
        let fired = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the new timer fired");
        assert_eq!(fired, ["fired"]);
    }

    #[test]
    fn cross_thread_removal_interrupts_an_idle_poll() {
        let lp = Arc::new(EventLoop::new().unwrap());
        let p = pipe();
        let w = lp.add_handle(p.r.as_raw_fd(), Events::READABLE, Box::new(|_, _, _| ()));
        let (tx, rx) = mpsc::channel();
        let lp2 = lp.clone();
        thread::spawn(move || {
            lp2.run_once();
            tx.send(()).unwrap();
        });
        thread::sleep(Duration::from_millis(50));
        assert!(lp.remove_handle(w));
        rx.recv_timeout(Duration::from_secs(30))
            .expect("the blocked iteration returned");
        drop(p);
    }

    #[test]
    fn callbacks_may_run_a_nested_iteration() {
        let lp = Arc::new(EventLoop::new().unwrap());
        let l = log();
        let lp2 = lp.clone();
        let l2 = l.clone();
        lp.add_timeout(
            0,
            Box::new(move |id| {
                l2.lock().push(format!("outer:t{id}"));
                // The running timer is not dispatched again by the nested iteration.
                lp2.run_once();
            }),
        );
        lp.add_timeout(0, timer_cb(&l, "other"));
        lp.run_once();
        assert_eq!(take(&l), ["outer:t1", "other:t2", "other:t2"]);
    }
}
