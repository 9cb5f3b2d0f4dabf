//! `libvirt-network.h`: networks (listing, lookup, lifecycle, XML), the free
//! function for DHCP leases, and the builder that allocates a lease the way
//! it expects (everything `malloc`ed).
#![allow(non_snake_case)]

use std::sync::Arc;

use crate::abi::*;
use crate::domain::Uuid;
use crate::error::{Error, Result};
use crate::ffi::boundary::{guarded, with_conn, writable, Failure};
use crate::ffi::common::{alloc_opt_str, alloc_str, alloc_zeroed, list_room, put_names};
use crate::ffi::cstr;
use crate::ffi::objects::{
    hand_out_objs, new_network, obj_free, obj_ref, with_obj, NetHandle, BAD_NETWORK, NETWORKS,
};

/// The fields of one lease, as a driver reports it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Lease<'a> {
    /// Network interface name.
    pub iface: &'a str,
    /// Seconds since the epoch when the lease expires.
    pub expirytime: i64,
    /// `virIPAddrType`.
    pub r#type: c_int,
    /// MAC address (libvirt leaves it NULL for some DHCPv6 leases).
    pub mac: Option<&'a str>,
    /// DHCPv6 IAID.
    pub iaid: Option<&'a str>,
    /// IP address.
    pub ipaddr: &'a str,
    /// Prefix length.
    pub prefix: c_uint,
    /// Host name.
    pub hostname: Option<&'a str>,
    /// Client ID or DUID.
    pub clientid: Option<&'a str>,
}

/// A `virNetworkDHCPLease` as `virNetworkGetDHCPLeases` returns each entry;
/// released with `virNetworkDHCPLeaseFree`.
pub fn new_dhcp_lease(lease: &Lease<'_>) -> Result<virNetworkDHCPLeasePtr> {
    let p = alloc_zeroed::<virNetworkDHCPLease>(1)?;
    // SAFETY: p is a zeroed, exclusively owned lease.
    let l = unsafe { &mut *p };
    l.expirytime = lease.expirytime;
    l.r#type = lease.r#type;
    l.prefix = lease.prefix;
    let filled = (|| {
        l.iface = alloc_str(lease.iface)?;
        l.mac = alloc_opt_str(lease.mac)?;
        l.iaid = alloc_opt_str(lease.iaid)?;
        l.ipaddr = alloc_str(lease.ipaddr)?;
        l.hostname = alloc_opt_str(lease.hostname)?;
        l.clientid = alloc_opt_str(lease.clientid)?;
        Ok(())
    })();
    if let Err(e) = filled {
        // SAFETY: our lease, its strings malloc'ed or NULL.
        unsafe { virNetworkDHCPLeaseFree(p) };
        return Err(e);
    }
    Ok(p)
}

/// Frees a lease and its strings (NULL is fine).
///
/// # Safety
/// C callers' contract of `virNetworkDHCPLeaseFree`: every string `malloc`ed or NULL.
#[no_mangle]
pub unsafe extern "C" fn virNetworkDHCPLeaseFree(lease: virNetworkDHCPLeasePtr) {
    guarded((), || {
        if lease.is_null() {
            return;
        }
        // SAFETY: the caller's lease; its strings malloc'ed or NULL.
        unsafe {
            let l = &*lease;
            for s in [l.iface, l.mac, l.iaid, l.ipaddr, l.hostname, l.clientid] {
                libc::free(s.cast());
            }
            libc::free(lease.cast());
        }
    })
}

/// Error domain of libvirt-network.h's functions.
const FROM: i32 = VIR_FROM_NETWORK;

/// Runs `f` on a valid network handle.
fn with_net<R: Failure>(
    network: virNetworkPtr,
    func: &str,
    f: impl FnOnce(&Arc<NetHandle>) -> Result<R>,
) -> R {
    with_obj(&NETWORKS, network.cast(), &BAD_NETWORK, func, f)
}

