//! The common work of every exported function.

use std::any::Any;
use std::ffi::CStr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use crate::abi::*;
use crate::error::{Error, Result};
use crate::ffi::dispatch;
use crate::ffi::handle::{
    ConnHandle, DomainHandle, MomentHandle, CHECKPOINTS, CONNECTIONS, DOMAINS, SNAPSHOTS,
};
use crate::ffi::objects::{BAD_NETWORK, BAD_POOL, BAD_STREAM, BAD_VOL, NETWORKS, POOLS, STREAMS, VOLUMES};

/// The value an export returns when it fails, as libvirt's does for that type.
pub trait Failure {
    /// The failure value.
    fn failure() -> Self;
}

macro_rules! failure_value {
    ($($t:ty => $v:expr),* $(,)?) => { $(impl Failure for $t { fn failure() -> Self { $v } })* };
}

// By type: `unsigned long` and `unsigned long long` are both u64 here.
failure_value! {
    i32 => -1,
    u32 => u32::MAX,
    u64 => 0,
    () => (),
}

impl<T> Failure for *mut T {
    fn failure() -> Self {
        std::ptr::null_mut()
    }
}

impl<T> Failure for *const T {
    fn failure() -> Self {
        std::ptr::null()
    }
}

/// Per-call context: the connection a failure is also recorded on.
#[derive(Default)]
pub struct Ctx {
    conn: Option<Arc<ConnHandle>>,
}

impl Ctx {
    /// Records `conn` as the connection this call's errors belong to.
    pub fn bind(&mut self, conn: &Arc<ConnHandle>) {
        self.conn = Some(conn.clone());
    }

    /// Looks up a connection handle; an unknown pointer is libvirt's
    /// "invalid connection pointer in FUNC" in error domain `from`.
    pub fn conn(&mut self, ptr: virConnectPtr, func: &str, from: i32) -> Result<&Arc<ConnHandle>> {
        let conn = CONNECTIONS
            .get(ptr.cast())
            .ok_or_else(|| Error::with(from, VIR_ERR_INVALID_CONN, func))?;
        Ok(self.conn.insert(conn))
    }
}

impl Ctx {
    /// Looks up a domain handle (libvirt's "invalid domain pointer in FUNC"
    /// otherwise) and binds its connection.
    pub fn dom(&mut self, ptr: virDomainPtr, func: &str) -> Result<Arc<DomainHandle>> {
        let dom = DOMAINS
            .get(ptr.cast())
            .ok_or_else(|| Error::with(VIR_FROM_DOM, VIR_ERR_INVALID_DOMAIN, func))?;
        self.conn = Some(dom.conn.clone());
        Ok(dom)
    }
}

impl Ctx {
    /// Looks up a snapshot handle (libvirt's "Invalid domain snapshot: FUNC"
    /// otherwise) and binds its connection.
    pub fn snapshot(&mut self, ptr: virDomainSnapshotPtr, func: &str) -> Result<Arc<MomentHandle>> {
        let snap = SNAPSHOTS
            .get(ptr.cast())
            .ok_or_else(|| Error::with(VIR_FROM_DOMAIN_SNAPSHOT, VIR_ERR_INVALID_DOMAIN_SNAPSHOT, func))?;
        self.conn = Some(snap.dom.conn.clone());
        Ok(snap)
    }

    /// Looks up a checkpoint handle (libvirt's "Invalid domain checkpoint:
    /// FUNC" otherwise) and binds its connection.
    pub fn checkpoint(&mut self, ptr: virDomainCheckpointPtr, func: &str) -> Result<Arc<MomentHandle>> {
        let cp = CHECKPOINTS.get(ptr.cast()).ok_or_else(|| {
            Error::with(
                VIR_FROM_DOMAIN_CHECKPOINT,
                VIR_ERR_INVALID_DOMAIN_CHECKPOINT,
                func,
            )
        })?;
        self.conn = Some(cp.dom.conn.clone());
        Ok(cp)
    }
}

/// Runs one public API call as libvirt does: the thread's last error is reset
/// first; an `Err` (or a panic, as `VIR_ERR_INTERNAL_ERROR`) is recorded as the
/// last error, on the call's connection, and passed to the error callbacks;
/// the export then returns its failure value.
pub fn entry<R: Failure>(f: impl FnOnce(&mut Ctx) -> Result<R>) -> R {
    dispatch::reset_last_error();
    let mut ctx = Ctx::default();
    let outcome = catch_unwind(AssertUnwindSafe(|| f(&mut ctx)));
    let err = match outcome {
        Ok(Ok(value)) => return value,
        Ok(Err(err)) => err,
        Err(panic) => panic_error(panic),
    };
    // Reporting must not unwind into C either (a callback of ours could panic).
    let conn = ctx.conn.take();
    let _ = catch_unwind(AssertUnwindSafe(|| dispatch::raise(err, conn.as_deref())));
    R::failure()
}

/// Runs `f` on a valid connection handle (libvirt's "invalid connection
/// pointer in FUNC" in error domain `from` otherwise).
pub fn with_conn<R: Failure>(
    conn: virConnectPtr,
    func: &str,
    from: i32,
    f: impl FnOnce(&Arc<ConnHandle>) -> Result<R>,
) -> R {
    entry(|ctx| {
        let c = ctx.conn(conn, func, from)?;
        f(c)
    })
}

