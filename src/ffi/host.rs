//! `libvirt-host.h`: the library, connections and host information.
#![allow(non_snake_case, non_upper_case_globals)]

use std::ffi::CString;
use std::sync::Arc;

use crate::abi::*;
use crate::auth::{Credential, Prompter};
use crate::connect::Connection;
use crate::error::{Error, Result};
use crate::ffi::boundary::{self, entry, Failure};
use crate::ffi::cstr::{self, malloc_str};
use crate::ffi::handle::{ConnHandle, Released, CONNECTIONS};

/// Error domain of the functions of libvirt-host.h.
const FROM: i32 = VIR_FROM_DOMAIN;

/// Initializes the library; nothing to do, kept for libvirt's callers.
#[no_mangle]
pub extern "C" fn virInitialize() -> c_int {
    entry(|_| Ok(0))
}

/// The library version, and (ignoring `type`) the same for the hypervisor type.
///
/// # Safety
/// Out-pointers must be NULL or writable; `type_` NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn virGetVersion(
    libVer: *mut c_ulong,
    type_: *const c_char,
    typeVer: *mut c_ulong,
) -> c_int {
    let _ = type_;
    entry(|_| {
        if libVer.is_null() {
            // libvirt fails here without saying why.
            return Err(Error::unknown_cause());
        }
        // SAFETY: non-NULL out-pointers are writable by the caller's contract.
        unsafe {
            libVer.write(crate::LIB_VERSION);
            if !typeVer.is_null() {
                typeVer.write(crate::LIB_VERSION);
            }
        }
        Ok(0)
    })
}

/// The caller's `virConnectAuth`, as a [`Prompter`].
struct CAuth(virConnectAuthPtr);

impl Prompter for CAuth {
    fn credential_types(&self) -> Vec<i32> {
        // SAFETY: the caller passed a valid virConnectAuth for the duration of the open.
        let auth = unsafe { &*self.0 };
        if auth.credtype.is_null() {
            return Vec::new();
        }
        // SAFETY: credtype holds ncredtype ints.
        unsafe { std::slice::from_raw_parts(auth.credtype, auth.ncredtype as usize) }.to_vec()
    }

    fn ask(&self, creds: &mut [Credential]) -> bool {
        // SAFETY: as above.
        let auth = unsafe { &*self.0 };
        let Some(cb) = auth.cb else { return false };
        let texts: Vec<[Option<CString>; 3]> = creds
            .iter()
            .map(|c| {
                [
                    CString::new(c.prompt.clone()).ok(),
                    c.challenge.clone().and_then(|s| CString::new(s).ok()),
                    c.default.clone().and_then(|s| CString::new(s).ok()),
                ]
            })
            .collect();
        let ptr = |s: &Option<CString>| s.as_ref().map_or(std::ptr::null(), |s| s.as_ptr());
        let mut raw: Vec<virConnectCredential> = creds
            .iter()
            .zip(&texts)
            .map(|(c, t)| virConnectCredential {
                r#type: c.kind,
                prompt: ptr(&t[0]),
                challenge: ptr(&t[1]),
                defresult: ptr(&t[2]),
                result: std::ptr::null_mut(),
                resultlen: 0,
            })
            .collect();
        // SAFETY: the array and its strings live across the call; the callback
        // fills `result` with strings it allocated, which we take and free.
        let rc = unsafe { cb(raw.as_mut_ptr(), raw.len() as c_uint, auth.cbdata) };
        for (c, r) in creds.iter_mut().zip(&raw) {
            if !r.result.is_null() {
                // SAFETY: the callback's result is a NUL-terminated string it
                // allocated; like libvirt we read it as such (not all callers
                // set resultlen) and free it.
                c.result = Some(
                    unsafe { std::ffi::CStr::from_ptr(r.result) }
                        .to_string_lossy()
                        .into_owned(),
                );
                cstr::free_c(r.result);
            }
        }
        rc >= 0
    }
}

