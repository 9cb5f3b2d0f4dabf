//! `virterror.h`: the error API.  The last error is per thread, and each
//! connection keeps its own copy; see [`crate::ffi::dispatch`].
#![allow(non_snake_case)]

use crate::abi::*;
use crate::ffi::boundary::guarded;
use crate::ffi::dispatch::{self, copy_raw, from_raw, reset_raw, with_last, zeroed_error};
use crate::ffi::handle::CONNECTIONS;

/// The thread's last error, or NULL when the last call succeeded.
#[no_mangle]
pub extern "C" fn virGetLastError() -> virErrorPtr {
    guarded(std::ptr::null_mut(), dispatch::last_error_ptr)
}

/// The last error's message, "no error" when there is none.
#[no_mangle]
pub extern "C" fn virGetLastErrorMessage() -> *const c_char {
    guarded(c"unknown error".as_ptr(), || {
        let err = dispatch::last_error_ptr();
        if err.is_null() {
            return c"no error".as_ptr();
        }
        // SAFETY: a non-NULL pointer from last_error_ptr is this thread's live error.
        let message = unsafe { (*err).message };
        if message.is_null() {
            c"unknown error".as_ptr()
        } else {
            message
        }
    })
}

/// The last error's number (`VIR_ERR_OK` when there is none).
#[no_mangle]
pub extern "C" fn virGetLastErrorCode() -> c_int {
    guarded(VIR_ERR_OK, || with_last(|l| l.code()).unwrap_or(VIR_ERR_OK))
}

/// The last error's domain (`VIR_FROM_NONE` when there is none).
#[no_mangle]
pub extern "C" fn virGetLastErrorDomain() -> c_int {
    guarded(VIR_FROM_NONE, || {
        let err = dispatch::last_error_ptr();
        // SAFETY: a non-NULL pointer from last_error_ptr is this thread's live error.
        if err.is_null() {
            VIR_FROM_NONE
        } else {
            unsafe { (*err).domain }
        }
    })
}

/// Forgets the thread's last error.
#[no_mangle]
pub extern "C" fn virResetLastError() {
    guarded((), dispatch::reset_last_error)
}

/// Copies the last error into `to` (zeroing it when there is none); returns its code.
///
/// # Safety
/// `to` must be NULL or point to writable memory for a `virError`.
#[no_mangle]
pub unsafe extern "C" fn virCopyLastError(to: virErrorPtr) -> c_int {
    if to.is_null() {
        return -1;
    }
    guarded(-1, || {
        let err = dispatch::last_error_ptr();
        if err.is_null() {
            // SAFETY: `to` is writable (caller's contract).
            unsafe { to.write(zeroed_error()) };
            return VIR_ERR_OK;
        }
        // SAFETY: `err` is this thread's live error; `to` is writable.
        unsafe { copy_raw(&*err, to) }
    })
}

/// A heap copy of the last error (code 0 when there is none), for `virFreeError`.
#[no_mangle]
pub extern "C" fn virSaveLastError() -> virErrorPtr {
    guarded(std::ptr::null_mut(), || {
        // SAFETY: calloc'ed so virFreeError can release it with free().
        let copy = unsafe { libc::calloc(1, std::mem::size_of::<virError>()) } as virErrorPtr;
        if copy.is_null() {
            return copy;
        }
        let err = dispatch::last_error_ptr();
        if !err.is_null() {
            // SAFETY: `err` is this thread's live error; `copy` was just allocated.
            unsafe { copy_raw(&*err, copy) };
        }
        copy
    })
}

/// Releases a `virSaveLastError` copy.
///
/// # Safety
/// `err` must be NULL or come from `virSaveLastError`.
#[no_mangle]
pub unsafe extern "C" fn virFreeError(err: virErrorPtr) {
    if err.is_null() {
        return;
    }
    guarded((), || {
        // SAFETY: allocated by virSaveLastError with calloc, strings with malloc.
        unsafe {
            reset_raw(err);
            libc::free(err.cast());
        }
    })
}

/// Frees the strings of an error filled by a copy call and zeroes it.
///
/// # Safety
/// `err` must be NULL or a `virError` whose strings came from this library.
#[no_mangle]
pub unsafe extern "C" fn virResetError(err: virErrorPtr) {
    if err.is_null() {
        return;
    }
    // SAFETY: the caller's contract.
    guarded((), || unsafe { reset_raw(err) })
}

/// Sets the callback that receives every error (NULL restores the default printer).
#[no_mangle]
pub extern "C" fn virSetErrorFunc(userData: *mut c_void, handler: virErrorFunc) {
    guarded((), || dispatch::set_global_handler(handler, userData))
}

/// Prints an error as libvirt's default handler does ("libvirt: DOMAIN error : MESSAGE").
///
/// # Safety
/// `err` must be NULL or a valid `virError`.
#[no_mangle]
pub unsafe extern "C" fn virDefaultErrorFunc(err: virErrorPtr) {
    if err.is_null() {
        return;
    }
    // SAFETY: the caller's contract.
    guarded((), || dispatch::print_default(&unsafe { from_raw(&*err) }))
}

/// The connection's last error: a pointer into the connection, never NULL for
/// a valid connection (its code is 0 when there was none).
///
/// # Safety
/// `conn` may be anything; unknown pointers give NULL.
#[no_mangle]
pub unsafe extern "C" fn virConnGetLastError(conn: virConnectPtr) -> virErrorPtr {
    guarded(std::ptr::null_mut(), || match CONNECTIONS.get(conn.cast()) {
        Some(c) => c.with_error(|e| e.as_ptr()),
        None => std::ptr::null_mut(),
    })
}

/// Copies the connection's last error into `to`; returns its code.
///
/// # Safety
/// `to` must be NULL or writable memory for a `virError`.
#[no_mangle]
pub unsafe extern "C" fn virConnCopyLastError(conn: virConnectPtr, to: virErrorPtr) -> c_int {
    if to.is_null() {
        return -1;
    }
    guarded(-1, || match CONNECTIONS.get(conn.cast()) {
        // SAFETY: `to` is writable (caller's contract).
        Some(c) => c.with_error(|e| unsafe { e.copy_to(to) }),
        None => -1,
    })
}

/// Forgets the connection's last error.
///
/// # Safety
/// `conn` may be anything; unknown pointers are ignored.
#[no_mangle]
pub unsafe extern "C" fn virConnResetLastError(conn: virConnectPtr) {
    guarded((), || {
        if let Some(c) = CONNECTIONS.get(conn.cast()) {
            c.with_error(|e| e.clear());
        }
    })
}

/// Sets the connection's own error callback (NULL falls back to the global one).
///
/// # Safety
/// `conn` may be anything; unknown pointers are ignored.
#[no_mangle]
pub unsafe extern "C" fn virConnSetErrorFunc(
    conn: virConnectPtr,
    userData: *mut c_void,
    handler: virErrorFunc,
) {
    guarded((), || {
        if let Some(c) = CONNECTIONS.get(conn.cast()) {
            c.set_error_handler(handler, userData);
        }
    })
}