/// Runs `f` on a valid domain handle (libvirt's "invalid domain pointer in
/// FUNC" otherwise); errors are also recorded on the domain's connection.
pub fn with_dom<R: Failure>(
    dom: virDomainPtr,
    func: &str,
    f: impl FnOnce(&Arc<DomainHandle>) -> Result<R>,
) -> R {
    entry(|ctx| {
        let d = ctx.dom(dom, func)?;
        f(&d)
    })
}

/// Refuses a call that changes something on a read-only connection.
pub fn writable(conn: &ConnHandle, from: i32, func: &str) -> Result<()> {
    if conn.conn.read_only() {
        return Err(Error::read_only(from, func));
    }
    Ok(())
}

/// Runs an export that must not touch the last error (the error accessors);
/// only the panic boundary applies, with `fallback` returned on a panic.
pub fn guarded<R>(fallback: R, f: impl FnOnce() -> R) -> R {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(fallback)
}

fn panic_error(panic: Box<dyn Any + Send>) -> Error {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unexpected failure".to_string());
    Error::internal(VIR_FROM_NONE, format!("panic inside libvirt: {what}"))
}

/// The object a stub's first argument names, for libvirt's handle check.
pub enum Subject {
    /// The function takes no object handle.
    None,
    /// A `virConnectPtr`.
    Connect(*const c_void),
    /// A `virDomainPtr`.
    Domain(*const c_void),
    /// A `virNetworkPtr`.
    Network(*const c_void),
    /// A `virNetworkPortPtr`.
    NetworkPort(*const c_void),
    /// A `virInterfacePtr`.
    Interface(*const c_void),
    /// A `virStoragePoolPtr`.
    StoragePool(*const c_void),
    /// A `virStorageVolPtr`.
    StorageVol(*const c_void),
    /// A `virNodeDevicePtr`.
    NodeDevice(*const c_void),
    /// A `virSecretPtr`.
    Secret(*const c_void),
    /// A `virNWFilterPtr`.
    NWFilter(*const c_void),
    /// A `virNWFilterBindingPtr`.
    NWFilterBinding(*const c_void),
    /// A `virStreamPtr`.
    Stream(*const c_void),
    /// A `virDomainSnapshotPtr`.
    DomainSnapshot(*const c_void),
    /// A `virDomainCheckpointPtr`.
    DomainCheckpoint(*const c_void),
}

impl Subject {
    /// Validates the handle as libvirt's public API does before anything else,
    /// binding its connection to `ctx`.
    pub fn check(&self, ctx: &mut Ctx, func: &str, from: i32) -> Result<()> {
        // No object of these kinds exists yet, so any pointer is invalid.
        let invalid = |code, domain| Err(Error::with(domain, code, func));
        match *self {
            Subject::None => Ok(()),
            Subject::Connect(p) => ctx.conn(p as virConnectPtr, func, from).map(|_| ()),
            Subject::Domain(p) => ctx.dom(p as virDomainPtr, func).map(|_| ()),
            Subject::Network(p) => ctx.obj(&NETWORKS, p, &BAD_NETWORK, func).map(|_| ()),
            Subject::NetworkPort(_) => invalid(VIR_ERR_INVALID_NETWORK_PORT, VIR_FROM_NETWORK),
            Subject::Interface(_) => invalid(VIR_ERR_INVALID_INTERFACE, VIR_FROM_INTERFACE),
            Subject::StoragePool(p) => ctx.obj(&POOLS, p, &BAD_POOL, func).map(|_| ()),
            Subject::StorageVol(p) => ctx.obj(&VOLUMES, p, &BAD_VOL, func).map(|_| ()),
            Subject::NodeDevice(_) => invalid(VIR_ERR_INVALID_NODE_DEVICE, VIR_FROM_NODEDEV),
            Subject::Secret(_) => invalid(VIR_ERR_INVALID_SECRET, VIR_FROM_SECRET),
            Subject::NWFilter(_) => invalid(VIR_ERR_INVALID_NWFILTER, VIR_FROM_NWFILTER),
            Subject::NWFilterBinding(_) => invalid(VIR_ERR_INVALID_NWFILTER_BINDING, VIR_FROM_NWFILTER),
            Subject::Stream(p) => ctx.obj(&STREAMS, p, &BAD_STREAM, func).map(|_| ()),
            Subject::DomainSnapshot(p) => ctx.snapshot(p as virDomainSnapshotPtr, func).map(|_| ()),
            Subject::DomainCheckpoint(p) => ctx.checkpoint(p as virDomainCheckpointPtr, func).map(|_| ()),
        }
    }
}

/// The body of every export no driver implements yet: libvirt's handle check,
/// then `VIR_ERR_NO_SUPPORT` ("this function is not supported by the
/// connection driver: FUNC") in the error domain of the function's file.
pub fn unsupported<R: Failure>(func: &CStr, subject: Subject, from: i32) -> R {
    entry(|ctx| {
        let name = func.to_str().unwrap_or("?");
        subject.check(ctx, name, from)?;
        Err(Error::no_support(from, name))
    })
}