/// Opens a connection and registers its handle.
///
/// # Safety
/// `name` NULL or a C string; `auth` NULL or a valid virConnectAuth.
unsafe fn open(name: *const c_char, auth: virConnectAuthPtr, flags: c_uint) -> virConnectPtr {
    entry(|_| {
        // Bytes that are not UTF-8 cannot be in a URI; lossy conversion lets
        // the URI parser reject them with libvirt's "Unable to parse URI".
        // SAFETY: the caller's contract.
        let name = (!name.is_null()).then(|| unsafe { std::ffi::CStr::from_ptr(name) }.to_string_lossy());
        let prompter = (!auth.is_null()).then_some(CAuth(auth));
        let conn = Connection::open(
            name.as_deref(),
            prompter.as_ref().map(|p| p as &dyn Prompter),
            flags,
        )?;
        Ok(CONNECTIONS.insert(Arc::new(ConnHandle::new(conn))) as virConnectPtr)
    })
}

/// Opens a connection to `name` (NULL: the default URI).
///
/// # Safety
/// `name` must be NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn virConnectOpen(name: *const c_char) -> virConnectPtr {
    // SAFETY: forwarded contract.
    unsafe { open(name, std::ptr::null_mut(), 0) }
}

/// Opens a read-only connection to `name`.
///
/// # Safety
/// `name` must be NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn virConnectOpenReadOnly(name: *const c_char) -> virConnectPtr {
    // SAFETY: forwarded contract.
    unsafe { open(name, std::ptr::null_mut(), VIR_CONNECT_RO) }
}

/// Opens a connection, asking `auth` for any credentials the driver needs.
///
/// # Safety
/// `name` NULL or a C string; `auth` NULL or a valid virConnectAuth.
#[no_mangle]
pub unsafe extern "C" fn virConnectOpenAuth(
    name: *const c_char,
    auth: virConnectAuthPtr,
    flags: c_uint,
) -> virConnectPtr {
    // SAFETY: forwarded contract.
    unsafe { open(name, auth, flags) }
}

/// Drops a reference: 1 while others remain, 0 when the connection closed.
#[no_mangle]
pub extern "C" fn virConnectClose(conn: virConnectPtr) -> c_int {
    entry(|_| match CONNECTIONS.release(conn.cast()) {
        Some(Released::Remaining) => Ok(1),
        Some(Released::Last(_)) => {
            drop_close_callbacks(|(k, _, _)| *k == conn as usize);
            Ok(0)
        }
        None => Err(Error::with(
            VIR_FROM_NONE,
            VIR_ERR_INVALID_CONN,
            "virConnectClose",
        )),
    })
}

/// Adds a reference, released by another `virConnectClose`.
#[no_mangle]
pub extern "C" fn virConnectRef(conn: virConnectPtr) -> c_int {
    entry(|_| match CONNECTIONS.retain(conn.cast()) {
        true => Ok(0),
        false => Err(Error::with(FROM, VIR_ERR_INVALID_CONN, "virConnectRef")),
    })
}

/// `boundary::with_conn` in this header's error domain.
fn with_conn<R: Failure>(
    conn: virConnectPtr,
    func: &str,
    f: impl FnOnce(&Arc<ConnHandle>) -> Result<R>,
) -> R {
    boundary::with_conn(conn, func, FROM, f)
}

/// The hypervisor type ("TEST", "ESX", ...); the string belongs to the connection.
#[no_mangle]
pub extern "C" fn virConnectGetType(conn: virConnectPtr) -> *const c_char {
    with_conn(conn, "virConnectGetType", |c| {
        let kind = c
            .type_name
            .get_or_init(|| CString::new(c.conn.driver().kind()).unwrap_or_default());
        Ok(kind.as_ptr())
    })
}

/// The hypervisor version.
///
/// # Safety
/// `hvVer` must be NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn virConnectGetVersion(conn: virConnectPtr, hvVer: *mut c_ulong) -> c_int {
    with_conn(conn, "virConnectGetVersion", |c| {
        if hvVer.is_null() {
            return Err(Error::null_arg(FROM, "virConnectGetVersion", "hvVer"));
        }
        let v = c.conn.driver().version()?;
        // SAFETY: checked non-NULL; writable by the caller's contract.
        unsafe { cstr::put(hvVer, v as c_ulong, FROM, "virConnectGetVersion", "hvVer") }?;
        Ok(0)
    })
}

/// The library version the connection runs on.
///
/// # Safety
/// `libVer` must be NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn virConnectGetLibVersion(conn: virConnectPtr, libVer: *mut c_ulong) -> c_int {
    with_conn(conn, "virConnectGetLibVersion", |c| {
        let v = c.conn.driver().lib_version()?;
        // SAFETY: writable when non-NULL by the caller's contract.
        unsafe { cstr::put(libVer, v as c_ulong, FROM, "virConnectGetLibVersion", "libVer") }?;
        Ok(0)
    })
}

