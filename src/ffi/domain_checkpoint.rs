//! `libvirt-domain-checkpoint.h`: checkpoints of a domain and their tree.
#![allow(non_snake_case)]

use std::sync::Arc;

use crate::abi::*;
use crate::error::{Error, Result};
use crate::ffi::boundary::{entry, with_dom, writable, Ctx, Failure};
use crate::ffi::common::alloc_str;
use crate::ffi::cstr;
use crate::ffi::flags::{self, Named};
use crate::ffi::handle::{
    hand_out, moment_free, moment_ref, new_moment, DomainHandle, MomentHandle, CHECKPOINTS,
};

/// Error domain of libvirt-domain-checkpoint.h's functions.
const FROM: i32 = VIR_FROM_DOMAIN_CHECKPOINT;

/// Runs `f` on a valid checkpoint handle.
fn with_cp<R: Failure>(
    checkpoint: virDomainCheckpointPtr,
    func: &str,
    f: impl FnOnce(&MomentHandle) -> Result<R>,
) -> R {
    entry(|ctx: &mut Ctx| {
        let cp = ctx.checkpoint(checkpoint, func)?;
        f(&cp)
    })
}

/// A new handle for the checkpoint `name` of domain handle `d`.
fn handle(d: &Arc<DomainHandle>, domain: virDomainPtr, name: String) -> virDomainCheckpointPtr {
    new_moment(&CHECKPOINTS, d, domain as usize, name).cast()
}

/// Creates a checkpoint of the domain (or redefines one).
///
/// # Safety
/// `xmlDesc` must be NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn virDomainCheckpointCreateXML(
    domain: virDomainPtr,
    xmlDesc: *const c_char,
    flags: c_uint,
) -> virDomainCheckpointPtr {
    const F: &str = "virDomainCheckpointCreateXML";
    const REDEFINE: Named = (
        VIR_DOMAIN_CHECKPOINT_CREATE_REDEFINE,
        "VIR_DOMAIN_CHECKPOINT_CREATE_REDEFINE",
    );
    with_dom(domain, F, |d| {
        // SAFETY: the caller's contract.
        let xml = unsafe { cstr::req(xmlDesc, FROM, F, "xmlDesc") }?;
        writable(&d.conn, FROM, F)?;
        let validate = (
            VIR_DOMAIN_CHECKPOINT_CREATE_REDEFINE_VALIDATE,
            "VIR_DOMAIN_CHECKPOINT_CREATE_REDEFINE_VALIDATE",
        );
        flags::requires(FROM, flags, validate, REDEFINE, F)?;
        let quiesce = (
            VIR_DOMAIN_CHECKPOINT_CREATE_QUIESCE,
            "VIR_DOMAIN_CHECKPOINT_CREATE_QUIESCE",
        );
        flags::exclusive(FROM, flags, REDEFINE, quiesce, F)?;
        let cp = d
            .conn
            .conn
            .driver()
            .checkpoint_create_xml(&d.reference(), xml, flags)?;
        Ok(handle(d, domain, cp.name))
    })
}

/// The checkpoint's XML (the caller frees it).
#[no_mangle]
pub extern "C" fn virDomainCheckpointGetXMLDesc(
    checkpoint: virDomainCheckpointPtr,
    flags: c_uint,
) -> *mut c_char {
    const F: &str = "virDomainCheckpointGetXMLDesc";
    with_cp(checkpoint, F, |cp| {
        if cp.dom.conn.conn.read_only() && flags & VIR_DOMAIN_CHECKPOINT_XML_SECURE != 0 {
            return Err(Error::with(
                FROM,
                VIR_ERR_OPERATION_DENIED,
                format!("{F} with secure flag"),
            ));
        }
        alloc_str(
            &cp.dom
                .conn
                .conn
                .driver()
                .checkpoint_get_xml_desc(&cp.reference(), flags)?,
        )
    })
}

/// Every checkpoint matching `flags`, as new handles when `checkpoints` is given.
///
/// # Safety
/// `checkpoints` must be NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn virDomainListAllCheckpoints(
    domain: virDomainPtr,
    checkpoints: *mut *mut virDomainCheckpointPtr,
    flags: c_uint,
) -> c_int {
    const F: &str = "virDomainListAllCheckpoints";
    entry(|ctx| {
        if !checkpoints.is_null() {
            // SAFETY: writable by the caller's contract; NULL whatever follows.
            unsafe { checkpoints.write(std::ptr::null_mut()) };
        }
        let d = ctx.dom(domain, F)?;
        let found = d
            .conn
            .conn
            .driver()
            .checkpoint_list(&d.reference(), None, flags, F)?;
        // SAFETY: the caller's contract.
        unsafe { hand_out(&CHECKPOINTS, &d, domain as usize, found, checkpoints) }
    })
}

