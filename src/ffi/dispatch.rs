//! Where errors go: the thread's last error, the connection's last error, and
//! the error callbacks (or libvirt's default printer), kept as libvirt keeps them.

use std::cell::RefCell;
use std::ffi::CStr;
use std::io::Write;

use parking_lot::Mutex;

use crate::abi::*;
use crate::error::{domain_name, Error};
use crate::ffi::cstr::{free_c, malloc_copy, malloc_str};
use crate::ffi::handle::ConnHandle;

/// A `virError` whose strings are `malloc`ed, so that callers can release
/// copies with `virResetError` exactly as with libvirt's.
pub struct CError {
    raw: Box<virError>,
}

// SAFETY: the raw pointers in a CError are owned strings (never shared); the
// deprecated conn/dom/net fields are always NULL.
unsafe impl Send for CError {}

impl Default for CError {
    fn default() -> Self {
        CError {
            raw: Box::new(zeroed_error()),
        }
    }
}

impl Drop for CError {
    fn drop(&mut self) {
        self.clear();
    }
}

impl CError {
    /// Replaces the content with `err`.
    pub fn set(&mut self, err: &Error) {
        self.clear();
        let r = &mut *self.raw;
        r.code = err.code;
        r.domain = err.domain;
        r.level = err.level;
        r.message = malloc_str(&err.message);
        r.str1 = err.str1.as_deref().map_or(std::ptr::null_mut(), malloc_str);
        r.str2 = err.str2.as_deref().map_or(std::ptr::null_mut(), malloc_str);
        r.str3 = err.str3.as_deref().map_or(std::ptr::null_mut(), malloc_str);
        r.int1 = err.int1;
        r.int2 = err.int2;
    }

    /// Frees the strings and zeroes every field (`virResetError`).
    pub fn clear(&mut self) {
        // SAFETY: our own struct, its strings allocated by malloc_str.
        unsafe { reset_raw(&mut *self.raw) };
    }

    /// The error number (0 when none is stored).
    pub fn code(&self) -> i32 {
        self.raw.code
    }

    /// The stored struct, at an address stable for the life of this value.
    pub fn as_ptr(&mut self) -> *mut virError {
        &mut *self.raw
    }

    /// Deep-copies into a caller's struct without freeing what it held, as
    /// libvirt's copy does; a `code` of 0 zeroes it instead.
    ///
    /// # Safety
    /// `to` must point to writable memory for a `virError`.
    pub unsafe fn copy_to(&self, to: *mut virError) -> i32 {
        // SAFETY: the caller guarantees `to` is writable.
        unsafe { copy_raw(&self.raw, to) }
    }
}

/// A `virError` with every field zero / NULL.
pub fn zeroed_error() -> virError {
    // SAFETY: virError is plain old data (ints and pointers); all-zero is its
    // "no error" value.
    unsafe { std::mem::zeroed() }
}

/// Frees the strings of a caller-owned `virError` and zeroes it.
///
/// # Safety
/// `err` must be valid and its strings allocated with malloc (or NULL).
pub unsafe fn reset_raw(err: *mut virError) {
    // SAFETY: guaranteed by the caller.
    let e = unsafe { &mut *err };
    for s in [e.message, e.str1, e.str2, e.str3] {
        free_c(s);
    }
    *e = zeroed_error();
}

/// Copies `from` into `to` (fresh string copies), or zeroes `to` when `from`
/// holds no error; returns the copied code.
///
/// # Safety
/// `to` must be writable memory for a `virError`.
pub unsafe fn copy_raw(from: &virError, to: *mut virError) -> i32 {
    let mut out = zeroed_error();
    if from.code != VIR_ERR_OK {
        out.code = from.code;
        out.domain = from.domain;
        out.level = from.level;
        out.int1 = from.int1;
        out.int2 = from.int2;
        for (dst, src) in [
            (&mut out.message, from.message),
            (&mut out.str1, from.str1),
            (&mut out.str2, from.str2),
            (&mut out.str3, from.str3),
        ] {
            if !src.is_null() {
                // SAFETY: our strings are NUL-terminated.
                *dst = malloc_copy(unsafe { CStr::from_ptr(src) });
            }
        }
    }
    // SAFETY: guaranteed by the caller.
    unsafe { to.write(out) };
    from.code
}