/// The host's name (the caller frees it).
#[no_mangle]
pub extern "C" fn virConnectGetHostname(conn: virConnectPtr) -> *mut c_char {
    with_conn(conn, "virConnectGetHostname", |c| {
        Ok(malloc_str(&c.conn.driver().hostname()?))
    })
}

/// The connection's URI (the caller frees it).
#[no_mangle]
pub extern "C" fn virConnectGetURI(conn: virConnectPtr) -> *mut c_char {
    with_conn(conn, "virConnectGetURI", |c| Ok(malloc_str(c.conn.uri())))
}

/// The capabilities XML (the caller frees it).
#[no_mangle]
pub extern "C" fn virConnectGetCapabilities(conn: virConnectPtr) -> *mut c_char {
    with_conn(conn, "virConnectGetCapabilities", |c| {
        Ok(malloc_str(&c.conn.driver().capabilities()?))
    })
}

/// The most vCPUs a guest of `type_` may have.
///
/// # Safety
/// `type_` must be NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn virConnectGetMaxVcpus(conn: virConnectPtr, type_: *const c_char) -> c_int {
    with_conn(conn, "virConnectGetMaxVcpus", |c| {
        // SAFETY: the caller's contract.
        let kind = unsafe { cstr::opt(type_, FROM, "virConnectGetMaxVcpus", "type") }?;
        c.conn.driver().max_vcpus(kind)
    })
}

/// Free memory of up to `maxCells` NUMA cells from `startCell` on, into
/// `freeMems`; the number of cells written.
///
/// # Safety
/// `freeMems` must be NULL or have room for `maxCells` values.
#[no_mangle]
pub unsafe extern "C" fn virNodeGetCellsFreeMemory(
    conn: virConnectPtr,
    freeMems: *mut c_ulonglong,
    startCell: c_int,
    maxCells: c_int,
) -> c_int {
    const F: &str = "virNodeGetCellsFreeMemory";
    with_conn(conn, F, |c| {
        // libvirt's order of checks.
        if maxCells <= 0 {
            return Err(Error::arg_check(
                FROM,
                format!("maxCells in {F} must be greater than zero"),
                F,
                "maxCells",
            ));
        }
        if freeMems.is_null() {
            return Err(Error::null_arg(FROM, F, "freeMems"));
        }
        if startCell < 0 {
            return Err(Error::arg_check(
                FROM,
                format!("startCell in {F} must be zero or greater"),
                F,
                "startCell",
            ));
        }
        let cells = c
            .conn
            .driver()
            .node_get_cells_free_memory(startCell as usize, maxCells as usize)?;
        let n = cells.len().min(maxCells as usize);
        // SAFETY: non-NULL and, by the caller's contract, room for maxCells values.
        unsafe { std::ptr::copy_nonoverlapping(cells.as_ptr(), freeMems, n) };
        Ok(n as c_int)
    })
}

/// The host's free memory (0 on failure, as libvirt).
#[no_mangle]
pub extern "C" fn virNodeGetFreeMemory(conn: virConnectPtr) -> c_ulonglong {
    with_conn(conn, "virNodeGetFreeMemory", |c| {
        c.conn.driver().node_get_free_memory()
    })
}

/// Fills `info` with the host's CPU and memory summary.
///
/// # Safety
/// `info` must be NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn virNodeGetInfo(conn: virConnectPtr, info: virNodeInfoPtr) -> c_int {
    with_conn(conn, "virNodeGetInfo", |c| {
        if info.is_null() {
            return Err(Error::null_arg(FROM, "virNodeGetInfo", "info"));
        }
        let n = c.conn.driver().node_info()?;
        // SAFETY: a zeroed virNodeInfo is valid (numbers and a char array).
        let mut out: virNodeInfo = unsafe { std::mem::zeroed() };
        cstr::fill(&mut out.model, &n.model);
        out.memory = n.memory as c_ulong;
        out.cpus = n.cpus;
        out.mhz = n.mhz;
        out.nodes = n.nodes;
        out.sockets = n.sockets;
        out.cores = n.cores;
        out.threads = n.threads;
        // SAFETY: checked non-NULL; writable by the caller's contract.
        unsafe { info.write(out) };
        Ok(0)
    })
}

