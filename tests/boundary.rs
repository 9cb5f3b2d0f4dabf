//! The C boundary under abuse: panics, stale and foreign handles, bad
//! strings, and many threads.  The exports are called through their C names,
//! as a C program would.

use std::ffi::{c_char, c_int, c_void, CStr};
use std::ptr;

use virt::abi::*;

extern "C" {
    fn virConnectOpen(name: *const c_char) -> *mut c_void;
    fn virConnectClose(conn: *mut c_void) -> c_int;
    fn virConnectRef(conn: *mut c_void) -> c_int;
    fn virConnectGetType(conn: *mut c_void) -> *const c_char;
    fn virConnectGetURI(conn: *mut c_void) -> *mut c_char;
    fn virConnectGetMaxVcpus(conn: *mut c_void, kind: *const c_char) -> c_int;
    fn virGetLastErrorCode() -> c_int;
    fn virGetLastErrorDomain() -> c_int;
    fn virGetLastErrorMessage() -> *const c_char;
    fn virSetErrorFunc(data: *mut c_void, f: virErrorFunc);
}

unsafe extern "C" fn quiet(_: *mut c_void, _: virErrorPtr) {}

fn silence() {
    // SAFETY: a valid callback for the library's error reports.
    unsafe { virSetErrorFunc(ptr::null_mut(), Some(quiet)) };
}

fn last() -> (c_int, c_int, String) {
    // SAFETY: plain accessors of this thread's last error.
    unsafe {
        (
            virGetLastErrorCode(),
            virGetLastErrorDomain(),
            CStr::from_ptr(virGetLastErrorMessage())
                .to_string_lossy()
                .into_owned(),
        )
    }
}

fn open(uri: &CStr) -> *mut c_void {
    // SAFETY: a valid C string.
    unsafe { virConnectOpen(uri.as_ptr()) }
}

#[test]
fn a_panic_becomes_an_internal_error() {
    silence();
    let r: c_int = virt::ffi::boundary::entry(|_| -> virt::Result<c_int> { panic!("boom") });
    assert_eq!(r, -1);
    let (code, domain, message) = last();
    assert_eq!((code, domain), (VIR_ERR_INTERNAL_ERROR, VIR_FROM_NONE));
    assert!(message.contains("boom"), "{message}");
    let p: *mut c_char = virt::ffi::boundary::entry(|_| -> virt::Result<*mut c_char> { panic!("again") });
    assert!(p.is_null());
}

#[test]
fn stale_and_foreign_handles_are_invalid_not_crashes() {
    silence();
    let conn = open(c"test:///default");
    assert!(!conn.is_null());
    // SAFETY: conn is live here.
    assert_eq!(unsafe { virConnectClose(conn) }, 0);
    // SAFETY: the library must validate handles itself.
    unsafe {
        assert!(virConnectGetType(conn).is_null());
        assert_eq!(last().0, VIR_ERR_INVALID_CONN);
        assert_eq!(virConnectClose(conn), -1);
        assert_eq!(virConnectRef(conn), -1);
        let mut junk = [0u8; 64];
        let foreign = junk.as_mut_ptr().cast();
        assert!(virConnectGetURI(foreign).is_null());
        let (code, domain, message) = last();
        assert_eq!((code, domain), (VIR_ERR_INVALID_CONN, VIR_FROM_DOMAIN));
        assert_eq!(message, "invalid connection pointer in virConnectGetURI");
    }
}

#[test]
fn references_keep_a_connection_open() {
    let conn = open(c"test:///default");
    // SAFETY: conn is live until the last close.
    unsafe {
        assert_eq!(virConnectRef(conn), 0);
        assert_eq!(virConnectClose(conn), 1);
        assert!(!virConnectGetType(conn).is_null());
        assert_eq!(virConnectClose(conn), 0);
    }
}

#[test]
fn malformed_uris_are_rejected_cleanly() {
    silence();
    for bad in [&b"test:///\xff\xfe\0"[..], b"\xc3\x28://x\0", b"%\0", b"[\0"] {
        let uri = CStr::from_bytes_with_nul(bad).unwrap();
        assert!(open(uri).is_null());
        let (code, domain, message) = last();
        assert_eq!(
            (code, domain),
            (VIR_ERR_INTERNAL_ERROR, VIR_FROM_URI),
            "{message}"
        );
        assert!(
            message.starts_with("internal error: Unable to parse URI"),
            "{message}"
        );
    }
}

#[test]
fn many_threads_share_connections_and_keep_their_own_errors() {
    silence();
    let shared = open(c"test:///default") as usize;
    let threads: Vec<_> = (0..8)
        .map(|i| {
            std::thread::spawn(move || {
                for _ in 0..200 {
                    let own = open(c"test:///default");
                    assert!(!own.is_null());
                    // SAFETY: handles stay live until closed below; the shared
                    // one outlives the threads.
                    unsafe {
                        assert_eq!(
                            CStr::from_ptr(virConnectGetType(shared as *mut c_void)).to_bytes(),
                            b"TEST"
                        );
                        assert_eq!(virConnectGetMaxVcpus(own, ptr::null()), 32);
                        let uri = virConnectGetURI(own);
                        assert_eq!(CStr::from_ptr(uri).to_bytes(), b"test:///default");
                        libc::free(uri.cast());
                        assert_eq!(virConnectClose(own), 0);
                    }
                    if i % 2 == 0 {
                        // This thread's failure must not show in the others.
                        assert!(open(c"test:///").is_null());
                        assert_eq!(last().0, VIR_ERR_INVALID_ARG);
                    } else {
                        assert_eq!(last().0, VIR_ERR_OK);
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    // SAFETY: the shared handle is still live.
    assert_eq!(unsafe { virConnectClose(shared as *mut c_void) }, 0);
}
