//! Event loops: libvirt's default loop ([`EventLoop`], on poll(2)) and the
//! process-wide registration that routes handle and timeout requests to
//! whichever implementation the application chose (ours or its own).
//!
//! Other modules (remote driver, keepalive, domain events) use the free
//! functions [`add_handle`], [`add_timeout`], ... which go to the registered
//! implementation, and [`is_registered`] to find out whether there is one.
//!
//! Semantics follow libvirt 9.0, whose default loop runs on GLib:
//! - watch and timer ids come from two counters starting at 1, never reused;
//! - removing returns success once; unknown, already removed or non-positive
//!   ids fail; updating such ids does nothing;
//! - a handle with an empty mask is not polled; `ERROR` and `HANGUP` are
//!   reported whether asked for or not;
//! - a timeout of -1 (any negative value) is disabled, 0 fires on every
//!   iteration; updating a timer restarts its interval;
//! - one iteration dispatches everything ready in the order the handle or
//!   timer was (re)armed;
//! - a callback is dropped (its free callback runs) only on a later
//!   iteration, never while it runs: removed handles' callbacks first thing
//!   on the next iteration (nothing else runs then), removed timers' on the
//!   first iteration with nothing else ready;
//! - changing which descriptors are polled (adding, re-masking or removing a
//!   polled handle) makes the next poll return at once, and an iteration
//!   whose poll saw such a change from another thread dispatches nothing;
//!   other changes from another thread only interrupt a blocked poll.  So an
//!   iteration may return having done nothing, as libvirt's does.
//!
//! Each of these was checked against libvirt 9.0 (tests/c/event.c prints
//! them; its output is identical on both libraries).

mod poll_loop;

use std::any::Any;
use std::ops::{BitAnd, BitOr, BitOrAssign};
use std::os::fd::RawFd;

use once_cell::sync::OnceCell;

use crate::abi::VIR_FROM_EVENT;
use crate::error::{Error, Result};

pub use poll_loop::EventLoop;

/// A handle's event mask, with libvirt's bit values (unknown bits are kept).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Events(i32);

impl Events {
    /// No event: the handle is not polled.
    pub const NONE: Events = Events(0);
    /// `VIR_EVENT_HANDLE_READABLE`.
    pub const READABLE: Events = Events(1);
    /// `VIR_EVENT_HANDLE_WRITABLE`.
    pub const WRITABLE: Events = Events(2);
    /// `VIR_EVENT_HANDLE_ERROR`.
    pub const ERROR: Events = Events(4);
    /// `VIR_EVENT_HANDLE_HANGUP`.
    pub const HANGUP: Events = Events(8);

    /// The mask with exactly these bits.
    pub const fn from_bits(bits: i32) -> Events {
        Events(bits)
    }

    /// The raw bits.
    pub const fn bits(self) -> i32 {
        self.0
    }

    /// Whether every bit of `other` is set.
    pub const fn contains(self, other: Events) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether no bit is set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl BitOr for Events {
    type Output = Events;
    fn bitor(self, rhs: Events) -> Events {
        Events(self.0 | rhs.0)
    }
}

impl BitOrAssign for Events {
    fn bitor_assign(&mut self, rhs: Events) {
        self.0 |= rhs.0;
    }
}

impl BitAnd for Events {
    type Output = Events;
    fn bitand(self, rhs: Events) -> Events {
        Events(self.0 & rhs.0)
    }
}

/// A handle callback: (watch id, fd, events that occurred).
pub type HandleCallback = Box<dyn FnMut(i32, RawFd, Events) + Send>;

/// A timeout callback: (timer id).
pub type TimeoutCallback = Box<dyn FnMut(i32) + Send>;

/// An event loop implementation, as `virEventRegisterImpl` describes one.
///
/// Dropping a callback is its "free callback": implementations must drop it
/// only once it can no longer run.
pub trait EventImpl: Send + Sync + 'static {
    /// Watches `fd` for `events`; the watch id, or `None` on failure.
    fn add_handle(&self, fd: RawFd, events: Events, cb: HandleCallback) -> Option<i32>;
    /// Changes the events a watch waits for (ignored for unknown ids).
    fn update_handle(&self, watch: i32, events: Events);
    /// Stops a watch; `false` for unknown ids.
    fn remove_handle(&self, watch: i32) -> bool;
    /// Fires `cb` every `interval_ms` (negative: disabled); the timer id, or `None`.
    fn add_timeout(&self, interval_ms: i32, cb: TimeoutCallback) -> Option<i32>;
    /// Changes a timer's interval, restarting it (ignored for unknown ids).
    fn update_timeout(&self, timer: i32, interval_ms: i32);
    /// Stops a timer; `false` for unknown ids.
    fn remove_timeout(&self, timer: i32) -> bool;
    /// For the C layer, which hands C callbacks to a C implementation unchanged.
    fn as_any(&self) -> &dyn Any;
}

