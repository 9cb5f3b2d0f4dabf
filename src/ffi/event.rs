//! `libvirt-event.h`: event loop registration and use.
//!
//! As in libvirt 9.0, the add/update/remove calls neither reset nor set the
//! thread's last error (they return -1 when no loop is registered), while the
//! two "default" calls reset it.  Registration happens once: later attempts are
//! ignored.
#![allow(non_snake_case)]

use std::any::Any;
use std::os::fd::RawFd;

use crate::abi::*;
use crate::event::{self, EventImpl, Events, HandleCallback, TimeoutCallback};
use crate::ffi::boundary::{entry, guarded};

/// An implementation the application registered with `virEventRegisterImpl`.
struct CImpl {
    add_handle: virEventAddHandleFunc,
    update_handle: virEventUpdateHandleFunc,
    remove_handle: virEventRemoveHandleFunc,
    add_timeout: virEventAddTimeoutFunc,
    update_timeout: virEventUpdateTimeoutFunc,
    remove_timeout: virEventRemoveTimeoutFunc,
}

/// How the crate's own Rust callbacks reach an application's loop: a boxed
/// callback as `opaque`, called by a trampoline, dropped by the free callback.
impl EventImpl for CImpl {
    fn add_handle(&self, fd: RawFd, events: Events, cb: HandleCallback) -> Option<i32> {
        let add = self.add_handle?;
        let opaque = Box::into_raw(Box::new(cb)).cast::<c_void>();
        // SAFETY: the application registered `add` as its virEventAddHandleFunc;
        // `opaque` is what our trampolines expect.
        let watch = unsafe {
            add(
                fd,
                events.bits(),
                Some(handle_trampoline),
                opaque,
                Some(free_handle),
            )
        };
        if watch < 0 {
            // A failed add does not take ownership (nor call the free callback).
            // SAFETY: `opaque` came from Box::into_raw above and was not kept.
            drop(unsafe { Box::from_raw(opaque.cast::<HandleCallback>()) });
            return None;
        }
        Some(watch)
    }

    fn update_handle(&self, watch: i32, events: Events) {
        if let Some(update) = self.update_handle {
            // SAFETY: the application's registered virEventUpdateHandleFunc.
            unsafe { update(watch, events.bits()) }
        }
    }

    fn remove_handle(&self, watch: i32) -> bool {
        // SAFETY: the application's registered virEventRemoveHandleFunc.
        self.remove_handle
            .is_some_and(|remove| unsafe { remove(watch) } >= 0)
    }

    fn add_timeout(&self, interval_ms: i32, cb: TimeoutCallback) -> Option<i32> {
        let add = self.add_timeout?;
        let opaque = Box::into_raw(Box::new(cb)).cast::<c_void>();
        // SAFETY: the application registered `add` as its virEventAddTimeoutFunc;
        // `opaque` is what our trampolines expect.
        let timer = unsafe { add(interval_ms, Some(timeout_trampoline), opaque, Some(free_timeout)) };
        if timer < 0 {
            // SAFETY: `opaque` came from Box::into_raw above and was not kept.
            drop(unsafe { Box::from_raw(opaque.cast::<TimeoutCallback>()) });
            return None;
        }
        Some(timer)
    }

    fn update_timeout(&self, timer: i32, interval_ms: i32) {
        if let Some(update) = self.update_timeout {
            // SAFETY: the application's registered virEventUpdateTimeoutFunc.
            unsafe { update(timer, interval_ms) }
        }
    }

