//! `libvirt-domain-snapshot.h`: snapshots of a domain and their tree.
#![allow(non_snake_case)]

use std::sync::Arc;

use crate::abi::*;
use crate::error::{Error, Result};
use crate::ffi::boundary::{entry, with_dom, writable, Ctx, Failure};
use crate::ffi::common::{alloc_str, put_names};
use crate::ffi::cstr;
use crate::ffi::flags::{self, Named};
use crate::ffi::handle::{
    hand_out, moment_free, moment_ref, new_moment, DomainHandle, MomentHandle, SNAPSHOTS,
};

/// Error domain of libvirt-domain-snapshot.h's functions.
const FROM: i32 = VIR_FROM_DOMAIN_SNAPSHOT;

/// Runs `f` on a valid snapshot handle.
fn with_snap<R: Failure>(
    snapshot: virDomainSnapshotPtr,
    func: &str,
    f: impl FnOnce(&MomentHandle) -> Result<R>,
) -> R {
    entry(|ctx: &mut Ctx| {
        let s = ctx.snapshot(snapshot, func)?;
        f(&s)
    })
}

/// A new handle for the snapshot `name` of domain handle `d`.
fn handle(d: &Arc<DomainHandle>, domain: virDomainPtr, name: String) -> virDomainSnapshotPtr {
    new_moment(&SNAPSHOTS, d, domain as usize, name).cast()
}

/// [`flags::requires`] for this header's error domain.
fn requires(flags: c_uint, flag: Named, needed: Named, func: &str) -> Result<()> {
    flags::requires(FROM, flags, flag, needed, func)
}

/// [`flags::exclusive`] for this header's error domain.
fn exclusive(flags: c_uint, a: Named, b: Named, func: &str) -> Result<()> {
    flags::exclusive(FROM, flags, a, b, func)
}

/// Takes a snapshot of the domain.
///
/// # Safety
/// `xmlDesc` must be NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn virDomainSnapshotCreateXML(
    domain: virDomainPtr,
    xmlDesc: *const c_char,
    flags: c_uint,
) -> virDomainSnapshotPtr {
    const F: &str = "virDomainSnapshotCreateXML";
    with_dom(domain, F, |d| {
        // SAFETY: the caller's contract.
        let xml = unsafe { cstr::req(xmlDesc, FROM, F, "xmlDesc") }?;
        writable(&d.conn, FROM, F)?;
        let redefine = (
            VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE,
            "VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE",
        );
        requires(
            flags,
            (
                VIR_DOMAIN_SNAPSHOT_CREATE_CURRENT,
                "VIR_DOMAIN_SNAPSHOT_CREATE_CURRENT",
            ),
            redefine,
            F,
        )?;
        exclusive(
            flags,
            redefine,
            (
                VIR_DOMAIN_SNAPSHOT_CREATE_NO_METADATA,
                "VIR_DOMAIN_SNAPSHOT_CREATE_NO_METADATA",
            ),
            F,
        )?;
        exclusive(
            flags,
            redefine,
            (VIR_DOMAIN_SNAPSHOT_CREATE_HALT, "VIR_DOMAIN_SNAPSHOT_CREATE_HALT"),
            F,
        )?;
        let (snap, halted) = d
            .conn
            .conn
            .driver()
            .snapshot_create_xml(&d.reference(), xml, flags)?;
        if halted {
            d.set_id(-1);
        }
        Ok(handle(d, domain, snap.name))
    })
}

/// The snapshot's XML (the caller frees it).
#[no_mangle]
pub extern "C" fn virDomainSnapshotGetXMLDesc(snapshot: virDomainSnapshotPtr, flags: c_uint) -> *mut c_char {
    const F: &str = "virDomainSnapshotGetXMLDesc";
    with_snap(snapshot, F, |s| {
        if s.dom.conn.conn.read_only() && flags & VIR_DOMAIN_SNAPSHOT_XML_SECURE != 0 {
            return Err(Error::with(
                FROM,
                VIR_ERR_OPERATION_DENIED,
                format!("{F} with secure flag"),
            ));
        }
        alloc_str(
            &s.dom
                .conn
                .conn
                .driver()
                .snapshot_get_xml_desc(&s.reference(), flags)?,
        )
    })
}