thread_local! {
    static LAST: RefCell<CError> = RefCell::new(CError::default());
}

/// The process-wide error callback of `virSetErrorFunc`.
struct Handler {
    func: virErrorFunc,
    data: usize,
}

static GLOBAL_HANDLER: Mutex<Handler> = Mutex::new(Handler { func: None, data: 0 });

/// Clears the thread's last error, as every public call does first.
pub fn reset_last_error() {
    let _ = LAST.try_with(|l| {
        if let Ok(mut l) = l.try_borrow_mut() {
            // Every call starts here; most find nothing to clear.
            if l.code() != VIR_ERR_OK {
                l.clear();
            }
        }
    });
}

/// The thread's last error, or NULL when there is none.
pub fn last_error_ptr() -> *mut virError {
    LAST.try_with(|l| match l.try_borrow_mut() {
        Ok(mut l) if l.code() != VIR_ERR_OK => l.as_ptr(),
        _ => std::ptr::null_mut(),
    })
    .unwrap_or(std::ptr::null_mut())
}

/// Runs `f` on the thread's last-error storage.
pub fn with_last<R>(f: impl FnOnce(&mut CError) -> R) -> Option<R> {
    LAST.try_with(|l| l.try_borrow_mut().ok().map(|mut l| f(&mut l)))
        .ok()
        .flatten()
}

/// Sets the process-wide error callback (`virSetErrorFunc`).
pub fn set_global_handler(func: virErrorFunc, data: *mut c_void) {
    *GLOBAL_HANDLER.lock() = Handler {
        func,
        data: data as usize,
    };
}

/// Records a failure: thread's last error, connection's last error, then the
/// connection's callback, else the global one, else libvirt's default printer.
pub fn raise(err: Error, conn: Option<&ConnHandle>) {
    let Some(ptr) = with_last(|l| {
        l.set(&err);
        l.as_ptr()
    }) else {
        return;
    };
    let mut handler = {
        let g = GLOBAL_HANDLER.lock();
        (g.func, g.data)
    };
    if let Some(conn) = conn {
        conn.record_error(&err);
        if let (Some(f), data) = conn.error_handler() {
            handler = (Some(f), data);
        }
    }
    match handler {
        // SAFETY: the caller registered this callback for exactly this use; the
        // error pointer stays valid for the call (thread-local storage).
        (Some(f), data) => unsafe { f(data as *mut c_void, ptr) },
        (None, _) => print_default(&err),
    }
}

/// libvirt's default error printer: "libvirt: DOMAIN LEVEL : MESSAGE".
pub fn print_default(err: &Error) {
    let level = match err.level {
        VIR_ERR_WARNING => "warning",
        VIR_ERR_ERROR => "error",
        _ => "",
    };
    let line = format!(
        "libvirt: {} {} : {}\n",
        domain_name(err.domain),
        level,
        err.message
    );
    let _ = std::io::stderr().write_all(line.as_bytes());
}

/// Reads a C `virError` back into an [`Error`] (for the default printer).
///
/// # Safety
/// `e` must be a valid `virError` with NUL-terminated strings or NULLs.
pub unsafe fn from_raw(e: &virError) -> Error {
    let s = |p: *mut c_char| {
        // SAFETY: guaranteed by the caller.
        (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
    };
    Error {
        code: e.code,
        domain: e.domain,
        level: e.level,
        message: s(e.message).unwrap_or_default(),
        str1: s(e.str1),
        str2: s(e.str2),
        str3: s(e.str3),
        int1: e.int1,
        int2: e.int2,
    }
}