    fn remove_timeout(&self, timer: i32) -> bool {
        // SAFETY: the application's registered virEventRemoveTimeoutFunc.
        self.remove_timeout
            .is_some_and(|remove| unsafe { remove(timer) } >= 0)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

unsafe extern "C" fn handle_trampoline(watch: c_int, fd: c_int, events: c_int, opaque: *mut c_void) {
    guarded((), || {
        // SAFETY: `opaque` is the boxed callback CImpl::add_handle passed along,
        // alive until free_handle; the loop runs one callback at a time.
        let cb = unsafe { &mut *opaque.cast::<HandleCallback>() };
        cb(watch, fd, Events::from_bits(events));
    })
}

unsafe extern "C" fn free_handle(opaque: *mut c_void) {
    // SAFETY: `opaque` is the box CImpl::add_handle leaked; the loop frees once.
    guarded((), || {
        drop(unsafe { Box::from_raw(opaque.cast::<HandleCallback>()) })
    })
}

unsafe extern "C" fn timeout_trampoline(timer: c_int, opaque: *mut c_void) {
    guarded((), || {
        // SAFETY: `opaque` is the boxed callback CImpl::add_timeout passed along,
        // alive until free_timeout; the loop runs one callback at a time.
        let cb = unsafe { &mut *opaque.cast::<TimeoutCallback>() };
        cb(timer);
    })
}

unsafe extern "C" fn free_timeout(opaque: *mut c_void) {
    // SAFETY: `opaque` is the box CImpl::add_timeout leaked; the loop frees once.
    guarded((), || {
        drop(unsafe { Box::from_raw(opaque.cast::<TimeoutCallback>()) })
    })
}

/// A C caller's `opaque` and free callback, owned by a Rust callback of the
/// default loop: dropping it calls `ff(opaque)`.
struct COpaque {
    opaque: *mut c_void,
    ff: virFreeCallback,
}

// SAFETY: libvirt's contract hands opaque data to the loop, which may run on
// any thread; the C caller is responsible for its thread-safety, as with libvirt.
unsafe impl Send for COpaque {}

impl COpaque {
    /// The caller's pointer (a method, so closures capture the whole owner).
    fn ptr(&self) -> *mut c_void {
        self.opaque
    }
}

impl Drop for COpaque {
    fn drop(&mut self) {
        if let Some(ff) = self.ff {
            // SAFETY: the caller gave us `ff` to release `opaque`, exactly once.
            unsafe { ff(self.opaque) }
        }
    }
}

/// The registered C implementation, whose functions get C callers' callbacks
/// unchanged (as libvirt passes them through).
fn c_impl(imp: &dyn EventImpl) -> Option<&CImpl> {
    imp.as_any().downcast_ref::<CImpl>()
}

/// Makes the application's functions the event loop (once; later calls are ignored).
///
/// # Safety
/// The functions must behave as libvirt-event.h describes, for the life of the process.
#[no_mangle]
pub unsafe extern "C" fn virEventRegisterImpl(
    addHandle: virEventAddHandleFunc,
    updateHandle: virEventUpdateHandleFunc,
    removeHandle: virEventRemoveHandleFunc,
    addTimeout: virEventAddTimeoutFunc,
    updateTimeout: virEventUpdateTimeoutFunc,
    removeTimeout: virEventRemoveTimeoutFunc,
) {
    guarded((), || {
        let all_null = addHandle.is_none()
            && updateHandle.is_none()
            && removeHandle.is_none()
            && addTimeout.is_none()
            && updateTimeout.is_none()
            && removeTimeout.is_none();
        // Registering nothing leaves the process without a loop, so a later
        // registration still takes effect (libvirt behaves the same way).
        if all_null || event::is_registered() {
            return;
        }
        // Registrations are permanent, so the table lives for the process.
        let imp: &'static CImpl = Box::leak(Box::new(CImpl {
            add_handle: addHandle,
            update_handle: updateHandle,
            remove_handle: removeHandle,
            add_timeout: addTimeout,
            update_timeout: updateTimeout,
            remove_timeout: removeTimeout,
        }));
        // Losing a race with another registration is ignored like a late one.
        let _ = event::register(imp);
    })
}

/// Makes the default loop the event loop unless one is registered; resets the last error.
///
/// # Safety
/// None beyond libvirt's: callable from any thread.
#[no_mangle]
pub unsafe extern "C" fn virEventRegisterDefaultImpl() -> c_int {
    entry(|_| event::register_default().map(|()| 0))
}

/// Runs one iteration of the default loop; resets the last error.
///
/// # Safety
/// Callbacks registered with the default loop run on the calling thread.
#[no_mangle]
pub unsafe extern "C" fn virEventRunDefaultImpl() -> c_int {
    entry(|_| event::run_default_once().map(|()| 0))
}