/// Snapshot names of the domain (or of a snapshot's children) for the call `func`.
fn names(d: &DomainHandle, parent: Option<&str>, flags: c_uint, func: &str) -> Result<Vec<String>> {
    d.conn
        .conn
        .driver()
        .snapshot_list(&d.reference(), parent, flags, func)
}

/// The number of snapshots matching `flags`.
#[no_mangle]
pub extern "C" fn virDomainSnapshotNum(domain: virDomainPtr, flags: c_uint) -> c_int {
    const F: &str = "virDomainSnapshotNum";
    with_dom(domain, F, |d| Ok(names(d, None, flags, F)?.len() as c_int))
}

/// Copies up to `nameslen` of the names `find` gives into `names` (the
/// caller frees each); returns how many there are, as libvirt does.  The
/// arguments are checked before `find` runs.
///
/// # Safety
/// `names` must be NULL or have room for `nameslen` pointers.
pub(crate) unsafe fn fill_names(
    from: i32,
    names: *mut *mut c_char,
    nameslen: c_int,
    func: &str,
    find: impl FnOnce() -> Result<Vec<String>>,
) -> Result<c_int> {
    if names.is_null() {
        return Err(Error::null_arg(from, func, "names"));
    }
    if nameslen < 0 {
        return Err(Error::arg_check(
            from,
            format!("nameslen in {func} must be zero or greater"),
            func,
            "nameslen",
        ));
    }
    let found = find()?;
    // SAFETY: `names` has room for `nameslen` pointers by the caller's contract.
    unsafe { put_names(names, nameslen as usize, &found) }?;
    Ok(found.len() as c_int)
}

/// Names of the domain's snapshots.
///
/// # Safety
/// `names` must be NULL or have room for `nameslen` pointers.
#[no_mangle]
pub unsafe extern "C" fn virDomainSnapshotListNames(
    domain: virDomainPtr,
    names: *mut *mut c_char,
    nameslen: c_int,
    flags: c_uint,
) -> c_int {
    const F: &str = "virDomainSnapshotListNames";
    with_dom(domain, F, |d| {
        // SAFETY: the caller's contract.
        unsafe { fill_names(FROM, names, nameslen, F, || self::names(d, None, flags, F)) }
    })
}

/// Every snapshot matching `flags`, as new handles when `snaps` is given.
///
/// # Safety
/// `snaps` must be NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn virDomainListAllSnapshots(
    domain: virDomainPtr,
    snaps: *mut *mut virDomainSnapshotPtr,
    flags: c_uint,
) -> c_int {
    const F: &str = "virDomainListAllSnapshots";
    entry(|ctx| {
        if !snaps.is_null() {
            // SAFETY: writable by the caller's contract; NULL whatever follows.
            unsafe { snaps.write(std::ptr::null_mut()) };
        }
        let d = ctx.dom(domain, F)?;
        let found = names(&d, None, flags, F)?;
        // SAFETY: the caller's contract.
        unsafe { hand_out(&SNAPSHOTS, &d, domain as usize, found, snaps) }
    })
}

/// The number of children of a snapshot.
#[no_mangle]
pub extern "C" fn virDomainSnapshotNumChildren(snapshot: virDomainSnapshotPtr, flags: c_uint) -> c_int {
    const F: &str = "virDomainSnapshotNumChildren";
    with_snap(snapshot, F, |s| {
        Ok(names(&s.dom, Some(&s.name), flags, F)?.len() as c_int)
    })
}

