//! Checked conversions between C strings and Rust strings.  Strings handed to
//! the caller are `malloc`ed: libvirt's callers release them with `free()`.

use std::ffi::CStr;

use crate::abi::*;
use crate::error::{Error, Result};

/// Copies `s` into a new `malloc`ed C string (cut at an interior NUL, which a
/// C string cannot carry).  NULL only when memory is exhausted.
pub fn malloc_str(s: &str) -> *mut c_char {
    let bytes = s.as_bytes();
    let len = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    malloc_bytes(&bytes[..len])
}

/// Copies a C string into a new `malloc`ed one.
pub fn malloc_copy(s: &CStr) -> *mut c_char {
    malloc_bytes(s.to_bytes())
}

fn malloc_bytes(bytes: &[u8]) -> *mut c_char {
    // SAFETY: we allocate len + 1 bytes and write exactly that many.
    unsafe {
        let p = libc::malloc(bytes.len() + 1) as *mut u8;
        if p.is_null() {
            return std::ptr::null_mut();
        }
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), p, bytes.len());
        *p.add(bytes.len()) = 0;
        p.cast()
    }
}

/// Frees a string made by [`malloc_str`] (NULL is fine).
pub fn free_c(p: *mut c_char) {
    // SAFETY: p is NULL or came from malloc.
    unsafe { libc::free(p.cast()) }
}

/// A required C string argument as UTF-8 (NULL → libvirt's "ARG in FUNC must not be NULL").
///
/// # Safety
/// `p` must be NULL or a NUL-terminated string that outlives `'a`.
pub unsafe fn req<'a>(p: *const c_char, from: i32, func: &str, arg: &str) -> Result<&'a str> {
    // SAFETY: guaranteed by the caller.
    unsafe { opt(p, from, func, arg) }?.ok_or_else(|| Error::null_arg(from, func, arg))
}

/// An optional C string argument as UTF-8.
///
/// # Safety
/// `p` must be NULL or a NUL-terminated string that outlives `'a`.
pub unsafe fn opt<'a>(p: *const c_char, from: i32, func: &str, arg: &str) -> Result<Option<&'a str>> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: guaranteed by the caller.
    let s = unsafe { CStr::from_ptr(p) };
    s.to_str()
        .map(Some)
        .map_err(|_| Error::invalid_arg(from, format!("{arg} in {func} is not valid UTF-8")))
}

/// Writes `value` through a required out-pointer.
///
/// # Safety
/// `p` must be NULL or valid for writing a `T`.
pub unsafe fn put<T>(p: *mut T, value: T, from: i32, func: &str, arg: &str) -> Result<()> {
    if p.is_null() {
        return Err(Error::null_arg(from, func, arg));
    }
    // SAFETY: non-NULL and, by the caller's guarantee, writable.
    unsafe { p.write(value) };
    Ok(())
}

/// Copies `s` into a fixed C char array, NUL-terminated, truncating if needed.
pub fn fill(dst: &mut [c_char], s: &str) {
    let n = s.len().min(dst.len().saturating_sub(1));
    for (d, b) in dst.iter_mut().zip(s.as_bytes()[..n].iter()) {
        *d = *b as c_char;
    }
    if let Some(end) = dst.get_mut(n) {
        *end = 0;
    }
}
