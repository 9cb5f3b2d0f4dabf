//! libvirt-event.h's exports with the default loop, as C callers use them.
//!
//! Registration is process-wide and permanent, so this file is one test that
//! walks through the states in order (each tests/*.rs runs in its own process).

use std::ffi::c_void;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;
use virt::abi::*;
use virt::error::Error;
use virt::event::{self, Events};
use virt::ffi::dispatch;
use virt::ffi::event::*;

static CALLS: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn calls() -> Vec<String> {
    std::mem::take(&mut *CALLS.lock())
}

unsafe extern "C" fn on_handle(watch: c_int, fd: c_int, events: c_int, opaque: *mut c_void) {
    let fd = if fd < 0 {
        "bad".to_string()
    } else {
        "fd".to_string()
    };
    CALLS
        .lock()
        .push(format!("handle w{watch} {fd} ev{events} o{}", opaque as usize));
}

unsafe extern "C" fn on_timeout(timer: c_int, opaque: *mut c_void) {
    CALLS
        .lock()
        .push(format!("timeout t{timer} o{}", opaque as usize));
}

unsafe extern "C" fn free_opaque(opaque: *mut c_void) {
    CALLS.lock().push(format!("free o{}", opaque as usize));
}

fn opaque(n: usize) -> *mut c_void {
    n as *mut c_void
}

fn preset_error() {
    dispatch::with_last(|l| l.set(&Error::internal(VIR_FROM_NONE, "preset")));
}

fn last_error_code() -> i32 {
    dispatch::with_last(|l| l.code()).unwrap_or(-1)
}

fn pipe() -> (OwnedFd, OwnedFd) {
    let mut fds = [0; 2];
    // SAFETY: pipe writes two descriptors into a live array of two ints.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    // SAFETY: both descriptors are fresh and owned by nobody else.
    unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
}

fn run() -> c_int {
    // SAFETY: plain call; our callbacks above are sound for any arguments.
    unsafe { virEventRunDefaultImpl() }
}