/// Names of a snapshot's children.
///
/// # Safety
/// `names` must be NULL or have room for `nameslen` pointers.
#[no_mangle]
pub unsafe extern "C" fn virDomainSnapshotListChildrenNames(
    snapshot: virDomainSnapshotPtr,
    names: *mut *mut c_char,
    nameslen: c_int,
    flags: c_uint,
) -> c_int {
    const F: &str = "virDomainSnapshotListChildrenNames";
    with_snap(snapshot, F, |s| {
        // SAFETY: the caller's contract.
        unsafe {
            fill_names(FROM, names, nameslen, F, || {
                self::names(&s.dom, Some(&s.name), flags, F)
            })
        }
    })
}

/// A snapshot's children, as new handles when `snaps` is given.
///
/// # Safety
/// `snaps` must be NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn virDomainSnapshotListAllChildren(
    snapshot: virDomainSnapshotPtr,
    snaps: *mut *mut virDomainSnapshotPtr,
    flags: c_uint,
) -> c_int {
    const F: &str = "virDomainSnapshotListAllChildren";
    entry(|ctx| {
        if !snaps.is_null() {
            // SAFETY: writable by the caller's contract; NULL whatever follows.
            unsafe { snaps.write(std::ptr::null_mut()) };
        }
        let s = ctx.snapshot(snapshot, F)?;
        let found = names(&s.dom, Some(&s.name), flags, F)?;
        // SAFETY: the caller's contract.
        unsafe { hand_out(&SNAPSHOTS, &s.dom, s.dom_ptr, found, snaps) }
    })
}

/// The snapshot called `name`.
///
/// # Safety
/// `name` must be NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn virDomainSnapshotLookupByName(
    domain: virDomainPtr,
    name: *const c_char,
    flags: c_uint,
) -> virDomainSnapshotPtr {
    const F: &str = "virDomainSnapshotLookupByName";
    with_dom(domain, F, |d| {
        // SAFETY: the caller's contract.
        let name = unsafe { cstr::req(name, FROM, F, "name") }?;
        let snap = d
            .conn
            .conn
            .driver()
            .snapshot_lookup_by_name(&d.reference(), name, flags)?;
        Ok(handle(d, domain, snap.name))
    })
}

/// 1 when the domain has a current snapshot.
#[no_mangle]
pub extern "C" fn virDomainHasCurrentSnapshot(domain: virDomainPtr, flags: c_uint) -> c_int {
    with_dom(domain, "virDomainHasCurrentSnapshot", |d| {
        d.conn
            .conn
            .driver()
            .snapshot_has_current(&d.reference(), flags)
            .map(c_int::from)
    })
}

/// The domain's current snapshot.
#[no_mangle]
pub extern "C" fn virDomainSnapshotCurrent(domain: virDomainPtr, flags: c_uint) -> virDomainSnapshotPtr {
    with_dom(domain, "virDomainSnapshotCurrent", |d| {
        let snap = d.conn.conn.driver().snapshot_current(&d.reference(), flags)?;
        Ok(handle(d, domain, snap.name))
    })
}

/// The snapshot's parent.
#[no_mangle]
pub extern "C" fn virDomainSnapshotGetParent(
    snapshot: virDomainSnapshotPtr,
    flags: c_uint,
) -> virDomainSnapshotPtr {
    with_snap(snapshot, "virDomainSnapshotGetParent", |s| {
        let parent = s
            .dom
            .conn
            .conn
            .driver()
            .snapshot_get_parent(&s.reference(), flags)?;
        Ok(new_moment(&SNAPSHOTS, &s.dom, s.dom_ptr, parent.name).cast())
    })
}

/// 1 when this is the domain's current snapshot.
#[no_mangle]
pub extern "C" fn virDomainSnapshotIsCurrent(snapshot: virDomainSnapshotPtr, flags: c_uint) -> c_int {
    with_snap(snapshot, "virDomainSnapshotIsCurrent", |s| {
        s.dom
            .conn
            .conn
            .driver()
            .snapshot_is_current(&s.reference(), flags)
            .map(c_int::from)
    })
}

