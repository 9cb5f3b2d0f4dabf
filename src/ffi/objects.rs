//! Handles of networks, storage pools and storage volumes: each names its
//! object and holds a reference on the connection it came from.

use std::ffi::CString;
use std::sync::Arc;

use once_cell::sync::Lazy;

use crate::abi::*;
use crate::driver::{NetworkRef, VolRef};
use crate::error::{Error, Result};
use crate::ffi::boundary::{entry, Ctx, Failure};
use crate::ffi::common::alloc_ptr_array;
use crate::ffi::handle::{ConnHandle, Registry, Released, CONNECTIONS};
use crate::stream::Stream;

/// What a `virNetworkPtr`, `virStoragePoolPtr` or `virStorageVolPtr` points to.
pub struct ObjHandle<R> {
    /// The connection.
    pub conn: Arc<ConnHandle>,
    /// The connection's handle (released when this handle goes).
    pub conn_ptr: usize,
    /// The object's identity.
    pub obj: R,
    /// `vir*GetName`'s answer, owned by the handle.
    pub name: CString,
    /// `virStorageVolGetKey`'s answer (volumes only).
    pub key: CString,
}

/// A network handle.
pub type NetHandle = ObjHandle<NetworkRef>;
/// A storage pool handle.
pub type PoolHandle = ObjHandle<NetworkRef>;
/// A storage volume handle.
pub type VolHandle = ObjHandle<VolRef>;
/// A stream handle.
pub type StreamHandle = ObjHandle<Stream>;

/// All network handles.
pub static NETWORKS: Lazy<Registry<NetHandle>> = Lazy::new(Registry::new);
/// All storage pool handles.
pub static POOLS: Lazy<Registry<PoolHandle>> = Lazy::new(Registry::new);
/// All storage volume handles.
pub static VOLUMES: Lazy<Registry<VolHandle>> = Lazy::new(Registry::new);
/// All stream handles.
pub static STREAMS: Lazy<Registry<StreamHandle>> = Lazy::new(Registry::new);

/// A new handle in `registry` for `obj` (named `name`, keyed `key`) on the
/// connection `conn_ptr`.
pub fn new_obj<R>(
    registry: &Registry<ObjHandle<R>>,
    conn: &Arc<ConnHandle>,
    conn_ptr: usize,
    obj: R,
    name: &str,
    key: &str,
) -> *mut c_void {
    CONNECTIONS.retain(conn_ptr as *const c_void);
    registry.insert(Arc::new(ObjHandle {
        conn: conn.clone(),
        conn_ptr,
        obj,
        name: CString::new(name).unwrap_or_default(),
        key: CString::new(key).unwrap_or_default(),
    }))
}

/// A new network handle.
pub fn new_network(conn: &Arc<ConnHandle>, conn_ptr: usize, r: NetworkRef) -> virNetworkPtr {
    let name = r.name.clone();
    new_obj(&NETWORKS, conn, conn_ptr, r, &name, "").cast()
}

/// A new storage pool handle.
pub fn new_pool(conn: &Arc<ConnHandle>, conn_ptr: usize, r: NetworkRef) -> virStoragePoolPtr {
    let name = r.name.clone();
    new_obj(&POOLS, conn, conn_ptr, r, &name, "").cast()
}

/// A new storage volume handle.
pub fn new_vol(conn: &Arc<ConnHandle>, conn_ptr: usize, r: VolRef) -> virStorageVolPtr {
    let (name, key) = (r.name.clone(), r.key.clone());
    new_obj(&VOLUMES, conn, conn_ptr, r, &name, &key).cast()
}

/// Drops a handle's reference; the last one releases its connection.
pub fn release_obj<R>(registry: &Registry<ObjHandle<R>>, ptr: *const c_void) -> Option<()> {
    if let Released::Last(h) = registry.release(ptr)? {
        CONNECTIONS.release(h.conn_ptr as *const c_void);
    }
    Some(())
}

/// The error for a pointer that is not a live handle of the kind.
pub struct Invalid {
    /// Error domain.
    pub from: i32,
    /// `VIR_ERR_INVALID_*`.
    pub code: i32,
}

/// Network handles' invalid-pointer error.
pub const BAD_NETWORK: Invalid = Invalid {
    from: VIR_FROM_NETWORK,
    code: VIR_ERR_INVALID_NETWORK,
};
/// Pool handles' invalid-pointer error.
pub const BAD_POOL: Invalid = Invalid {
    from: VIR_FROM_STORAGE,
    code: VIR_ERR_INVALID_STORAGE_POOL,
};
/// Volume handles' invalid-pointer error.
pub const BAD_VOL: Invalid = Invalid {
    from: VIR_FROM_STORAGE,
    code: VIR_ERR_INVALID_STORAGE_VOL,
};
/// Stream handles' invalid-pointer error.
pub const BAD_STREAM: Invalid = Invalid {
    from: VIR_FROM_STREAMS,
    code: VIR_ERR_INVALID_STREAM,
};

impl Ctx {
    /// Looks up a handle in `registry` (`bad` otherwise) and binds its connection.
    pub fn obj<R>(
        &mut self,
        registry: &Registry<ObjHandle<R>>,
        ptr: *const c_void,
        bad: &Invalid,
        func: &str,
    ) -> Result<Arc<ObjHandle<R>>> {
        let h = registry
            .get(ptr)
            .ok_or_else(|| Error::with(bad.from, bad.code, func))?;
        self.bind(&h.conn);
        Ok(h)
    }
}

/// Runs `f` on a valid handle of `registry`.
pub fn with_obj<T, R: Failure>(
    registry: &Registry<ObjHandle<T>>,
    ptr: *const c_void,
    bad: &Invalid,
    func: &str,
    f: impl FnOnce(&Arc<ObjHandle<T>>) -> Result<R>,
) -> R {
    entry(|ctx| {
        let h = ctx.obj(registry, ptr, bad, func)?;
        f(&h)
    })
}

/// `vir*Ref`.
pub fn obj_ref<T>(registry: &Registry<ObjHandle<T>>, ptr: *const c_void, bad: &Invalid, func: &str) -> c_int {
    entry(|_| match registry.retain(ptr) {
        true => Ok(0),
        false => Err(Error::with(bad.from, bad.code, func)),
    })
}

/// `vir*Free`.
pub fn obj_free<T>(
    registry: &Registry<ObjHandle<T>>,
    ptr: *const c_void,
    bad: &Invalid,
    func: &str,
) -> c_int {
    entry(|_| {
        release_obj(registry, ptr)
            .map(|_| 0)
            .ok_or_else(|| Error::with(bad.from, bad.code, func))
    })
}

/// Hands out `found` as new handles through `out` (a NULL-terminated array
/// the caller frees) when it is non-NULL; returns how many there are.
///
/// # Safety
/// `out` must be NULL or writable.
pub unsafe fn hand_out_objs<R, P>(
    registry: &Registry<ObjHandle<R>>,
    found: Vec<R>,
    out: *mut *mut *mut P,
    make: impl Fn(R) -> *mut P,
) -> Result<c_int> {
    let n = found.len() as c_int;
    if out.is_null() {
        return Ok(n);
    }
    let handles: Vec<*mut P> = found.into_iter().map(make).collect();
    match alloc_ptr_array(&handles, true) {
        // SAFETY: writable by the caller's contract.
        Ok(a) => unsafe { out.write(a) },
        Err(e) => {
            for h in handles {
                release_obj(registry, h.cast());
            }
            return Err(e);
        }
    }
    Ok(n)
}