/// 1 while the connection works, 0 otherwise.
#[no_mangle]
pub extern "C" fn virConnectIsAlive(conn: virConnectPtr) -> c_int {
    with_conn(conn, "virConnectIsAlive", |c| {
        c.conn.driver().is_alive().map(c_int::from)
    })
}

/// 1 when the channel is safe from eavesdropping.
#[no_mangle]
pub extern "C" fn virConnectIsSecure(conn: virConnectPtr) -> c_int {
    with_conn(conn, "virConnectIsSecure", |c| {
        c.conn.driver().is_secure().map(c_int::from)
    })
}

/// 1 when the channel is encrypted.
#[no_mangle]
pub extern "C" fn virConnectIsEncrypted(conn: virConnectPtr) -> c_int {
    with_conn(conn, "virConnectIsEncrypted", |c| {
        c.conn.driver().is_encrypted().map(c_int::from)
    })
}

/// Starts keepalive probing (drivers without a peer do not support it).
#[no_mangle]
pub extern "C" fn virConnectSetKeepAlive(conn: virConnectPtr, interval: c_int, count: c_uint) -> c_int {
    with_conn(conn, "virConnectSetKeepAlive", |c| {
        c.conn.driver().set_keep_alive(interval, count).map(|_| 0)
    })
}

/// Which close callback each connection (by handle address) has: libvirt
/// keeps one per connection, until it is unregistered, fires, or the
/// connection goes; the driver may hold another reference while it can fire.
type CloseEntry = (usize, usize, Arc<CloseCallback>);
static CLOSE_CALLBACKS: parking_lot::Mutex<Vec<CloseEntry>> = parking_lot::Mutex::new(Vec::new());

/// Forgets the close callbacks `gone` picks; their
/// free functions run (outside the lock) once the driver lets go too.
fn drop_close_callbacks(mut gone: impl FnMut(&CloseEntry) -> bool) {
    let removed: Vec<CloseEntry> = {
        let mut all = CLOSE_CALLBACKS.lock();
        let (removed, kept) = std::mem::take(&mut *all).into_iter().partition(|e| gone(e));
        *all = kept;
        removed
    };
    drop(removed);
}

/// A registered close callback; its free function runs when it goes.
struct CloseCallback {
    conn: usize,
    cb: unsafe extern "C" fn(virConnectPtr, c_int, *mut c_void),
    opaque: usize,
    freecb: virFreeCallback,
}

impl CloseCallback {
    fn fire(&self, reason: i32) {
        // libvirt calls a close callback once and then forgets it.
        drop_close_callbacks(|(c, _, _)| *c == self.conn);
        // SAFETY: the application registered this function for this
        // connection and opaque pointer.
        unsafe { (self.cb)(self.conn as virConnectPtr, reason, self.opaque as *mut c_void) }
    }
}

impl Drop for CloseCallback {
    fn drop(&mut self) {
        if let Some(free) = self.freecb {
            // SAFETY: libvirt's contract: the free callback gets the opaque
            // pointer once, when the registration ends.
            unsafe { free(self.opaque as *mut c_void) }
        }
    }
}

/// Registers a callback for connections that close unexpectedly; drivers
/// whose connections cannot break accept it and never call it, as libvirt's.
#[no_mangle]
pub extern "C" fn virConnectRegisterCloseCallback(
    conn: virConnectPtr,
    cb: virConnectCloseFunc,
    opaque: *mut c_void,
    freecb: virFreeCallback,
) -> c_int {
    with_conn(conn, "virConnectRegisterCloseCallback", |c| {
        let Some(cb) = cb else {
            return Err(Error::null_arg(FROM, "virConnectRegisterCloseCallback", "cb"));
        };
        if !c.conn.driver().has_close_callbacks() {
            return Ok(0);
        }
        let data = Arc::new(CloseCallback {
            conn: conn as usize,
            cb,
            opaque: opaque as usize,
            freecb,
        });
        {
            let mut registered = CLOSE_CALLBACKS.lock();
            if registered.iter().any(|(k, _, _)| *k == conn as usize) {
                // Not ours to free: the caller keeps its opaque data.
                let mut data = Arc::into_inner(data);
                if let Some(d) = data.as_mut() {
                    d.freecb = None;
                }
                return Err(Error::with(
                    VIR_FROM_REMOTE,
                    VIR_ERR_OPERATION_INVALID,
                    "A close callback is already registered",
                ));
            }
            registered.push((conn as usize, cb as usize, data.clone()));
        }
        c.conn
            .driver()
            .set_close_callback(Some(Box::new(move |reason| data.fire(reason))));
        Ok(0)
    })
}

