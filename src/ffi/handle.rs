//! Handles given to C: registries that map the pointers we hand out to live
//! objects, so that a stale or foreign pointer is an error, never a crash.
//!
//! A handle's address is that of its object inside an `Arc`.  The registry owns
//! one strong reference and libvirt's reference count (public references plus
//! those child objects hold); when that count reaches zero the entry goes and
//! the object is freed once no call still uses it.

use std::collections::HashMap;
use std::ffi::CString;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Arc;

use once_cell::sync::{Lazy, OnceCell};
use parking_lot::{Mutex, RwLock};

use crate::abi::*;
use crate::connect::Connection;
use crate::driver::DomainRef;
use crate::error::Error;
use crate::ffi::dispatch::CError;

/// Hashes handle addresses: they are already unique, so one multiply spreads
/// them well enough and costs far less than SipHash on every call.
#[derive(Default)]
pub struct AddressHasher(u64);

impl std::hash::Hasher for AddressHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(*b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    fn write_usize(&mut self, n: usize) {
        self.0 = (n as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

type AddressMap<V> = HashMap<usize, V, std::hash::BuildHasherDefault<AddressHasher>>;

/// Live objects of one handle type.
pub struct Registry<T> {
    map: RwLock<AddressMap<Slot<T>>>,
}

struct Slot<T> {
    obj: Arc<T>,
    refs: usize,
}

/// What dropping a reference did.
pub enum Released<T> {
    /// Other references remain.
    Remaining,
    /// That was the last: the object, for any final work.
    Last(Arc<T>),
}

impl<T> Default for Registry<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Registry<T> {
    /// An empty registry.
    pub fn new() -> Self {
        Registry {
            map: RwLock::new(AddressMap::default()),
        }
    }

    /// Registers `obj` with one reference and returns its handle.
    pub fn insert(&self, obj: Arc<T>) -> *mut c_void {
        let key = Arc::as_ptr(&obj) as usize;
        self.map.write().insert(key, Slot { obj, refs: 1 });
        key as *mut c_void
    }

    /// The object behind a handle, if it is one of ours and alive.
    pub fn get(&self, ptr: *const c_void) -> Option<Arc<T>> {
        self.map.read().get(&(ptr as usize)).map(|s| s.obj.clone())
    }

    /// Adds a reference; false when the handle is not ours.
    pub fn retain(&self, ptr: *const c_void) -> bool {
        match self.map.write().get_mut(&(ptr as usize)) {
            Some(slot) => {
                slot.refs += 1;
                true
            }
            None => false,
        }
    }

    /// Drops a reference; None when the handle is not ours.
    pub fn release(&self, ptr: *const c_void) -> Option<Released<T>> {
        let mut map = self.map.write();
        let slot = map.get_mut(&(ptr as usize))?;
        slot.refs -= 1;
        if slot.refs > 0 {
            return Some(Released::Remaining);
        }
        map.remove(&(ptr as usize)).map(|s| Released::Last(s.obj))
    }
}

/// What a `virConnectPtr` points to: the connection and the C-side state
/// libvirt keeps per connection.
pub struct ConnHandle {
    /// The connection itself.
    pub conn: Connection,
    err: Mutex<CError>,
    handler: Mutex<(virErrorFunc, usize)>,
    /// `virConnectGetType`'s answer, kept so the returned pointer stays valid.
    pub type_name: OnceCell<CString>,
}

impl ConnHandle {
    /// Wraps a freshly opened connection.
    pub fn new(conn: Connection) -> Self {
        ConnHandle {
            conn,
            err: Mutex::new(CError::default()),
            handler: Mutex::new((None, 0)),
            type_name: OnceCell::new(),
        }
    }

    /// Copies a failure into the connection's last error.
    pub fn record_error(&self, err: &Error) {
        self.err.lock().set(err);
    }

    /// The connection's error callback and its data.
    pub fn error_handler(&self) -> (virErrorFunc, usize) {
        *self.handler.lock()
    }

    /// Sets the connection's error callback (`virConnSetErrorFunc`).
    pub fn set_error_handler(&self, func: virErrorFunc, data: *mut c_void) {
        *self.handler.lock() = (func, data as usize);
    }

    /// Runs `f` on the connection's last-error storage.
    pub fn with_error<R>(&self, f: impl FnOnce(&mut CError) -> R) -> R {
        f(&mut self.err.lock())
    }
}

/// All open connections.
pub static CONNECTIONS: Lazy<Registry<ConnHandle>> = Lazy::new(Registry::new);

/// What a `virDomainPtr` points to: the domain's identity as of the lookup,
/// and the connection it came from (on which it holds a reference).
pub struct DomainHandle {
    /// The connection.
    pub conn: Arc<ConnHandle>,
    /// The connection's handle (released when this handle goes).
    pub conn_ptr: usize,
    /// Name and UUID.
    pub dom: DomainRef,
    /// The id as libvirt keeps it in the handle: set at lookup, updated by
    /// calls through this handle that start or stop the domain.
    pub id: AtomicI32,
    /// `virDomainGetName`'s answer, owned by the handle.
    pub name: CString,
}

impl DomainHandle {
    /// The domain as the driver should be told about it.
    pub fn reference(&self) -> DomainRef {
        DomainRef {
            id: self.id.load(Ordering::Relaxed),
            ..self.dom.clone()
        }
    }

    /// Records the domain's new id after a start or stop through this handle.
    pub fn set_id(&self, id: i32) {
        self.id.store(id, Ordering::Relaxed);
    }
}

/// All domain handles.
pub static DOMAINS: Lazy<Registry<DomainHandle>> = Lazy::new(Registry::new);

/// A new domain handle for `dom` on the connection `conn_ptr`.
pub fn new_domain(conn: &Arc<ConnHandle>, conn_ptr: usize, dom: DomainRef) -> *mut c_void {
    CONNECTIONS.retain(conn_ptr as *const c_void);
    let name = CString::new(dom.name.clone()).unwrap_or_default();
    let id = AtomicI32::new(dom.id);
    DOMAINS.insert(Arc::new(DomainHandle {
        conn: conn.clone(),
        conn_ptr,
        dom,
        id,
        name,
    }))
}

/// Drops a domain handle's reference; the last one releases its connection.
pub fn release_domain(ptr: *const c_void) -> Option<()> {
    if let Released::Last(h) = DOMAINS.release(ptr)? {
        CONNECTIONS.release(h.conn_ptr as *const c_void);
    }
    Some(())
}

/// What a `virDomainSnapshotPtr` or `virDomainCheckpointPtr` points to: a
/// snapshot or checkpoint of a domain handle (on which it holds a reference).
pub struct MomentHandle {
    /// The domain handle.
    pub dom: Arc<DomainHandle>,
    /// The domain's handle (released when this handle goes).
    pub dom_ptr: usize,
    /// The snapshot's or checkpoint's name.
    pub name: String,
    /// `virDomainSnapshotGetName`'s answer, owned by the handle.
    pub name_c: CString,
}

impl MomentHandle {
    /// The snapshot or checkpoint as the driver should be told about it.
    pub fn reference(&self) -> crate::driver::MomentRef {
        crate::driver::MomentRef {
            domain: self.dom.reference(),
            name: self.name.clone(),
        }
    }
}

/// All snapshot handles.
pub static SNAPSHOTS: Lazy<Registry<MomentHandle>> = Lazy::new(Registry::new);
/// All checkpoint handles.
pub static CHECKPOINTS: Lazy<Registry<MomentHandle>> = Lazy::new(Registry::new);

/// A new handle in `registry` for the moment `name` of the domain handle `dom_ptr`.
pub fn new_moment(
    registry: &Registry<MomentHandle>,
    dom: &Arc<DomainHandle>,
    dom_ptr: usize,
    name: String,
) -> *mut c_void {
    DOMAINS.retain(dom_ptr as *const c_void);
    let name_c = CString::new(name.clone()).unwrap_or_default();
    registry.insert(Arc::new(MomentHandle {
        dom: dom.clone(),
        dom_ptr,
        name,
        name_c,
    }))
}

/// Drops a handle's reference in `registry`; the last one releases its domain handle.
pub fn release_moment(registry: &Registry<MomentHandle>, ptr: *const c_void) -> Option<()> {
    if let Released::Last(h) = registry.release(ptr)? {
        release_domain(h.dom_ptr as *const c_void);
    }
    Some(())
}

/// Hands out new handles in `registry` for the moments `found` through
/// `out` (a NULL-terminated array the caller frees) when it is given;
/// returns how many there are.
///
/// # Safety
/// `out` must be NULL or writable.
pub unsafe fn hand_out<T>(
    registry: &Registry<MomentHandle>,
    dom: &Arc<DomainHandle>,
    dom_ptr: usize,
    found: Vec<String>,
    out: *mut *mut *mut T,
) -> crate::error::Result<c_int> {
    let n = found.len() as c_int;
    if out.is_null() {
        return Ok(n);
    }
    let handles: Vec<*mut T> = found
        .into_iter()
        .map(|name| new_moment(registry, dom, dom_ptr, name).cast())
        .collect();
    match crate::ffi::common::alloc_ptr_array(&handles, true) {
        // SAFETY: writable by the caller's contract.
        Ok(a) => unsafe { out.write(a) },
        Err(e) => {
            for h in handles {
                release_moment(registry, h.cast());
            }
            return Err(e);
        }
    }
    Ok(n)
}

/// `vir*Ref` of a snapshot or checkpoint handle in `registry`; an unknown
/// handle is `VIR_ERR_INVALID_*` (`code`) in error domain `from`.
pub fn moment_ref(
    registry: &Registry<MomentHandle>,
    ptr: *const c_void,
    from: i32,
    code: i32,
    func: &str,
) -> c_int {
    crate::ffi::boundary::entry(|_| match registry.retain(ptr) {
        true => Ok(0),
        false => Err(crate::error::Error::with(from, code, func)),
    })
}

/// `vir*Free` of a snapshot or checkpoint handle in `registry`.
pub fn moment_free(
    registry: &Registry<MomentHandle>,
    ptr: *const c_void,
    from: i32,
    code: i32,
    func: &str,
) -> c_int {
    crate::ffi::boundary::entry(|_| {
        release_moment(registry, ptr)
            .map(|_| 0)
            .ok_or_else(|| crate::error::Error::with(from, code, func))
    })
}