/// Watches `fd` through the registered loop; -1 (no error set) without one.
///
/// # Safety
/// `cb` and `ff` must be callable with `opaque` until `ff` has been called.
#[no_mangle]
pub unsafe extern "C" fn virEventAddHandle(
    fd: c_int,
    events: c_int,
    cb: virEventHandleCallback,
    opaque: *mut c_void,
    ff: virFreeCallback,
) -> c_int {
    guarded(-1, || {
        let Some(imp) = event::registered() else { return -1 };
        if let Some(c) = c_impl(imp) {
            // SAFETY: the application's own function, given its own arguments.
            return c
                .add_handle
                .map_or(-1, |add| unsafe { add(fd, events, cb, opaque, ff) });
        }
        let data = COpaque { opaque, ff };
        let call = move |watch: i32, fd: RawFd, got: Events| {
            // libvirt accepts a NULL callback (and crashes on dispatch); we skip it.
            if let Some(cb) = cb {
                // SAFETY: the caller's callback with the opaque it registered.
                unsafe { cb(watch, fd, got.bits(), data.ptr()) }
            }
        };
        imp.add_handle(fd, Events::from_bits(events), Box::new(call))
            .unwrap_or(-1)
    })
}

/// Changes a watch's events through the registered loop.
///
/// # Safety
/// None beyond libvirt's: callable from any thread.
#[no_mangle]
pub unsafe extern "C" fn virEventUpdateHandle(watch: c_int, events: c_int) {
    guarded((), || {
        let Some(imp) = event::registered() else { return };
        match c_impl(imp) {
            Some(c) => {
                if let Some(update) = c.update_handle {
                    // SAFETY: the application's own function.
                    unsafe { update(watch, events) }
                }
            }
            None => imp.update_handle(watch, Events::from_bits(events)),
        }
    })
}

/// Removes a watch through the registered loop; -1 (no error set) on failure.
///
/// # Safety
/// None beyond libvirt's: callable from any thread.
#[no_mangle]
pub unsafe extern "C" fn virEventRemoveHandle(watch: c_int) -> c_int {
    guarded(-1, || {
        let Some(imp) = event::registered() else { return -1 };
        match c_impl(imp) {
            // SAFETY: the application's own function; its result is passed on as is.
            Some(c) => c.remove_handle.map_or(-1, |remove| unsafe { remove(watch) }),
            None => status(imp.remove_handle(watch)),
        }
    })
}

/// Adds a timer through the registered loop; -1 (no error set) without one.
///
/// # Safety
/// `cb` and `ff` must be callable with `opaque` until `ff` has been called.
#[no_mangle]
pub unsafe extern "C" fn virEventAddTimeout(
    timeout: c_int,
    cb: virEventTimeoutCallback,
    opaque: *mut c_void,
    ff: virFreeCallback,
) -> c_int {
    guarded(-1, || {
        let Some(imp) = event::registered() else { return -1 };
        if let Some(c) = c_impl(imp) {
            // SAFETY: the application's own function, given its own arguments.
            return c
                .add_timeout
                .map_or(-1, |add| unsafe { add(timeout, cb, opaque, ff) });
        }
        let data = COpaque { opaque, ff };
        let call = move |timer: i32| {
            if let Some(cb) = cb {
                // SAFETY: the caller's callback with the opaque it registered.
                unsafe { cb(timer, data.ptr()) }
            }
        };
        imp.add_timeout(timeout, Box::new(call)).unwrap_or(-1)
    })
}

/// Changes a timer's interval through the registered loop.
///
/// # Safety
/// None beyond libvirt's: callable from any thread.
#[no_mangle]
pub unsafe extern "C" fn virEventUpdateTimeout(timer: c_int, timeout: c_int) {
    guarded((), || {
        let Some(imp) = event::registered() else { return };
        match c_impl(imp) {
            Some(c) => {
                if let Some(update) = c.update_timeout {
                    // SAFETY: the application's own function.
                    unsafe { update(timer, timeout) }
                }
            }
            None => imp.update_timeout(timer, timeout),
        }
    })
}

/// Removes a timer through the registered loop; -1 (no error set) on failure.
///
/// # Safety
/// None beyond libvirt's: callable from any thread.
#[no_mangle]
pub unsafe extern "C" fn virEventRemoveTimeout(timer: c_int) -> c_int {
    guarded(-1, || {
        let Some(imp) = event::registered() else { return -1 };
        match c_impl(imp) {
            // SAFETY: the application's own function; its result is passed on as is.
            Some(c) => c.remove_timeout.map_or(-1, |remove| unsafe { remove(timer) }),
            None => status(imp.remove_timeout(timer)),
        }
    })
}

fn status(ok: bool) -> c_int {
    if ok {
        0
    } else {
        -1
    }
}