/// Removes a close callback.
#[no_mangle]
pub extern "C" fn virConnectUnregisterCloseCallback(conn: virConnectPtr, cb: virConnectCloseFunc) -> c_int {
    with_conn(conn, "virConnectUnregisterCloseCallback", |c| {
        let Some(cb) = cb else {
            return Err(Error::null_arg(FROM, "virConnectUnregisterCloseCallback", "cb"));
        };
        if !c.conn.driver().has_close_callbacks() {
            return Ok(0);
        }
        let known = CLOSE_CALLBACKS
            .lock()
            .iter()
            .any(|(k, f, _)| *k == conn as usize && *f == cb as usize);
        if !known {
            return Err(Error::with(
                VIR_FROM_REMOTE,
                VIR_ERR_OPERATION_INVALID,
                "A different callback was requested",
            ));
        }
        c.conn.driver().set_close_callback(None);
        drop_close_callbacks(|(k, _, _)| *k == conn as usize);
        Ok(0)
    })
}

/// The credential types the terminal prompter handles.
static mut DEFAULT_CREDTYPES: [c_int; 6] = [
    VIR_CRED_AUTHNAME,
    VIR_CRED_ECHOPROMPT,
    VIR_CRED_REALM,
    VIR_CRED_PASSPHRASE,
    VIR_CRED_NOECHOPROMPT,
    VIR_CRED_EXTERNAL,
];

static mut DEFAULT_AUTH: virConnectAuth = virConnectAuth {
    credtype: &raw mut DEFAULT_CREDTYPES as *mut c_int,
    ncredtype: 6,
    cb: Some(default_auth_callback),
    cbdata: std::ptr::null_mut(),
};

/// libvirt's terminal prompter, for command-line tools.
#[no_mangle]
pub static mut virConnectAuthPtrDefault: virConnectAuthPtr = &raw mut DEFAULT_AUTH;

/// Answers credential requests on the terminal (see [`crate::auth::terminal`]).
unsafe extern "C" fn default_auth_callback(
    cred: virConnectCredentialPtr,
    ncred: c_uint,
    _cbdata: *mut c_void,
) -> c_int {
    crate::ffi::boundary::guarded(-1, || {
        if cred.is_null() {
            return -1;
        }
        // SAFETY: libvirt's callers pass an array of ncred credentials.
        let creds = unsafe { std::slice::from_raw_parts_mut(cred, ncred as usize) };
        for c in creds.iter_mut() {
            let text = |p: *const c_char| {
                // SAFETY: NULL or a C string from the caller.
                (!p.is_null()).then(|| {
                    unsafe { std::ffi::CStr::from_ptr(p) }
                        .to_string_lossy()
                        .into_owned()
                })
            };
            let prompt = text(c.prompt).unwrap_or_default();
            let Some(answer) = crate::auth::terminal::answer(c.r#type, &prompt, text(c.defresult).as_deref())
            else {
                return -1;
            };
            c.result = malloc_str(&answer);
            c.resultlen = answer.len() as c_uint;
        }
        0
    })
}

/// The host's CPU count; optionally its online map (the caller frees it) and
/// how many are online.
///
/// # Safety
/// `cpumap` and `online` must be NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn virNodeGetCPUMap(
    conn: virConnectPtr,
    cpumap: *mut *mut c_uchar,
    online: *mut c_uint,
    flags: c_uint,
) -> c_int {
    with_conn(conn, "virNodeGetCPUMap", |c| {
        let (total, map) = c.conn.driver().node_get_cpu_map(flags)?;
        if !cpumap.is_null() {
            let mut bytes = vec![0u8; map.len().div_ceil(8)];
            for (cpu, _) in map.iter().enumerate().filter(|(_, on)| **on) {
                bytes[cpu / 8] |= 1 << (cpu % 8);
            }
            let out = crate::ffi::common::alloc_array(&bytes)?;
            // SAFETY: writable by the caller's contract.
            unsafe { cpumap.write(out) };
        }
        if !online.is_null() {
            // SAFETY: writable by the caller's contract.
            unsafe { online.write(map.iter().filter(|b| **b).count() as c_uint) };
        }
        Ok(total)
    })
}