/// The UUID behind a `uuid` argument of `VIR_UUID_BUFLEN` bytes.
///
/// # Safety
/// `uuid` must be NULL or point to 16 bytes.
pub(crate) unsafe fn uuid_arg(uuid: *const c_uchar, from: i32, func: &str) -> Result<Uuid> {
    if uuid.is_null() {
        return Err(Error::null_arg(from, func, "uuid"));
    }
    let mut bytes = [0u8; 16];
    // SAFETY: 16 readable bytes by the caller's contract.
    bytes.copy_from_slice(unsafe { std::slice::from_raw_parts(uuid, 16) });
    Ok(Uuid(bytes))
}

/// The UUID behind a `uuidstr` argument.
///
/// # Safety
/// `uuidstr` must be NULL or a C string.
pub(crate) unsafe fn uuidstr_arg(uuidstr: *const c_char, from: i32, func: &str) -> Result<Uuid> {
    // SAFETY: the caller's contract.
    let text = unsafe { cstr::req(uuidstr, from, func, "uuidstr") }?;
    Uuid::parse(text).ok_or_else(|| {
        Error::arg_check(
            from,
            format!("uuidstr in {func} must be a valid UUID"),
            func,
            "uuidstr",
        )
    })
}

/// Writes a UUID into the caller's 16 bytes.
///
/// # Safety
/// `uuid` must be NULL or have room for 16 bytes.
pub(crate) unsafe fn put_uuid(uuid: *mut c_uchar, value: &Uuid, from: i32, func: &str) -> Result<c_int> {
    if uuid.is_null() {
        return Err(Error::null_arg(from, func, "uuid"));
    }
    // SAFETY: room for 16 bytes by the caller's contract.
    unsafe { std::ptr::copy_nonoverlapping(value.0.as_ptr(), uuid, 16) };
    Ok(0)
}

/// Writes a UUID as text into the caller's `VIR_UUID_STRING_BUFLEN` bytes.
///
/// # Safety
/// `buf` must be NULL or have room for 37 bytes.
pub(crate) unsafe fn put_uuid_string(buf: *mut c_char, value: &Uuid, from: i32, func: &str) -> Result<c_int> {
    if buf.is_null() {
        return Err(Error::null_arg(from, func, "buf"));
    }
    // SAFETY: room for VIR_UUID_STRING_BUFLEN bytes by the caller's contract.
    let out = unsafe { std::slice::from_raw_parts_mut(buf, VIR_UUID_STRING_BUFLEN) };
    cstr::fill(out, &value.to_string());
    Ok(0)
}

/// How many networks are active.
#[no_mangle]
pub extern "C" fn virConnectNumOfNetworks(conn: virConnectPtr) -> c_int {
    with_conn(conn, "virConnectNumOfNetworks", FROM, |c| {
        Ok(c.conn.driver().list_networks(true)?.len() as c_int)
    })
}

/// How many networks are defined but inactive.
#[no_mangle]
pub extern "C" fn virConnectNumOfDefinedNetworks(conn: virConnectPtr) -> c_int {
    with_conn(conn, "virConnectNumOfDefinedNetworks", FROM, |c| {
        Ok(c.conn.driver().list_networks(false)?.len() as c_int)
    })
}

/// Names of active networks, at most `maxnames` (the caller frees each).
///
/// # Safety
/// `names` must be NULL or have room for `maxnames` pointers.
#[no_mangle]
pub unsafe extern "C" fn virConnectListNetworks(
    conn: virConnectPtr,
    names: *mut *mut c_char,
    maxnames: c_int,
) -> c_int {
    const F: &str = "virConnectListNetworks";
    with_conn(conn, F, FROM, |c| {
        let room = list_room(FROM, names.is_null(), maxnames, F, "names", "maxnames")?;
        // SAFETY: the caller's contract.
        unsafe { put_names(names, room, &c.conn.driver().list_networks(true)?) }
    })
}