#[test]
fn default_loop_through_the_c_api() {
    // SAFETY (whole test): every callback passed is one of the extern "C" fns
    // above, and opaques are plain integers never dereferenced.
    unsafe {
        // No loop registered: -1 from add/remove, nothing from update, and the
        // last error is neither reset nor set.
        preset_error();
        assert!(!event::is_registered());
        assert_eq!(
            virEventAddHandle(0, 1, Some(on_handle), opaque(9), Some(free_opaque)),
            -1
        );
        assert_eq!(
            virEventAddTimeout(0, Some(on_timeout), opaque(9), Some(free_opaque)),
            -1
        );
        assert_eq!(virEventRemoveHandle(1), -1);
        assert_eq!(virEventRemoveTimeout(1), -1);
        virEventUpdateHandle(1, 1);
        virEventUpdateTimeout(1, 1);
        assert_eq!(last_error_code(), VIR_ERR_INTERNAL_ERROR);
        assert_eq!(event::add_timeout(0, |_| ()), None);
        assert!(calls().is_empty(), "a failed add does not call the free callback");

        // Registering resets the last error; a second time is harmless.
        assert_eq!(virEventRegisterDefaultImpl(), 0);
        assert_eq!(last_error_code(), VIR_ERR_OK);
        assert_eq!(virEventRegisterDefaultImpl(), 0);
        assert!(event::is_registered());

        // Ids count from 1, separately; bad fds and NULL callbacks are accepted.
        preset_error();
        let (r, w) = pipe();
        let fd = r.as_raw_fd();
        let rd = VIR_EVENT_HANDLE_READABLE;
        assert_eq!(
            virEventAddHandle(fd, rd, Some(on_handle), opaque(1), Some(free_opaque)),
            1
        );
        assert_eq!(
            virEventAddHandle(-1, rd, Some(on_handle), opaque(2), Some(free_opaque)),
            2
        );
        assert_eq!(virEventAddHandle(fd, rd, None, opaque(3), Some(free_opaque)), 3);
        assert_eq!(
            virEventAddTimeout(-1, Some(on_timeout), opaque(4), Some(free_opaque)),
            1
        );
        assert_eq!(virEventAddTimeout(0, Some(on_timeout), opaque(5), None), 2);
        assert_eq!(virEventAddTimeout(-1, None, opaque(6), Some(free_opaque)), 3);
        assert_eq!(
            last_error_code(),
            VIR_ERR_INTERNAL_ERROR,
            "add keeps the last error"
        );

        // One iteration: the ready handle, then the 0 ms timer, in the order
        // they were armed, with libvirt's argument order; the run resets the error.
        assert_eq!(libc::write(w.as_raw_fd(), b"x".as_ptr().cast(), 1), 1);
        assert_eq!(run(), 0);
        assert_eq!(calls(), ["handle w1 fd ev1 o1", "timeout t2 o5"]);
        assert_eq!(last_error_code(), VIR_ERR_OK);

        // Removal succeeds once; unknown and non-positive ids fail; the free
        // callback waits for the next iteration, which does nothing else.
        assert_eq!(virEventRemoveHandle(1), 0);
        assert_eq!(virEventRemoveHandle(1), -1);
        assert_eq!(virEventRemoveHandle(99), -1);
        assert_eq!(virEventRemoveHandle(0), -1);
        assert_eq!(virEventRemoveHandle(-1), -1);
        assert_eq!(virEventRemoveHandle(3), 0);
        assert!(calls().is_empty());
        assert_eq!(run(), 0);
        assert_eq!(calls(), ["free o1", "free o3"]);
        assert_eq!(run(), 0);
        assert_eq!(calls(), ["timeout t2 o5"]);

        // A removed timer's free callback needs an iteration with nothing ready.
        assert_eq!(virEventRemoveTimeout(1), 0);
        assert_eq!(virEventRemoveTimeout(1), -1);
        assert_eq!(run(), 0);
        assert_eq!(calls(), ["timeout t2 o5"]);
        virEventUpdateTimeout(2, -1);
        virEventUpdateTimeout(3, 0);
        virEventUpdateTimeout(99, 0);
        // The NULL-callback timer is "ready" (and skipped), so still no free.
        assert_eq!(run(), 0);
        assert!(calls().is_empty());
        assert_eq!(virEventRemoveTimeout(3), 0);
        assert_eq!(run(), 0);
        assert_eq!(calls(), ["free o4", "free o6"]);

        // Hangup is reported even to a handle that did not ask for it.
        drop(w);
        virEventUpdateHandle(2, 0);
        let h = virEventAddHandle(fd, VIR_EVENT_HANDLE_WRITABLE, Some(on_handle), opaque(7), None);
        assert_eq!(h, 4);
        assert_eq!(run(), 0);
        assert_eq!(calls(), ["handle w4 fd ev8 o7"]);
        assert_eq!(virEventRemoveHandle(4), 0);
        assert_eq!(run(), 0);

        // Another registration is ignored: the default loop stays in charge.
        virEventRegisterImpl(None, None, None, Some(fake_add_timeout), None, None);
        assert_eq!(virEventAddTimeout(-1, Some(on_timeout), opaque(8), None), 4);

        // The crate's own callbacks go to the same loop.
        let fired = Arc::new(AtomicUsize::new(0));
        let f = fired.clone();
        let t = event::add_timeout(0, move |_| {
            f.fetch_add(1, Ordering::SeqCst);
        });
        assert_eq!(t, Some(5));
        let w = event::add_handle(-1, Events::READABLE, |_, _, _| ());
        assert_eq!(w, Some(5));
        assert_eq!(run(), 0);
        assert_eq!(fired.load(Ordering::SeqCst), 1);
        assert!(event::remove_timeout(5));
        assert!(!event::remove_timeout(5));
        assert!(event::remove_handle(5));
        assert!(calls().is_empty());
        drop(r);
    }
}

unsafe extern "C" fn fake_add_timeout(
    _ms: c_int,
    _cb: virEventTimeoutCallback,
    _opaque: *mut c_void,
    _ff: virFreeCallback,
) -> c_int {
    CALLS.lock().push("fake add timeout".to_string());
    99
}