/// 1 when the snapshot has metadata.
#[no_mangle]
pub extern "C" fn virDomainSnapshotHasMetadata(snapshot: virDomainSnapshotPtr, flags: c_uint) -> c_int {
    with_snap(snapshot, "virDomainSnapshotHasMetadata", |s| {
        s.dom
            .conn
            .conn
            .driver()
            .snapshot_has_metadata(&s.reference(), flags)
            .map(c_int::from)
    })
}

/// Reverts the domain to the snapshot.
#[no_mangle]
pub extern "C" fn virDomainRevertToSnapshot(snapshot: virDomainSnapshotPtr, flags: c_uint) -> c_int {
    const F: &str = "virDomainRevertToSnapshot";
    with_snap(snapshot, F, |s| {
        writable(&s.dom.conn, FROM, F)?;
        exclusive(
            flags,
            (
                VIR_DOMAIN_SNAPSHOT_REVERT_RUNNING,
                "VIR_DOMAIN_SNAPSHOT_REVERT_RUNNING",
            ),
            (
                VIR_DOMAIN_SNAPSHOT_REVERT_PAUSED,
                "VIR_DOMAIN_SNAPSHOT_REVERT_PAUSED",
            ),
            F,
        )?;
        s.dom
            .conn
            .conn
            .driver()
            .snapshot_revert(&s.reference(), flags)
            .map(|stopped| {
                if stopped {
                    s.dom.set_id(-1);
                }
                0
            })
    })
}

/// Deletes the snapshot (and with flags its children).
#[no_mangle]
pub extern "C" fn virDomainSnapshotDelete(snapshot: virDomainSnapshotPtr, flags: c_uint) -> c_int {
    const F: &str = "virDomainSnapshotDelete";
    with_snap(snapshot, F, |s| {
        writable(&s.dom.conn, FROM, F)?;
        exclusive(
            flags,
            (
                VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN,
                "VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN",
            ),
            (
                VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN_ONLY,
                "VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN_ONLY",
            ),
            F,
        )?;
        s.dom
            .conn
            .conn
            .driver()
            .snapshot_delete(&s.reference(), flags)
            .map(|_| 0)
    })
}

/// Adds a reference to a snapshot handle.
#[no_mangle]
pub extern "C" fn virDomainSnapshotRef(snapshot: virDomainSnapshotPtr) -> c_int {
    moment_ref(
        &SNAPSHOTS,
        snapshot.cast(),
        FROM,
        VIR_ERR_INVALID_DOMAIN_SNAPSHOT,
        "virDomainSnapshotRef",
    )
}

/// Drops a reference to a snapshot handle.
#[no_mangle]
pub extern "C" fn virDomainSnapshotFree(snapshot: virDomainSnapshotPtr) -> c_int {
    moment_free(
        &SNAPSHOTS,
        snapshot.cast(),
        FROM,
        VIR_ERR_INVALID_DOMAIN_SNAPSHOT,
        "virDomainSnapshotFree",
    )
}

/// The snapshot's name (owned by the handle).
#[no_mangle]
pub extern "C" fn virDomainSnapshotGetName(snapshot: virDomainSnapshotPtr) -> *const c_char {
    with_snap(snapshot, "virDomainSnapshotGetName", |s| Ok(s.name_c.as_ptr()))
}

/// The domain a snapshot belongs to (no new reference).
#[no_mangle]
pub extern "C" fn virDomainSnapshotGetDomain(snapshot: virDomainSnapshotPtr) -> virDomainPtr {
    with_snap(snapshot, "virDomainSnapshotGetDomain", |s| {
        Ok(s.dom_ptr as virDomainPtr)
    })
}

/// The connection a snapshot belongs to (no new reference).
#[no_mangle]
pub extern "C" fn virDomainSnapshotGetConnect(snapshot: virDomainSnapshotPtr) -> virConnectPtr {
    with_snap(snapshot, "virDomainSnapshotGetConnect", |s| {
        Ok(s.dom.conn_ptr as virConnectPtr)
    })
}