/// Names of inactive networks, at most `maxnames` (the caller frees each).
///
/// # Safety
/// `names` must be NULL or have room for `maxnames` pointers.
#[no_mangle]
pub unsafe extern "C" fn virConnectListDefinedNetworks(
    conn: virConnectPtr,
    names: *mut *mut c_char,
    maxnames: c_int,
) -> c_int {
    const F: &str = "virConnectListDefinedNetworks";
    with_conn(conn, F, FROM, |c| {
        let room = list_room(FROM, names.is_null(), maxnames, F, "names", "maxnames")?;
        // SAFETY: the caller's contract.
        unsafe { put_names(names, room, &c.conn.driver().list_networks(false)?) }
    })
}

/// Every network matching `flags`, as new handles when `nets` is non-NULL.
///
/// # Safety
/// `nets` must be NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn virConnectListAllNetworks(
    conn: virConnectPtr,
    nets: *mut *mut virNetworkPtr,
    flags: c_uint,
) -> c_int {
    with_conn(conn, "virConnectListAllNetworks", FROM, |c| {
        if !nets.is_null() {
            // SAFETY: writable by the caller's contract; NULL whatever happens next.
            unsafe { nets.write(std::ptr::null_mut()) };
        }
        let found = c.conn.driver().list_all_networks(flags)?;
        // SAFETY: the caller's contract.
        unsafe { hand_out_objs(&NETWORKS, found, nets, |r| new_network(c, conn as usize, r)) }
    })
}

/// Looks up a network by name.
///
/// # Safety
/// `name` must be NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn virNetworkLookupByName(conn: virConnectPtr, name: *const c_char) -> virNetworkPtr {
    const F: &str = "virNetworkLookupByName";
    with_conn(conn, F, FROM, |c| {
        // SAFETY: the caller's contract.
        let name = unsafe { cstr::req(name, FROM, F, "name") }?;
        Ok(new_network(
            c,
            conn as usize,
            c.conn.driver().network_lookup_by_name(name)?,
        ))
    })
}

/// Looks up a network by UUID.
///
/// # Safety
/// `uuid` must be NULL or point to 16 bytes.
#[no_mangle]
pub unsafe extern "C" fn virNetworkLookupByUUID(conn: virConnectPtr, uuid: *const c_uchar) -> virNetworkPtr {
    const F: &str = "virNetworkLookupByUUID";
    with_conn(conn, F, FROM, |c| {
        // SAFETY: the caller's contract.
        let uuid = unsafe { uuid_arg(uuid, FROM, F) }?;
        Ok(new_network(
            c,
            conn as usize,
            c.conn.driver().network_lookup_by_uuid(&uuid)?,
        ))
    })
}

/// Looks up a network by UUID in text form.
///
/// # Safety
/// `uuidstr` must be NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn virNetworkLookupByUUIDString(
    conn: virConnectPtr,
    uuidstr: *const c_char,
) -> virNetworkPtr {
    const F: &str = "virNetworkLookupByUUIDString";
    with_conn(conn, F, FROM, |c| {
        // SAFETY: the caller's contract.
        let uuid = unsafe { uuidstr_arg(uuidstr, FROM, F) }?;
        Ok(new_network(
            c,
            conn as usize,
            c.conn.driver().network_lookup_by_uuid(&uuid)?,
        ))
    })
}

/// Defines (or redefines) a persistent network, checked as `func`.
///
/// # Safety
/// `xml` must be NULL or a C string.
unsafe fn define(conn: virConnectPtr, xml: *const c_char, flags: c_uint, func: &str) -> virNetworkPtr {
    with_conn(conn, func, FROM, |c| {
        writable(c, FROM, func)?;
        // SAFETY: the caller's contract.
        let xml = unsafe { cstr::req(xml, FROM, func, "xml") }?;
        Ok(new_network(
            c,
            conn as usize,
            c.conn.driver().network_define_xml(xml, flags)?,
        ))
    })
}