/// A checkpoint's children, as new handles when `children` is given.
///
/// # Safety
/// `children` must be NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn virDomainCheckpointListAllChildren(
    checkpoint: virDomainCheckpointPtr,
    children: *mut *mut virDomainCheckpointPtr,
    flags: c_uint,
) -> c_int {
    const F: &str = "virDomainCheckpointListAllChildren";
    entry(|ctx| {
        if !children.is_null() {
            // SAFETY: writable by the caller's contract; NULL whatever follows.
            unsafe { children.write(std::ptr::null_mut()) };
        }
        let cp = ctx.checkpoint(checkpoint, F)?;
        let found =
            cp.dom
                .conn
                .conn
                .driver()
                .checkpoint_list(&cp.dom.reference(), Some(&cp.name), flags, F)?;
        // SAFETY: the caller's contract.
        unsafe { hand_out(&CHECKPOINTS, &cp.dom, cp.dom_ptr, found, children) }
    })
}

/// The checkpoint called `name`.
///
/// # Safety
/// `name` must be NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn virDomainCheckpointLookupByName(
    domain: virDomainPtr,
    name: *const c_char,
    flags: c_uint,
) -> virDomainCheckpointPtr {
    const F: &str = "virDomainCheckpointLookupByName";
    with_dom(domain, F, |d| {
        // SAFETY: the caller's contract.
        let name = unsafe { cstr::req(name, FROM, F, "name") }?;
        let cp = d
            .conn
            .conn
            .driver()
            .checkpoint_lookup_by_name(&d.reference(), name, flags)?;
        Ok(handle(d, domain, cp.name))
    })
}

/// The checkpoint's parent.
#[no_mangle]
pub extern "C" fn virDomainCheckpointGetParent(
    checkpoint: virDomainCheckpointPtr,
    flags: c_uint,
) -> virDomainCheckpointPtr {
    with_cp(checkpoint, "virDomainCheckpointGetParent", |cp| {
        let parent = cp
            .dom
            .conn
            .conn
            .driver()
            .checkpoint_get_parent(&cp.reference(), flags)?;
        Ok(new_moment(&CHECKPOINTS, &cp.dom, cp.dom_ptr, parent.name).cast())
    })
}

/// Deletes the checkpoint (with flags, its children too or only them).
#[no_mangle]
pub extern "C" fn virDomainCheckpointDelete(checkpoint: virDomainCheckpointPtr, flags: c_uint) -> c_int {
    const F: &str = "virDomainCheckpointDelete";
    with_cp(checkpoint, F, |cp| {
        writable(&cp.dom.conn, FROM, F)?;
        flags::exclusive(
            FROM,
            flags,
            (
                VIR_DOMAIN_CHECKPOINT_DELETE_CHILDREN,
                "VIR_DOMAIN_CHECKPOINT_DELETE_CHILDREN",
            ),
            (
                VIR_DOMAIN_CHECKPOINT_DELETE_CHILDREN_ONLY,
                "VIR_DOMAIN_CHECKPOINT_DELETE_CHILDREN_ONLY",
            ),
            F,
        )?;
        cp.dom
            .conn
            .conn
            .driver()
            .checkpoint_delete(&cp.reference(), flags)
            .map(|_| 0)
    })
}

/// Adds a reference to a checkpoint handle.
#[no_mangle]
pub extern "C" fn virDomainCheckpointRef(checkpoint: virDomainCheckpointPtr) -> c_int {
    moment_ref(
        &CHECKPOINTS,
        checkpoint.cast(),
        FROM,
        VIR_ERR_INVALID_DOMAIN_CHECKPOINT,
        "virDomainCheckpointRef",
    )
}

/// Drops a reference to a checkpoint handle.
#[no_mangle]
pub extern "C" fn virDomainCheckpointFree(checkpoint: virDomainCheckpointPtr) -> c_int {
    moment_free(
        &CHECKPOINTS,
        checkpoint.cast(),
        FROM,
        VIR_ERR_INVALID_DOMAIN_CHECKPOINT,
        "virDomainCheckpointFree",
    )
}

/// The checkpoint's name (owned by the handle).
#[no_mangle]
pub extern "C" fn virDomainCheckpointGetName(checkpoint: virDomainCheckpointPtr) -> *const c_char {
    with_cp(checkpoint, "virDomainCheckpointGetName", |cp| {
        Ok(cp.name_c.as_ptr())
    })
}

/// The domain a checkpoint belongs to (no new reference).
#[no_mangle]
pub extern "C" fn virDomainCheckpointGetDomain(checkpoint: virDomainCheckpointPtr) -> virDomainPtr {
    with_cp(checkpoint, "virDomainCheckpointGetDomain", |cp| {
        Ok(cp.dom_ptr as virDomainPtr)
    })
}

/// The connection a checkpoint belongs to (no new reference).
#[no_mangle]
pub extern "C" fn virDomainCheckpointGetConnect(checkpoint: virDomainCheckpointPtr) -> virConnectPtr {
    with_cp(checkpoint, "virDomainCheckpointGetConnect", |cp| {
        Ok(cp.dom.conn_ptr as virConnectPtr)
    })
}