/// The implementation in use; set once, as libvirt ignores later registrations.
static REGISTERED: OnceCell<&'static dyn EventImpl> = OnceCell::new();

/// libvirt's default loop, created on first use; it exists (and can be run)
/// whether or not it is the registered implementation.
static DEFAULT: OnceCell<EventLoop> = OnceCell::new();

/// The default loop.
pub fn default_loop() -> Result<&'static EventLoop> {
    DEFAULT.get_or_try_init(|| {
        EventLoop::new().map_err(|e| Error::io(VIR_FROM_EVENT, &e, "Unable to create event loop wakeup"))
    })
}

/// Registers `imp` as the implementation; `false` (and no change) when one is
/// already registered, which libvirt only logs as a warning.
pub fn register(imp: &'static dyn EventImpl) -> bool {
    REGISTERED.set(imp).is_ok()
}

/// Registers the default loop unless an implementation is already registered.
pub fn register_default() -> Result<()> {
    let default = default_loop()?;
    let _ = REGISTERED.set(default);
    Ok(())
}

/// Whether an implementation is registered.
pub fn is_registered() -> bool {
    REGISTERED.get().is_some()
}

/// The registered implementation.
pub fn registered() -> Option<&'static dyn EventImpl> {
    REGISTERED.get().copied()
}

/// One iteration of the default loop (`virEventRunDefaultImpl`); like
/// libvirt's, it runs even when another implementation is registered.
pub fn run_default_once() -> Result<()> {
    default_loop()?.run_once();
    Ok(())
}

/// Watches `fd` through the registered implementation; `None` when there is
/// none or it failed (then `cb` has been dropped).
pub fn add_handle(
    fd: RawFd,
    events: Events,
    cb: impl FnMut(i32, RawFd, Events) + Send + 'static,
) -> Option<i32> {
    registered()?.add_handle(fd, events, Box::new(cb))
}

/// Changes a watch's events through the registered implementation.
pub fn update_handle(watch: i32, events: Events) {
    if let Some(imp) = registered() {
        imp.update_handle(watch, events);
    }
}

/// Removes a watch through the registered implementation.
pub fn remove_handle(watch: i32) -> bool {
    registered().is_some_and(|imp| imp.remove_handle(watch))
}

/// Adds a timer through the registered implementation; `None` when there is
/// none or it failed (then `cb` has been dropped).
pub fn add_timeout(interval_ms: i32, cb: impl FnMut(i32) + Send + 'static) -> Option<i32> {
    registered()?.add_timeout(interval_ms, Box::new(cb))
}

/// Changes a timer's interval through the registered implementation.
pub fn update_timeout(timer: i32, interval_ms: i32) {
    if let Some(imp) = registered() {
        imp.update_timeout(timer, interval_ms);
    }
}

/// Removes a timer through the registered implementation.
pub fn remove_timeout(timer: i32) -> bool {
    registered().is_some_and(|imp| imp.remove_timeout(timer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_bits_are_libvirts() {
        assert_eq!(Events::READABLE.bits(), crate::abi::VIR_EVENT_HANDLE_READABLE);
        assert_eq!(Events::WRITABLE.bits(), crate::abi::VIR_EVENT_HANDLE_WRITABLE);
        assert_eq!(Events::ERROR.bits(), crate::abi::VIR_EVENT_HANDLE_ERROR);
        assert_eq!(Events::HANGUP.bits(), crate::abi::VIR_EVENT_HANDLE_HANGUP);
        let rw = Events::READABLE | Events::WRITABLE;
        assert!(rw.contains(Events::WRITABLE) && !rw.contains(Events::ERROR));
        assert_eq!(rw & Events::READABLE, Events::READABLE);
        assert!(Events::NONE.is_empty());
    }
}