/// Defines (or redefines) a persistent network.
///
/// # Safety
/// `xml` must be NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn virNetworkDefineXML(conn: virConnectPtr, xml: *const c_char) -> virNetworkPtr {
    // SAFETY: the caller's contract.
    unsafe { define(conn, xml, 0, "virNetworkDefineXML") }
}

/// Defines (or redefines) a persistent network, with flags.
///
/// # Safety
/// `xml` must be NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn virNetworkDefineXMLFlags(
    conn: virConnectPtr,
    xml: *const c_char,
    flags: c_uint,
) -> virNetworkPtr {
    // SAFETY: the caller's contract.
    unsafe { define(conn, xml, flags, "virNetworkDefineXMLFlags") }
}

/// Creates and starts a network, checked as `func`.
///
/// # Safety
/// `xml_desc` must be NULL or a C string.
unsafe fn create_xml(
    conn: virConnectPtr,
    xml_desc: *const c_char,
    flags: c_uint,
    func: &str,
) -> virNetworkPtr {
    with_conn(conn, func, FROM, |c| {
        writable(c, FROM, func)?;
        // SAFETY: the caller's contract.
        let xml = unsafe { cstr::req(xml_desc, FROM, func, "xmlDesc") }?;
        Ok(new_network(
            c,
            conn as usize,
            c.conn.driver().network_create_xml(xml, flags)?,
        ))
    })
}

/// Creates and starts a transient network.
///
/// # Safety
/// `xmlDesc` must be NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn virNetworkCreateXML(conn: virConnectPtr, xmlDesc: *const c_char) -> virNetworkPtr {
    // SAFETY: the caller's contract.
    unsafe { create_xml(conn, xmlDesc, 0, "virNetworkCreateXML") }
}

/// Creates and starts a transient network, with flags.
///
/// # Safety
/// `xmlDesc` must be NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn virNetworkCreateXMLFlags(
    conn: virConnectPtr,
    xmlDesc: *const c_char,
    flags: c_uint,
) -> virNetworkPtr {
    // SAFETY: the caller's contract.
    unsafe { create_xml(conn, xmlDesc, flags, "virNetworkCreateXMLFlags") }
}

/// Adds a reference to a network handle.
#[no_mangle]
pub extern "C" fn virNetworkRef(network: virNetworkPtr) -> c_int {
    obj_ref(&NETWORKS, network.cast(), &BAD_NETWORK, "virNetworkRef")
}

/// Drops a reference to a network handle.
#[no_mangle]
pub extern "C" fn virNetworkFree(network: virNetworkPtr) -> c_int {
    obj_free(&NETWORKS, network.cast(), &BAD_NETWORK, "virNetworkFree")
}

/// The network's name (owned by the handle).
#[no_mangle]
pub extern "C" fn virNetworkGetName(network: virNetworkPtr) -> *const c_char {
    with_net(network, "virNetworkGetName", |n| Ok(n.name.as_ptr()))
}

/// Writes the network's UUID (16 bytes) into `uuid`.
///
/// # Safety
/// `uuid` must be NULL or have room for 16 bytes.
#[no_mangle]
pub unsafe extern "C" fn virNetworkGetUUID(network: virNetworkPtr, uuid: *mut c_uchar) -> c_int {
    const F: &str = "virNetworkGetUUID";
    // SAFETY: the caller's contract.
    with_net(network, F, |n| unsafe { put_uuid(uuid, &n.obj.uuid, FROM, F) })
}

/// Writes the network's UUID as text into `buf`.
///
/// # Safety
/// `buf` must be NULL or have room for 37 bytes.
#[no_mangle]
pub unsafe extern "C" fn virNetworkGetUUIDString(network: virNetworkPtr, buf: *mut c_char) -> c_int {
    const F: &str = "virNetworkGetUUIDString";
    // SAFETY: the caller's contract.
    with_net(network, F, |n| unsafe {
        put_uuid_string(buf, &n.obj.uuid, FROM, F)
    })
}

