//! `libvirt-interface.h`: the host's interfaces (listing, lookup, XML, state,
//! definition, up/down, configuration transactions) and their handles.
#![allow(non_snake_case)]

use std::sync::Arc;

use crate::abi::*;
use crate::error::Result;
use crate::ffi::boundary::{with_conn, writable, Failure};
use crate::ffi::common::{alloc_str, list_room, put_names};
use crate::ffi::cstr;
use crate::ffi::objects::{
    hand_out_objs, new_interface, obj_free, obj_ref, with_obj, IfaceHandle, BAD_INTERFACE, INTERFACES,
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

/// Every host interface matching `flags`, as new handles when `ifaces` is non-NULL.
///
/// # Safety
/// `ifaces` must be NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn virConnectListAllInterfaces(
    conn: virConnectPtr,
    ifaces: *mut *mut virInterfacePtr,
    flags: c_uint,
) -> c_int {
    with_conn(conn, "virConnectListAllInterfaces", FROM, |c| {
        if !ifaces.is_null() {
            // SAFETY: writable by the caller's contract; NULL whatever happens next.
            unsafe { ifaces.write(std::ptr::null_mut()) };
        }
        let found = c.conn.driver().list_all_interfaces(flags)?;
        // SAFETY: the caller's contract.
        unsafe { hand_out_objs(&INTERFACES, found, ifaces, |r| new_interface(c, conn as usize, r)) }
    })
}

/// Defines (or redefines) a host interface.
///
/// # Safety
/// `xml` must be NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn virInterfaceDefineXML(
    conn: virConnectPtr,
    xml: *const c_char,
    flags: c_uint,
) -> virInterfacePtr {
    const F: &str = "virInterfaceDefineXML";
    with_conn(conn, F, FROM, |c| {
        writable(c, FROM, F)?;
        // SAFETY: the caller's contract.
        let xml = unsafe { cstr::req(xml, FROM, F, "xml") }?;
        Ok(new_interface(
            c,
            conn as usize,
            c.conn.driver().interface_define_xml(xml, flags)?,
        ))
    })
}

/// Removes a host interface's definition.
#[no_mangle]
pub extern "C" fn virInterfaceUndefine(iface: virInterfacePtr) -> c_int {
    const F: &str = "virInterfaceUndefine";
    with_iface(iface, F, |i| {
        writable(&i.conn, FROM, F)?;
        i.conn.conn.driver().interface_undefine(&i.obj).map(|_| 0)
    })
}

/// Brings a host interface up.
#[no_mangle]
pub extern "C" fn virInterfaceCreate(iface: virInterfacePtr, flags: c_uint) -> c_int {
    const F: &str = "virInterfaceCreate";
    with_iface(iface, F, |i| {
        writable(&i.conn, FROM, F)?;
        i.conn.conn.driver().interface_create(&i.obj, flags).map(|_| 0)
    })
}

/// Takes a host interface down.
#[no_mangle]
pub extern "C" fn virInterfaceDestroy(iface: virInterfacePtr, flags: c_uint) -> c_int {
    const F: &str = "virInterfaceDestroy";
    with_iface(iface, F, |i| {
        writable(&i.conn, FROM, F)?;
        i.conn.conn.driver().interface_destroy(&i.obj, flags).map(|_| 0)
    })
}

/// Runs one of the three transaction calls after libvirt's checks.
fn change(
    conn: virConnectPtr,
    func: &str,
    f: impl FnOnce(&dyn crate::driver::Driver) -> Result<()>,
) -> c_int {
    with_conn(conn, func, FROM, |c| {
        writable(c, FROM, func)?;
        f(c.conn.driver()).map(|_| 0)
    })
}

/// Starts a transaction over the host's interface configuration.
#[no_mangle]
pub extern "C" fn virInterfaceChangeBegin(conn: virConnectPtr, flags: c_uint) -> c_int {
    change(conn, "virInterfaceChangeBegin", |d| {
        d.interface_change_begin(flags)
    })
}

/// Keeps the interface changes made since the transaction began.
#[no_mangle]
pub extern "C" fn virInterfaceChangeCommit(conn: virConnectPtr, flags: c_uint) -> c_int {
    change(conn, "virInterfaceChangeCommit", |d| {
        d.interface_change_commit(flags)
    })
}

/// Returns the host's interfaces to where the transaction began.
#[no_mangle]
pub extern "C" fn virInterfaceChangeRollback(conn: virConnectPtr, flags: c_uint) -> c_int {
    change(conn, "virInterfaceChangeRollback", |d| {
        d.interface_change_rollback(flags)
    })
}
