//! `libvirt-interface.h`: the host's interfaces (listing, lookup, XML, state)
//! and their handles.  Defining, starting and transactions stay stubs.
#![allow(non_snake_case)]

use std::sync::Arc;

use crate::abi::*;
use crate::error::Result;
use crate::ffi::boundary::{with_conn, Failure};
use crate::ffi::common::{alloc_str, list_room, put_names};
use crate::ffi::cstr;
use crate::ffi::objects::{
    new_interface, obj_free, obj_ref, with_obj, IfaceHandle, BAD_INTERFACE, INTERFACES,
};

/// Error domain of libvirt-interface.h's functions.
const FROM: i32 = VIR_FROM_INTERFACE;

/// Runs `f` on a valid interface handle.
fn with_iface<R: Failure>(
    iface: virInterfacePtr,
    func: &str,
    f: impl FnOnce(&Arc<IfaceHandle>) -> Result<R>,
) -> R {
    with_obj(&INTERFACES, iface.cast(), &BAD_INTERFACE, func, f)
}

/// How many host interfaces are active.
#[no_mangle]
pub extern "C" fn virConnectNumOfInterfaces(conn: virConnectPtr) -> c_int {
    with_conn(conn, "virConnectNumOfInterfaces", FROM, |c| {
        Ok(c.conn.driver().list_interfaces(true)?.len() as c_int)
    })
}

/// How many host interfaces are defined but inactive.
#[no_mangle]
pub extern "C" fn virConnectNumOfDefinedInterfaces(conn: virConnectPtr) -> c_int {
    with_conn(conn, "virConnectNumOfDefinedInterfaces", FROM, |c| {
        Ok(c.conn.driver().list_interfaces(false)?.len() as c_int)
    })
}

/// Names of active host interfaces, at most `maxnames` (the caller frees each).
///
/// # Safety
/// `names` must be NULL or have room for `maxnames` pointers.
#[no_mangle]
pub unsafe extern "C" fn virConnectListInterfaces(
    conn: virConnectPtr,
    names: *mut *mut c_char,
    maxnames: c_int,
) -> c_int {
    const F: &str = "virConnectListInterfaces";
    with_conn(conn, F, FROM, |c| {
        let room = list_room(FROM, names.is_null(), maxnames, F, "names", "maxnames")?;
        // SAFETY: the caller's contract.
        unsafe { put_names(names, room, &c.conn.driver().list_interfaces(true)?) }
    })
}

/// Names of inactive host interfaces, at most `maxnames` (the caller frees each).
///
/// # Safety
/// `names` must be NULL or have room for `maxnames` pointers.
#[no_mangle]
pub unsafe extern "C" fn virConnectListDefinedInterfaces(
    conn: virConnectPtr,
    names: *mut *mut c_char,
    maxnames: c_int,
) -> c_int {
    const F: &str = "virConnectListDefinedInterfaces";
    with_conn(conn, F, FROM, |c| {
        let room = list_room(FROM, names.is_null(), maxnames, F, "names", "maxnames")?;
        // SAFETY: the caller's contract.
        unsafe { put_names(names, room, &c.conn.driver().list_interfaces(false)?) }
    })
}

/// Looks up a host interface by name.
///
/// # Safety
/// `name` must be NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn virInterfaceLookupByName(
    conn: virConnectPtr,
    name: *const c_char,
) -> virInterfacePtr {
    const F: &str = "virInterfaceLookupByName";
    with_conn(conn, F, FROM, |c| {
        // SAFETY: the caller's contract.
        let name = unsafe { cstr::req(name, FROM, F, "name") }?;
        Ok(new_interface(
            c,
            conn as usize,
            c.conn.driver().interface_lookup_by_name(name)?,
        ))
    })
}

/// Looks up a host interface by MAC address.
///
/// # Safety
/// `macstr` must be NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn virInterfaceLookupByMACString(
    conn: virConnectPtr,
    macstr: *const c_char,
) -> virInterfacePtr {
    const F: &str = "virInterfaceLookupByMACString";
    with_conn(conn, F, FROM, |c| {
        // SAFETY: the caller's contract.
        let mac = unsafe { cstr::req(macstr, FROM, F, "macstr") }?;
        Ok(new_interface(
            c,
            conn as usize,
            c.conn.driver().interface_lookup_by_mac(mac)?,
        ))
    })
}

/// Adds a reference to an interface handle.
#[no_mangle]
pub extern "C" fn virInterfaceRef(iface: virInterfacePtr) -> c_int {
    obj_ref(&INTERFACES, iface.cast(), &BAD_INTERFACE, "virInterfaceRef")
}

/// Drops a reference to an interface handle.
#[no_mangle]
pub extern "C" fn virInterfaceFree(iface: virInterfacePtr) -> c_int {
    obj_free(&INTERFACES, iface.cast(), &BAD_INTERFACE, "virInterfaceFree")
}

/// The interface's name (owned by the handle).
#[no_mangle]
pub extern "C" fn virInterfaceGetName(iface: virInterfacePtr) -> *const c_char {
    with_iface(iface, "virInterfaceGetName", |i| Ok(i.name.as_ptr()))
}

/// The interface's MAC address (owned by the handle).
#[no_mangle]
pub extern "C" fn virInterfaceGetMACString(iface: virInterfacePtr) -> *const c_char {
    with_iface(iface, "virInterfaceGetMACString", |i| Ok(i.key.as_ptr()))
}

/// The connection the interface handle belongs to.
#[no_mangle]
pub extern "C" fn virInterfaceGetConnect(iface: virInterfacePtr) -> virConnectPtr {
    with_iface(iface, "virInterfaceGetConnect", |i| {
        Ok(i.conn_ptr as virConnectPtr)
    })
}

/// The interface's XML (the caller frees it).
#[no_mangle]
pub extern "C" fn virInterfaceGetXMLDesc(iface: virInterfacePtr, flags: c_uint) -> *mut c_char {
    with_iface(iface, "virInterfaceGetXMLDesc", |i| {
        alloc_str(&i.conn.conn.driver().interface_get_xml_desc(&i.obj, flags)?)
    })
}

/// 1 if the interface is up, 0 if not.
#[no_mangle]
pub extern "C" fn virInterfaceIsActive(iface: virInterfacePtr) -> c_int {
    with_iface(iface, "virInterfaceIsActive", |i| {
        Ok(c_int::from(i.conn.conn.driver().interface_is_active(&i.obj)?))
    })
}