/// The connection the network handle belongs to.
#[no_mangle]
pub extern "C" fn virNetworkGetConnect(net: virNetworkPtr) -> virConnectPtr {
    with_net(net, "virNetworkGetConnect", |n| Ok(n.conn_ptr as virConnectPtr))
}

/// Removes a network's persistent configuration.
#[no_mangle]
pub extern "C" fn virNetworkUndefine(network: virNetworkPtr) -> c_int {
    const F: &str = "virNetworkUndefine";
    with_net(network, F, |n| {
        writable(&n.conn, FROM, F)?;
        n.conn.conn.driver().network_undefine(&n.obj).map(|_| 0)
    })
}

/// Starts a defined network.
#[no_mangle]
pub extern "C" fn virNetworkCreate(network: virNetworkPtr) -> c_int {
    const F: &str = "virNetworkCreate";
    with_net(network, F, |n| {
        writable(&n.conn, FROM, F)?;
        n.conn.conn.driver().network_create(&n.obj, 0).map(|_| 0)
    })
}

/// Stops a network.
#[no_mangle]
pub extern "C" fn virNetworkDestroy(network: virNetworkPtr) -> c_int {
    const F: &str = "virNetworkDestroy";
    with_net(network, F, |n| {
        writable(&n.conn, FROM, F)?;
        n.conn.conn.driver().network_destroy(&n.obj).map(|_| 0)
    })
}

/// The network's XML (the caller frees it).
#[no_mangle]
pub extern "C" fn virNetworkGetXMLDesc(network: virNetworkPtr, flags: c_uint) -> *mut c_char {
    with_net(network, "virNetworkGetXMLDesc", |n| {
        alloc_str(&n.conn.conn.driver().network_get_xml_desc(&n.obj, flags)?)
    })
}

/// The network's bridge device (the caller frees it).
#[no_mangle]
pub extern "C" fn virNetworkGetBridgeName(network: virNetworkPtr) -> *mut c_char {
    with_net(network, "virNetworkGetBridgeName", |n| {
        alloc_str(&n.conn.conn.driver().network_get_bridge_name(&n.obj)?)
    })
}

/// Whether the network starts with the host, into `autostart`.
///
/// # Safety
/// `autostart` must be NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn virNetworkGetAutostart(network: virNetworkPtr, autostart: *mut c_int) -> c_int {
    const F: &str = "virNetworkGetAutostart";
    with_net(network, F, |n| {
        if autostart.is_null() {
            return Err(Error::null_arg(FROM, F, "autostart"));
        }
        let on = n.conn.conn.driver().network_get_autostart(&n.obj)?;
        // SAFETY: writable by the caller's contract.
        unsafe { autostart.write(c_int::from(on)) };
        Ok(0)
    })
}

/// Sets whether the network starts with the host.
#[no_mangle]
pub extern "C" fn virNetworkSetAutostart(network: virNetworkPtr, autostart: c_int) -> c_int {
    const F: &str = "virNetworkSetAutostart";
    with_net(network, F, |n| {
        writable(&n.conn, FROM, F)?;
        n.conn
            .conn
            .driver()
            .network_set_autostart(&n.obj, autostart != 0)
            .map(|_| 0)
    })
}

/// 1 when the network is running, 0 otherwise.
#[no_mangle]
pub extern "C" fn virNetworkIsActive(net: virNetworkPtr) -> c_int {
    with_net(net, "virNetworkIsActive", |n| {
        Ok(c_int::from(n.conn.conn.driver().network_is_active(&n.obj)?))
    })
}

/// 1 when the network has a persistent configuration, 0 otherwise.
#[no_mangle]
pub extern "C" fn virNetworkIsPersistent(net: virNetworkPtr) -> c_int {
    with_net(net, "virNetworkIsPersistent", |n| {
        Ok(c_int::from(n.conn.conn.driver().network_is_persistent(&n.obj)?))
    })
}
