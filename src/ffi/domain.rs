//! `libvirt-domain.h`: the free functions for the structs domain APIs hand
//! out, and the builders that allocate those structs the way the free
//! functions expect (everything `malloc`ed, so libvirt's callers may also
//! release parts with `free()`).
//!
//! The future exports (`virDomainGetFSInfo`, `virDomainGetIOThreadInfo`,
//! `virDomainInterfaceAddresses`, `virConnectGetAllDomainStats`, ...) take
//! safe data from their driver and build the C result with these builders.
#![allow(non_snake_case)]

use std::ffi::CString;
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::abi::*;
use crate::domain::Uuid;
use crate::domain_events::{DomainEvent, Subscription};
use crate::driver::{DomainRef, Driver, MetadataEdit};
use crate::error::{Error, Result};
use crate::ffi::boundary::{entry, guarded, with_conn, with_dom, writable, Failure};
use crate::ffi::common::{
    alloc_array, alloc_opt_str, alloc_ptr_array, alloc_str, alloc_zeroed, fill_params, list_room,
    params_from_c, params_to_c, put_names, virTypedParamsFree,
};
use crate::ffi::cstr;
use crate::ffi::flags::{self, Named, CONFIG, LIVE};
use crate::ffi::handle::{new_domain, release_domain, ConnHandle, DomainHandle, CONNECTIONS, DOMAINS};
use crate::ffi::objects::STREAMS;
use crate::typed_params::TypedParam;

/// Releases the reference a returned `virDomainStatsRecord` holds on its
/// domain, as libvirt does with `virDomainFree` (including its error for a
/// NULL or unknown handle, reported to the error callbacks).
pub fn release_domain_ref(dom: virDomainPtr) {
    virDomainFree(dom);
}

/// Runs `fill` on a freshly zeroed struct; if it fails, `free` releases what
/// it had allocated so far (free functions accept NULL fields).
fn build<T>(fill: impl FnOnce(&mut T) -> Result<()>, free: unsafe extern "C" fn(*mut T)) -> Result<*mut T> {
    let p = alloc_zeroed::<T>(1)?;
    // SAFETY: p is a zeroed, exclusively owned T.
    if let Err(e) = fill(unsafe { &mut *p }) {
        // SAFETY: p is ours, its fields NULL or malloc'ed by `fill`.
        unsafe { free(p) };
        return Err(e);
    }
    Ok(p)
}

/// A `virDomainFSInfo` as `virDomainGetFSInfo` returns each entry; released
/// with `virDomainFSInfoFree`.
pub fn new_fs_info(
    mountpoint: &str,
    name: &str,
    fstype: &str,
    dev_aliases: &[&str],
) -> Result<virDomainFSInfoPtr> {
    build(
        |info: &mut virDomainFSInfo| {
            info.mountpoint = alloc_str(mountpoint)?;
            info.name = alloc_str(name)?;
            info.fstype = alloc_str(fstype)?;
            info.devAlias = alloc_zeroed::<*mut c_char>(dev_aliases.len())?;
            info.ndevAlias = dev_aliases.len();
            for (i, alias) in dev_aliases.iter().enumerate() {
                // SAFETY: devAlias holds ndevAlias zeroed pointers.
                unsafe { *info.devAlias.add(i) = alloc_str(alias)? };
            }
            Ok(())
        },
        virDomainFSInfoFree,
    )
}

/// A `virDomainIOThreadInfo` as `virDomainGetIOThreadInfo` returns each
/// entry; released with `virDomainIOThreadInfoFree`.
pub fn new_iothread_info(iothread_id: u32, cpumap: &[u8]) -> Result<virDomainIOThreadInfoPtr> {
    build(
        |info: &mut virDomainIOThreadInfo| {
            info.iothread_id = iothread_id;
            info.cpumaplen = c_int::try_from(cpumap.len())
                .map_err(|_| Error::internal(VIR_FROM_DOMAIN, "cpumap too large"))?;
            info.cpumap = alloc_array(cpumap)?;
            Ok(())
        },
        virDomainIOThreadInfoFree,
    )
}

/// One address of a [`new_interface`]: `virIPAddrType`, text form, prefix length.
pub type IpAddr<'a> = (c_int, &'a str, c_uint);

/// A `virDomainInterface` as `virDomainInterfaceAddresses` returns each
/// entry; released with `virDomainInterfaceFree`.
pub fn new_interface(
    name: &str,
    hwaddr: Option<&str>,
    addrs: &[IpAddr<'_>],
) -> Result<virDomainInterfacePtr> {
    build(
        |iface: &mut virDomainInterface| {
            iface.name = alloc_str(name)?;
            iface.hwaddr = alloc_opt_str(hwaddr)?;
            iface.addrs = alloc_zeroed::<virDomainIPAddress>(addrs.len())?;
            iface.naddrs = c_uint::try_from(addrs.len())
                .map_err(|_| Error::internal(VIR_FROM_DOMAIN, "too many addresses"))?;
            for (i, &(ty, addr, prefix)) in addrs.iter().enumerate() {
                // SAFETY: addrs holds naddrs zeroed entries.
                let slot = unsafe { &mut *iface.addrs.add(i) };
                slot.r#type = ty;
                slot.prefix = prefix;
                slot.addr = alloc_str(addr)?;
            }
            Ok(())
        },
        virDomainInterfaceFree,
    )
}

/// The NULL-terminated record list `virConnectGetAllDomainStats` and
/// `virDomainListGetStats` return, each record owning its domain reference
/// and its parameters; released with `virDomainStatsRecordListFree`.  On
/// failure the domain references are released too.
pub fn new_stats_record_list(
    records: &[(virDomainPtr, Vec<TypedParam>)],
) -> Result<*mut virDomainStatsRecordPtr> {
    let list = match alloc_zeroed::<virDomainStatsRecordPtr>(records.len() + 1) {
        Ok(list) => list,
        Err(e) => {
            records.iter().for_each(|(dom, _)| release_domain_ref(*dom));
            return Err(e);
        }
    };
    for (i, (dom, params)) in records.iter().enumerate() {
        match new_stats_record(*dom, params) {
            // SAFETY: list holds records.len() + 1 zeroed slots.
            Ok(rec) => unsafe { *list.add(i) = rec },
            Err(e) => {
                // Records already in the list release their own domains.
                records[i..].iter().for_each(|(dom, _)| release_domain_ref(*dom));
                // SAFETY: a NULL-terminated list of our records.
                unsafe { virDomainStatsRecordListFree(list) };
                return Err(e);
            }
        }
    }
    Ok(list)
}

/// One record of [`new_stats_record_list`]; the domain reference is not
/// consumed on failure.
fn new_stats_record(dom: virDomainPtr, params: &[TypedParam]) -> Result<virDomainStatsRecordPtr> {
    let (array, n) = params_to_c(params)?;
    match alloc_zeroed::<virDomainStatsRecord>(1) {
        Ok(rec) => {
            // SAFETY: rec is a freshly allocated record.
            unsafe {
                rec.write(virDomainStatsRecord {
                    dom,
                    params: array,
                    nparams: n,
                })
            };
            Ok(rec)
        }
        Err(e) => {
            // SAFETY: the array params_to_c just built.
            unsafe { virTypedParamsFree(array, n) };
            Err(e)
        }
    }
}

/// Frees a `virDomainFSInfo` and everything it points to (NULL is fine).
///
/// # Safety
/// C callers' contract of `virDomainFSInfoFree`: a struct built as libvirt
/// builds it (every pointer `malloc`ed or NULL).
#[no_mangle]
pub unsafe extern "C" fn virDomainFSInfoFree(info: virDomainFSInfoPtr) {
    guarded((), || {
        if info.is_null() {
            return;
        }
        // SAFETY: the caller's struct; every pointer malloc'ed or NULL, devAlias
        // holding ndevAlias of them.
        unsafe {
            let i = &*info;
            for p in [i.mountpoint, i.name, i.fstype] {
                libc::free(p.cast());
            }
            if !i.devAlias.is_null() {
                for k in 0..i.ndevAlias {
                    libc::free((*i.devAlias.add(k)).cast());
                }
            }
            libc::free(i.devAlias.cast());
            libc::free(info.cast());
        }
    })
}

/// Frees a `virDomainIOThreadInfo` and its CPU map (NULL is fine).
///
/// # Safety
/// C callers' contract of `virDomainIOThreadInfoFree`.
#[no_mangle]
pub unsafe extern "C" fn virDomainIOThreadInfoFree(info: virDomainIOThreadInfoPtr) {
    guarded((), || {
        if info.is_null() {
            return;
        }
        // SAFETY: the caller's struct with a malloc'ed (or NULL) map.
        unsafe {
            libc::free((*info).cpumap.cast());
            libc::free(info.cast());
        }
    })
}

/// Frees a `virDomainInterface`, its strings and addresses (NULL is fine).
///
/// # Safety
/// C callers' contract of `virDomainInterfaceFree`.
#[no_mangle]
pub unsafe extern "C" fn virDomainInterfaceFree(iface: virDomainInterfacePtr) {
    guarded((), || {
        if iface.is_null() {
            return;
        }
        // SAFETY: the caller's struct; addrs holds naddrs entries whose
        // strings, like the others, are malloc'ed or NULL.
        unsafe {
            let i = &*iface;
            libc::free(i.name.cast());
            libc::free(i.hwaddr.cast());
            if !i.addrs.is_null() {
                for k in 0..i.naddrs as usize {
                    libc::free((*i.addrs.add(k)).addr.cast());
                }
            }
            libc::free(i.addrs.cast());
            libc::free(iface.cast());
        }
    })
}

/// Frees a NULL-terminated list of stats records: each record's domain
/// reference (see [`release_domain_ref`]), parameters and the record, then
/// the list (NULL is fine).
///
/// # Safety
/// C callers' contract of `virDomainStatsRecordListFree`.
#[no_mangle]
pub unsafe extern "C" fn virDomainStatsRecordListFree(stats: *mut virDomainStatsRecordPtr) {
    guarded((), || {
        if stats.is_null() {
            return;
        }
        // SAFETY: a NULL-terminated array of malloc'ed records whose params
        // are typed-parameter arrays of nparams elements.
        unsafe {
            let mut k = 0;
            loop {
                let rec = *stats.add(k);
                if rec.is_null() {
                    break;
                }
                release_domain_ref((*rec).dom);
                virTypedParamsFree((*rec).params, (*rec).nparams);
                libc::free(rec.cast());
                k += 1;
            }
            libc::free(stats.cast());
        }
    })
}

/// Statistics of the given domains.  The list is checked before the driver is
/// asked, as libvirt does.
///
/// # Safety
/// `doms` must be NULL or a NULL-terminated array of domain handles;
/// `retStats` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn virDomainListGetStats(
    doms: *mut virDomainPtr,
    stats: c_uint,
    retStats: *mut *mut virDomainStatsRecordPtr,
    flags: c_uint,
) -> c_int {
    let func = "virDomainListGetStats";
    entry(|ctx| {
        if doms.is_null() {
            return Err(Error::null_arg(FROM, func, "doms"));
        }
        if retStats.is_null() {
            return Err(Error::null_arg(FROM, func, "retStats"));
        }
        // SAFETY: non-NULL, so it holds at least the terminating NULL.
        let first = unsafe { *doms };
        if first.is_null() {
            return Err(Error::invalid_arg(
                FROM,
                format!("doms array in {func} must contain at least one domain"),
            ));
        }
        let lead = ctx.dom(first, func)?;
        let mut list = Vec::new();
        for i in 0.. {
            // SAFETY: NULL-terminated by the caller's contract.
            let p = unsafe { *doms.add(i) };
            if p.is_null() {
                break;
            }
            let d = ctx.dom(p, func)?;
            if !Arc::ptr_eq(&d.conn, &lead.conn) {
                return Err(Error::invalid_arg(
                    FROM,
                    "domains in 'doms' array must belong to a single connection",
                ));
            }
            list.push(d.reference());
        }
        ctx.bind(&lead.conn);
        let found = lead
            .conn
            .conn
            .driver()
            .get_all_domain_stats(Some(&list), stats, flags)?;
        // SAFETY: checked non-NULL above.
        unsafe { hand_out_stats(&lead.conn, lead.conn_ptr, found, retStats) }
    })
}

/// Statistics of the connection's domains (those the flags select).
///
/// # Safety
/// `retStats` must be NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn virConnectGetAllDomainStats(
    conn: virConnectPtr,
    stats: c_uint,
    retStats: *mut *mut virDomainStatsRecordPtr,
    flags: c_uint,
) -> c_int {
    let func = "virConnectGetAllDomainStats";
    with_conn(conn, func, FROM, |c| {
        if retStats.is_null() {
            return Err(Error::null_arg(FROM, func, "retStats"));
        }
        // SAFETY: non-NULL and writable by the caller's contract.
        unsafe { retStats.write(ptr::null_mut()) };
        let found = c.conn.driver().get_all_domain_stats(None, stats, flags)?;
        // SAFETY: checked non-NULL above.
        unsafe { hand_out_stats(c, conn as usize, found, retStats) }
    })
}

/// Writes the records of `found` (each with a new domain handle) to `out`;
/// how many there are.
///
/// # Safety
/// `out` must be writable.
unsafe fn hand_out_stats(
    conn: &Arc<ConnHandle>,
    conn_ptr: usize,
    found: Vec<(DomainRef, Vec<TypedParam>)>,
    out: *mut *mut virDomainStatsRecordPtr,
) -> Result<c_int> {
    let n = found.len() as c_int;
    let records: Vec<(virDomainPtr, Vec<TypedParam>)> = found
        .into_iter()
        .map(|(dom, params)| (new_domain(conn, conn_ptr, dom).cast(), params))
        .collect();
    let list = new_stats_record_list(&records)?;
    // SAFETY: writable by the caller's contract.
    unsafe { out.write(list) };
    Ok(n)
}

// ---------------------------------------------------------------------------
// Domain handles and the domain API

/// Error domain of libvirt-domain.h's functions.
const FROM: i32 = VIR_FROM_DOMAIN;

/// A new domain handle on the connection behind `conn`.
fn handle(conn: &Arc<ConnHandle>, conn_ptr: virConnectPtr, dom: DomainRef) -> virDomainPtr {
    new_domain(conn, conn_ptr as usize, dom).cast()
}

/// Migrates `domain` to the connection `dconn` (the version 1 protocol
/// between drivers that offer it, as `virDomainMigrate` does).
///
/// # Safety
/// `dxml`, `dname` and `uri` must each be NULL or a C string.
#[allow(clippy::too_many_arguments)]
unsafe fn migrate(
    func: &str,
    domain: virDomainPtr,
    dconn: virConnectPtr,
    dxml: *const c_char,
    flags: c_ulong,
    dname: *const c_char,
    uri: *const c_char,
    bandwidth: c_ulong,
) -> virDomainPtr {
    entry(|ctx| {
        let d = ctx.dom(domain, func)?;
        let dst = CONNECTIONS
            .get(dconn.cast())
            .ok_or_else(|| Error::with(FROM, VIR_ERR_INVALID_CONN, func))?;
        // SAFETY (three calls): the caller's contract.
        let text = |p: *const c_char, arg: &str| unsafe { cstr::opt(p, FROM, func, arg) };
        let request = crate::migrate::Request {
            func,
            flags,
            dname: text(dname, "dname")?,
            uri: text(uri, "uri")?,
            bandwidth,
            dxml: text(dxml, "dxml")?,
        };
        let moved = crate::migrate::migrate(&d.conn.conn, &d.reference(), &dst.conn, &request)?;
        Ok(handle(&dst, dconn, moved))
    })
}

/// Migrates a domain to another connection.
///
/// # Safety
/// `dname` and `uri` must each be NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn virDomainMigrate(
    domain: virDomainPtr,
    dconn: virConnectPtr,
    flags: c_ulong,
    dname: *const c_char,
    uri: *const c_char,
    bandwidth: c_ulong,
) -> virDomainPtr {
    // SAFETY: forwarded contract.
    unsafe {
        migrate(
            "virDomainMigrate",
            domain,
            dconn,
            ptr::null(),
            flags,
            dname,
            uri,
            bandwidth,
        )
    }
}

/// Migrates a domain to another connection, with XML for the destination.
///
/// # Safety
/// `dxml`, `dname` and `uri` must each be NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn virDomainMigrate2(
    domain: virDomainPtr,
    dconn: virConnectPtr,
    dxml: *const c_char,
    flags: c_ulong,
    dname: *const c_char,
    uri: *const c_char,
    bandwidth: c_ulong,
) -> virDomainPtr {
    // SAFETY: forwarded contract.
    unsafe {
        migrate(
            "virDomainMigrate2",
            domain,
            dconn,
            dxml,
            flags,
            dname,
            uri,
            bandwidth,
        )
    }
}

/// The guest's interfaces and their addresses: an array of `*ifaces`
/// entries, each released with `virDomainInterfaceFree`, the array with free.
///
/// # Safety
/// `ifaces` must be NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn virDomainInterfaceAddresses(
    dom: virDomainPtr,
    ifaces: *mut *mut virDomainInterfacePtr,
    source: c_uint,
    flags: c_uint,
) -> c_int {
    let func = "virDomainInterfaceAddresses";
    with_dom(dom, func, |d| {
        if ifaces.is_null() {
            return Err(Error::null_arg(FROM, func, "ifaces"));
        }
        // SAFETY: non-NULL and writable by the caller's contract.
        unsafe { ifaces.write(ptr::null_mut()) };
        // Asking the guest agent counts as a change.
        if source == VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT as c_uint {
            writable(&d.conn, FROM, func)?;
        }
        let found = d
            .conn
            .conn
            .driver()
            .domain_interface_addresses(&d.reference(), source, flags)?;
        let mut built: Vec<virDomainInterfacePtr> = Vec::with_capacity(found.len());
        let release = |built: &[virDomainInterfacePtr]| {
            // SAFETY: each entry was built by new_interface.
            built.iter().for_each(|p| unsafe { virDomainInterfaceFree(*p) });
        };
        for iface in &found {
            let addrs: Vec<IpAddr<'_>> = iface
                .addrs
                .iter()
                .map(|(t, a, p)| (*t as c_int, a.as_str(), *p as c_uint))
                .collect();
            match new_interface(&iface.name, iface.hwaddr.as_deref(), &addrs) {
                Ok(p) => built.push(p),
                Err(e) => {
                    release(&built);
                    return Err(e);
                }
            }
        }
        let array = match alloc_array(&built) {
            Ok(a) => a,
            Err(e) => {
                release(&built);
                return Err(e);
            }
        };
        // SAFETY: non-NULL and writable by the caller's contract.
        unsafe { ifaces.write(array) };
        Ok(built.len() as c_int)
    })
}

/// Takes a screenshot of the guest into `stream`; the image's MIME type
/// (the caller frees it).
#[no_mangle]
pub extern "C" fn virDomainScreenshot(
    domain: virDomainPtr,
    stream: virStreamPtr,
    screen: c_uint,
    flags: c_uint,
) -> *mut c_char {
    let func = "virDomainScreenshot";
    entry(|ctx| {
        let d = ctx.dom(domain, func)?;
        let s = STREAMS
            .get(stream.cast())
            .ok_or_else(|| Error::with(VIR_FROM_STREAMS, VIR_ERR_INVALID_STREAM, func))?;
        writable(&d.conn, FROM, func)?;
        if !Arc::ptr_eq(&s.conn, &d.conn) {
            return Err(Error::arg_check(
                FROM,
                format!("stream must match connection of domain '{}'", d.dom.name),
                func,
                "stream",
            ));
        }
        let (mime, image) = d
            .conn
            .conn
            .driver()
            .domain_screenshot(&d.reference(), screen, flags)?;
        let out = alloc_str(&mime)?;
        s.obj.attach(image);
        Ok(out)
    })
}

/// Looks up a domain by id.
#[no_mangle]
pub extern "C" fn virDomainLookupByID(conn: virConnectPtr, id: c_int) -> virDomainPtr {
    with_conn(conn, "virDomainLookupByID", FROM, |c| {
        if id < 0 {
            return Err(Error::arg_check(
                FROM,
                "id in virDomainLookupByID must be zero or greater".into(),
                "virDomainLookupByID",
                "id",
            ));
        }
        Ok(handle(c, conn, c.conn.driver().domain_lookup_by_id(id)?))
    })
}

/// Looks up a domain by name.
///
/// # Safety
/// `name` must be NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn virDomainLookupByName(conn: virConnectPtr, name: *const c_char) -> virDomainPtr {
    with_conn(conn, "virDomainLookupByName", FROM, |c| {
        // SAFETY: the caller's contract.
        let name = unsafe { cstr::req(name, FROM, "virDomainLookupByName", "name") }?;
        Ok(handle(c, conn, c.conn.driver().domain_lookup_by_name(name)?))
    })
}

/// Looks up a domain by its 16 raw UUID bytes.
///
/// # Safety
/// `uuid` must be NULL or point to 16 bytes.
#[no_mangle]
pub unsafe extern "C" fn virDomainLookupByUUID(conn: virConnectPtr, uuid: *const c_uchar) -> virDomainPtr {
    with_conn(conn, "virDomainLookupByUUID", FROM, |c| {
        if uuid.is_null() {
            return Err(Error::null_arg(FROM, "virDomainLookupByUUID", "uuid"));
        }
        let mut bytes = [0u8; 16];
        // SAFETY: the caller passes VIR_UUID_BUFLEN bytes.
        bytes.copy_from_slice(unsafe { std::slice::from_raw_parts(uuid, 16) });
        Ok(handle(
            c,
            conn,
            c.conn.driver().domain_lookup_by_uuid(&Uuid(bytes))?,
        ))
    })
}

/// Looks up a domain by its UUID in text form.
///
/// # Safety
/// `uuidstr` must be NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn virDomainLookupByUUIDString(
    conn: virConnectPtr,
    uuidstr: *const c_char,
) -> virDomainPtr {
    with_conn(conn, "virDomainLookupByUUIDString", FROM, |c| {
        // SAFETY: the caller's contract.
        let text = unsafe { cstr::req(uuidstr, FROM, "virDomainLookupByUUIDString", "uuidstr") }?;
        let uuid = Uuid::parse(text).ok_or_else(|| {
            Error::arg_check(
                FROM,
                "Invalid UUID".into(),
                "virDomainLookupByUUIDString",
                "uuidstr",
            )
        })?;
        Ok(handle(c, conn, c.conn.driver().domain_lookup_by_uuid(&uuid)?))
    })
}

/// Adds a reference to a domain handle.
#[no_mangle]
pub extern "C" fn virDomainRef(domain: virDomainPtr) -> c_int {
    entry(|_| match DOMAINS.retain(domain.cast()) {
        true => Ok(0),
        false => Err(Error::with(VIR_FROM_DOM, VIR_ERR_INVALID_DOMAIN, "virDomainRef")),
    })
}

/// Drops a reference to a domain handle.
#[no_mangle]
pub extern "C" fn virDomainFree(domain: virDomainPtr) -> c_int {
    entry(|_| {
        release_domain(domain.cast())
            .map(|_| 0)
            .ok_or_else(|| Error::with(VIR_FROM_DOM, VIR_ERR_INVALID_DOMAIN, "virDomainFree"))
    })
}

/// The domain's name (owned by the handle).
#[no_mangle]
pub extern "C" fn virDomainGetName(domain: virDomainPtr) -> *const c_char {
    with_dom(domain, "virDomainGetName", |d| Ok(d.name.as_ptr()))
}

/// The domain's id as the handle knows it.
#[no_mangle]
pub extern "C" fn virDomainGetID(domain: virDomainPtr) -> c_uint {
    with_dom(domain, "virDomainGetID", |d| Ok(d.reference().id as c_uint))
}

/// Copies the 16 UUID bytes into `uuid`.
///
/// # Safety
/// `uuid` must be NULL or have room for 16 bytes.
#[no_mangle]
pub unsafe extern "C" fn virDomainGetUUID(domain: virDomainPtr, uuid: *mut c_uchar) -> c_int {
    with_dom(domain, "virDomainGetUUID", |d| {
        if uuid.is_null() {
            return Err(Error::null_arg(FROM, "virDomainGetUUID", "uuid"));
        }
        // SAFETY: room for VIR_UUID_BUFLEN bytes by the caller's contract.
        unsafe { std::ptr::copy_nonoverlapping(d.dom.uuid.0.as_ptr(), uuid, 16) };
        Ok(0)
    })
}

/// Writes the UUID as text (37 bytes with the NUL) into `buf`.
///
/// # Safety
/// `buf` must be NULL or have room for VIR_UUID_STRING_BUFLEN bytes.
#[no_mangle]
pub unsafe extern "C" fn virDomainGetUUIDString(domain: virDomainPtr, buf: *mut c_char) -> c_int {
    with_dom(domain, "virDomainGetUUIDString", |d| {
        if buf.is_null() {
            return Err(Error::null_arg(FROM, "virDomainGetUUIDString", "buf"));
        }
        // SAFETY: room for VIR_UUID_STRING_BUFLEN bytes by the caller's contract.
        let out = unsafe { std::slice::from_raw_parts_mut(buf, VIR_UUID_STRING_BUFLEN) };
        cstr::fill(out, &d.dom.uuid.to_string());
        Ok(0)
    })
}

/// The connection a domain handle belongs to (no new reference).
#[no_mangle]
pub extern "C" fn virDomainGetConnect(domain: virDomainPtr) -> virConnectPtr {
    with_dom(domain, "virDomainGetConnect", |d| Ok(d.conn_ptr as virConnectPtr))
}

/// The guest OS type (the caller frees it).
#[no_mangle]
pub extern "C" fn virDomainGetOSType(domain: virDomainPtr) -> *mut c_char {
    with_dom(domain, "virDomainGetOSType", |d| {
        alloc_str(&d.conn.conn.driver().domain_get_os_type(&d.reference())?)
    })
}

/// Maximum memory in KiB (0 on failure).
#[no_mangle]
pub extern "C" fn virDomainGetMaxMemory(domain: virDomainPtr) -> c_ulong {
    with_dom(domain, "virDomainGetMaxMemory", |d| {
        d.conn
            .conn
            .driver()
            .domain_get_max_memory(&d.reference())
            .map(|m| m as c_ulong)
    })
}

/// Maximum vCPUs.
#[no_mangle]
pub extern "C" fn virDomainGetMaxVcpus(domain: virDomainPtr) -> c_int {
    with_dom(domain, "virDomainGetMaxVcpus", |d| {
        d.conn.conn.driver().domain_get_max_vcpus(&d.reference())
    })
}

/// Fills `info` with state, memory, vCPUs and CPU time.
///
/// # Safety
/// `info` must be NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn virDomainGetInfo(domain: virDomainPtr, info: virDomainInfoPtr) -> c_int {
    with_dom(domain, "virDomainGetInfo", |d| {
        if info.is_null() {
            return Err(Error::null_arg(FROM, "virDomainGetInfo", "info"));
        }
        let i = d.conn.conn.driver().domain_get_info(&d.reference())?;
        let out = virDomainInfo {
            state: i.state as c_uchar,
            maxMem: i.max_mem as c_ulong,
            memory: i.memory as c_ulong,
            nrVirtCpu: i.nr_virt_cpu as c_ushort,
            cpuTime: i.cpu_time,
        };
        // SAFETY: checked non-NULL; writable by the caller's contract.
        unsafe { info.write(out) };
        Ok(0)
    })
}

/// The domain's state and its reason.
///
/// # Safety
/// `state` must be NULL or writable; `reason` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn virDomainGetState(
    domain: virDomainPtr,
    state: *mut c_int,
    reason: *mut c_int,
    flags: c_uint,
) -> c_int {
    with_dom(domain, "virDomainGetState", |d| {
        if state.is_null() {
            return Err(Error::null_arg(FROM, "virDomainGetState", "state"));
        }
        let (s, r) = d.conn.conn.driver().domain_get_state(&d.reference(), flags)?;
        // SAFETY: non-NULL out-pointers are writable by the caller's contract.
        unsafe {
            state.write(s);
            if !reason.is_null() {
                reason.write(r);
            }
        }
        Ok(0)
    })
}

/// The domain's XML (the caller frees it).
#[no_mangle]
pub extern "C" fn virDomainGetXMLDesc(domain: virDomainPtr, flags: c_uint) -> *mut c_char {
    with_dom(domain, "virDomainGetXMLDesc", |d| {
        if d.conn.conn.read_only() && flags & (VIR_DOMAIN_XML_SECURE | VIR_DOMAIN_XML_MIGRATABLE) != 0 {
            return Err(Error::with(
                FROM,
                VIR_ERR_OPERATION_DENIED,
                "virDomainGetXMLDesc with secure flag",
            ));
        }
        alloc_str(&d.conn.conn.driver().domain_get_xml_desc(&d.reference(), flags)?)
    })
}

/// The guest's host name (the caller frees it).
#[no_mangle]
pub extern "C" fn virDomainGetHostname(domain: virDomainPtr, flags: c_uint) -> *mut c_char {
    with_dom(domain, "virDomainGetHostname", |d| {
        alloc_str(&d.conn.conn.driver().domain_get_hostname(&d.reference(), flags)?)
    })
}

/// The number of running domains.
#[no_mangle]
pub extern "C" fn virConnectNumOfDomains(conn: virConnectPtr) -> c_int {
    with_conn(conn, "virConnectNumOfDomains", FROM, |c| {
        c.conn.driver().num_of_domains()
    })
}

/// Ids of running domains, at most `maxids`.
///
/// # Safety
/// `ids` must be NULL or have room for `maxids` ints.
#[no_mangle]
pub unsafe extern "C" fn virConnectListDomains(conn: virConnectPtr, ids: *mut c_int, maxids: c_int) -> c_int {
    with_conn(conn, "virConnectListDomains", FROM, |c| {
        let room = list_room(
            FROM,
            ids.is_null(),
            maxids,
            "virConnectListDomains",
            "ids",
            "maxids",
        )?;
        let found = c.conn.driver().list_domains()?;
        let n = found.len().min(room);
        // SAFETY: `ids` has room for `room` >= n ints (checked non-NULL when room > 0).
        unsafe { std::ptr::copy_nonoverlapping(found.as_ptr(), ids, n) };
        Ok(n as c_int)
    })
}

/// The number of defined, inactive domains.
#[no_mangle]
pub extern "C" fn virConnectNumOfDefinedDomains(conn: virConnectPtr) -> c_int {
    with_conn(conn, "virConnectNumOfDefinedDomains", FROM, |c| {
        c.conn.driver().num_of_defined_domains()
    })
}

/// Names of defined, inactive domains, at most `maxnames` (the caller frees each).
///
/// # Safety
/// `names` must be NULL or have room for `maxnames` pointers.
#[no_mangle]
pub unsafe extern "C" fn virConnectListDefinedDomains(
    conn: virConnectPtr,
    names: *mut *mut c_char,
    maxnames: c_int,
) -> c_int {
    with_conn(conn, "virConnectListDefinedDomains", FROM, |c| {
        let room = list_room(
            FROM,
            names.is_null(),
            maxnames,
            "virConnectListDefinedDomains",
            "names",
            "maxnames",
        )?;
        let found = c.conn.driver().list_defined_domains()?;
        // SAFETY: `names` has room for `room` pointers (checked above).
        unsafe { put_names(names, room, &found) }
    })
}

/// Every domain matching `flags`; with `domains` non-NULL, a NULL-terminated
/// array of new handles (the caller frees it and each handle).
///
/// # Safety
/// `domains` must be NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn virConnectListAllDomains(
    conn: virConnectPtr,
    domains: *mut *mut virDomainPtr,
    flags: c_uint,
) -> c_int {
    with_conn(conn, "virConnectListAllDomains", FROM, |c| {
        if !domains.is_null() {
            // The caller's pointer is NULL whatever happens next, as libvirt sets it.
            // SAFETY: writable by the caller's contract.
            unsafe { domains.write(std::ptr::null_mut()) };
        }
        let found = c.conn.driver().list_all_domains(flags)?;
        if !domains.is_null() {
            let handles: Vec<virDomainPtr> = found.iter().map(|d| handle(c, conn, d.clone())).collect();
            let array = alloc_ptr_array(&handles, true);
            match array {
                // SAFETY: `domains` is writable by the caller's contract.
                Ok(a) => unsafe { domains.write(a) },
                Err(e) => {
                    for h in handles {
                        release_domain(h.cast());
                    }
                    return Err(e);
                }
            }
        }
        Ok(found.len() as c_int)
    })
}

/// Starts a new transient domain from XML.
///
/// # Safety
/// `xmlDesc` must be NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn virDomainCreateXML(
    conn: virConnectPtr,
    xmlDesc: *const c_char,
    flags: c_uint,
) -> virDomainPtr {
    with_conn(conn, "virDomainCreateXML", FROM, |c| {
        // SAFETY: the caller's contract.
        let xml = unsafe { cstr::req(xmlDesc, FROM, "virDomainCreateXML", "xmlDesc") }?;
        writable(c, FROM, "virDomainCreateXML")?;
        Ok(handle(c, conn, c.conn.driver().domain_create_xml(xml, flags)?))
    })
}

/// libvirt's old name for `virDomainCreateXML` (errors name the new one).
///
/// # Safety
/// `xmlDesc` must be NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn virDomainCreateLinux(
    conn: virConnectPtr,
    xmlDesc: *const c_char,
    flags: c_uint,
) -> virDomainPtr {
    // SAFETY: forwarded contract.
    unsafe { virDomainCreateXML(conn, xmlDesc, flags) }
}

/// Defines (or updates) a persistent domain.
///
/// # Safety
/// `xml` must be NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn virDomainDefineXML(conn: virConnectPtr, xml: *const c_char) -> virDomainPtr {
    // SAFETY: forwarded contract.
    unsafe { define(conn, xml, 0, "virDomainDefineXML") }
}

/// Defines a domain, with `VIR_DOMAIN_DEFINE_*` flags.
///
/// # Safety
/// `xml` must be NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn virDomainDefineXMLFlags(
    conn: virConnectPtr,
    xml: *const c_char,
    flags: c_uint,
) -> virDomainPtr {
    // SAFETY: forwarded contract.
    unsafe { define(conn, xml, flags, "virDomainDefineXMLFlags") }
}

/// # Safety
/// `xml` must be NULL or a C string.
unsafe fn define(conn: virConnectPtr, xml: *const c_char, flags: c_uint, func: &str) -> virDomainPtr {
    with_conn(conn, func, FROM, |c| {
        writable(c, FROM, func)?;
        // SAFETY: the caller's contract.
        let xml = unsafe { cstr::req(xml, FROM, func, "xml") }?;
        Ok(handle(c, conn, c.conn.driver().domain_define_xml(xml, flags)?))
    })
}

/// A native configuration (VMX, xm, ...) as domain XML (the caller frees it).
///
/// # Safety
/// `nativeFormat` and `nativeConfig` must be NULL or C strings.
#[no_mangle]
pub unsafe extern "C" fn virConnectDomainXMLFromNative(
    conn: virConnectPtr,
    nativeFormat: *const c_char,
    nativeConfig: *const c_char,
    flags: c_uint,
) -> *mut c_char {
    const FUNC: &str = "virConnectDomainXMLFromNative";
    with_conn(conn, FUNC, FROM, |c| {
        writable(c, FROM, FUNC)?;
        // SAFETY: the caller's contract.
        let format = unsafe { cstr::req(nativeFormat, FROM, FUNC, "nativeFormat") }?;
        // SAFETY: the caller's contract.
        let config = unsafe { cstr::req(nativeConfig, FROM, FUNC, "nativeConfig") }?;
        alloc_str(&c.conn.driver().domain_xml_from_native(format, config, flags)?)
    })
}

/// Domain XML as a native configuration (the caller frees it).
///
/// # Safety
/// `nativeFormat` and `domainXml` must be NULL or C strings.
#[no_mangle]
pub unsafe extern "C" fn virConnectDomainXMLToNative(
    conn: virConnectPtr,
    nativeFormat: *const c_char,
    domainXml: *const c_char,
    flags: c_uint,
) -> *mut c_char {
    const FUNC: &str = "virConnectDomainXMLToNative";
    with_conn(conn, FUNC, FROM, |c| {
        writable(c, FROM, FUNC)?;
        // SAFETY: the caller's contract.
        let format = unsafe { cstr::req(nativeFormat, FROM, FUNC, "nativeFormat") }?;
        // SAFETY: the caller's contract.
        let xml = unsafe { cstr::req(domainXml, FROM, FUNC, "domainXml") }?;
        alloc_str(&c.conn.driver().domain_xml_to_native(format, xml, flags)?)
    })
}

/// `VIR_DOMAIN_SAVE_RUNNING`.
const SAVE_RUNNING: Named = (VIR_DOMAIN_SAVE_RUNNING, "VIR_DOMAIN_SAVE_RUNNING");
/// `VIR_DOMAIN_SAVE_PAUSED`.
const SAVE_PAUSED: Named = (VIR_DOMAIN_SAVE_PAUSED, "VIR_DOMAIN_SAVE_PAUSED");

/// [`flags::exclusive`] for this header's error domain.
fn exclusive(flags: c_uint, a: Named, b: Named, func: &str) -> Result<()> {
    flags::exclusive(FROM, flags, a, b, func)
}

/// Runs a state-changing call on a domain of a writable connection.
fn change<R: Failure>(domain: virDomainPtr, func: &str, f: impl FnOnce(&DomainHandle) -> Result<R>) -> R {
    with_dom(domain, func, |d| {
        writable(&d.conn, FROM, func)?;
        f(d)
    })
}

/// Removes a domain's persistent definition.
#[no_mangle]
pub extern "C" fn virDomainUndefine(domain: virDomainPtr) -> c_int {
    change(domain, "virDomainUndefine", |d| {
        d.conn.conn.driver().domain_undefine(&d.reference(), 0).map(|_| 0)
    })
}

/// Removes a domain's persistent definition, with `VIR_DOMAIN_UNDEFINE_*` flags.
#[no_mangle]
pub extern "C" fn virDomainUndefineFlags(domain: virDomainPtr, flags: c_uint) -> c_int {
    change(domain, "virDomainUndefineFlags", |d| {
        d.conn
            .conn
            .driver()
            .domain_undefine(&d.reference(), flags)
            .map(|_| 0)
    })
}

/// Starts a defined domain.
#[no_mangle]
pub extern "C" fn virDomainCreate(domain: virDomainPtr) -> c_int {
    start(domain, 0, "virDomainCreate")
}

/// Starts a defined domain, with `VIR_DOMAIN_START_*` flags.
#[no_mangle]
pub extern "C" fn virDomainCreateWithFlags(domain: virDomainPtr, flags: c_uint) -> c_int {
    start(domain, flags, "virDomainCreateWithFlags")
}

fn start(domain: virDomainPtr, flags: c_uint, func: &str) -> c_int {
    change(domain, func, |d| {
        let started = d.conn.conn.driver().domain_create(&d.reference(), flags)?;
        d.set_id(started.id);
        Ok(0)
    })
}

/// Runs a call that stops the domain, and forgets the handle's id after it.
fn stopping(
    domain: virDomainPtr,
    func: &str,
    f: impl FnOnce(&dyn crate::driver::Driver, &DomainRef) -> Result<()>,
) -> c_int {
    change(domain, func, |d| {
        f(d.conn.conn.driver(), &d.reference())?;
        d.set_id(-1);
        Ok(0)
    })
}

/// Runs a shutdown or reboot: the handle forgets its id only when the
/// domain's lifecycle action left it stopped.
fn powering_down(
    domain: virDomainPtr,
    func: &str,
    f: impl FnOnce(&dyn crate::driver::Driver, &DomainRef) -> Result<i32>,
) -> c_int {
    change(domain, func, |d| {
        if f(d.conn.conn.driver(), &d.reference())? < 0 {
            d.set_id(-1);
        }
        Ok(0)
    })
}

/// Stops a domain immediately.
#[no_mangle]
pub extern "C" fn virDomainDestroy(domain: virDomainPtr) -> c_int {
    stopping(domain, "virDomainDestroy", |drv, d| drv.domain_destroy(d, 0))
}

/// Stops a domain immediately, with `VIR_DOMAIN_DESTROY_*` flags.
#[no_mangle]
pub extern "C" fn virDomainDestroyFlags(domain: virDomainPtr, flags: c_uint) -> c_int {
    stopping(domain, "virDomainDestroyFlags", |drv, d| {
        drv.domain_destroy(d, flags)
    })
}

/// Asks a domain to shut down.
#[no_mangle]
pub extern "C" fn virDomainShutdown(domain: virDomainPtr) -> c_int {
    powering_down(domain, "virDomainShutdown", |drv, d| drv.domain_shutdown(d, 0))
}

/// Asks a domain to shut down, with `VIR_DOMAIN_SHUTDOWN_*` flags.
#[no_mangle]
pub extern "C" fn virDomainShutdownFlags(domain: virDomainPtr, flags: c_uint) -> c_int {
    powering_down(domain, "virDomainShutdownFlags", |drv, d| {
        drv.domain_shutdown(d, flags)
    })
}

/// Reboots a domain.
#[no_mangle]
pub extern "C" fn virDomainReboot(domain: virDomainPtr, flags: c_uint) -> c_int {
    powering_down(domain, "virDomainReboot", |drv, d| drv.domain_reboot(d, flags))
}

/// Resets a domain.
#[no_mangle]
pub extern "C" fn virDomainReset(domain: virDomainPtr, flags: c_uint) -> c_int {
    change(domain, "virDomainReset", |d| {
        d.conn
            .conn
            .driver()
            .domain_reset(&d.reference(), flags)
            .map(|_| 0)
    })
}

/// Pauses a domain.
#[no_mangle]
pub extern "C" fn virDomainSuspend(domain: virDomainPtr) -> c_int {
    change(domain, "virDomainSuspend", |d| {
        d.conn.conn.driver().domain_suspend(&d.reference()).map(|_| 0)
    })
}

/// Sends keystrokes to a domain.
///
/// # Safety
/// `keycodes` must be NULL or hold `nkeycodes` values.
#[no_mangle]
pub unsafe extern "C" fn virDomainSendKey(
    domain: virDomainPtr,
    codeset: c_uint,
    holdtime: c_uint,
    keycodes: *mut c_uint,
    nkeycodes: c_int,
    flags: c_uint,
) -> c_int {
    const F: &str = "virDomainSendKey";
    change(domain, F, |d| {
        if keycodes.is_null() {
            return Err(Error::null_arg(FROM, F, "keycodes"));
        }
        if nkeycodes <= 0 {
            return Err(Error::arg_check(
                FROM,
                format!("nkeycodes in {F} must be greater than zero"),
                F,
                "nkeycodes",
            ));
        }
        let n = nkeycodes as usize;
        if n > VIR_DOMAIN_SEND_KEY_MAX_KEYS {
            return Err(Error::arg_check(
                FROM,
                format!("nkeycodes in {F} must be less than or equal to {VIR_DOMAIN_SEND_KEY_MAX_KEYS}"),
                F,
                "nkeycodes",
            ));
        }
        // SAFETY: non-NULL and holds n values (caller's guarantee).
        let codes = unsafe { std::slice::from_raw_parts(keycodes, n) }.to_vec();
        let (r, c) = (d.reference(), &d.conn.conn);
        c.driver().domain_send_key(&r, codeset, holdtime, &codes, flags)?;
        Ok(0)
    })
}

/// Resumes a paused domain.
#[no_mangle]
pub extern "C" fn virDomainResume(domain: virDomainPtr) -> c_int {
    change(domain, "virDomainResume", |d| {
        d.conn.conn.driver().domain_resume(&d.reference()).map(|_| 0)
    })
}

/// 1 when the domain runs.
#[no_mangle]
pub extern "C" fn virDomainIsActive(domain: virDomainPtr) -> c_int {
    with_dom(domain, "virDomainIsActive", |d| {
        d.conn
            .conn
            .driver()
            .domain_is_active(&d.reference())
            .map(c_int::from)
    })
}

/// 1 when the domain has a persistent definition.
#[no_mangle]
pub extern "C" fn virDomainIsPersistent(domain: virDomainPtr) -> c_int {
    with_dom(domain, "virDomainIsPersistent", |d| {
        d.conn
            .conn
            .driver()
            .domain_is_persistent(&d.reference())
            .map(c_int::from)
    })
}

/// 1 when the running domain differs from its persistent definition.
#[no_mangle]
pub extern "C" fn virDomainIsUpdated(domain: virDomainPtr) -> c_int {
    with_dom(domain, "virDomainIsUpdated", |d| {
        d.conn
            .conn
            .driver()
            .domain_is_updated(&d.reference())
            .map(c_int::from)
    })
}

/// Whether the domain starts with the host.
///
/// # Safety
/// `autostart` must be NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn virDomainGetAutostart(domain: virDomainPtr, autostart: *mut c_int) -> c_int {
    with_dom(domain, "virDomainGetAutostart", |d| {
        if autostart.is_null() {
            return Err(Error::null_arg(FROM, "virDomainGetAutostart", "autostart"));
        }
        let v = d.conn.conn.driver().domain_get_autostart(&d.reference())?;
        // SAFETY: checked non-NULL; writable by the caller's contract.
        unsafe { autostart.write(c_int::from(v)) };
        Ok(0)
    })
}

/// Sets whether the domain starts with the host.
#[no_mangle]
pub extern "C" fn virDomainSetAutostart(domain: virDomainPtr, autostart: c_int) -> c_int {
    change(domain, "virDomainSetAutostart", |d| {
        d.conn
            .conn
            .driver()
            .domain_set_autostart(&d.reference(), autostart != 0)
            .map(|_| 0)
    })
}

fn set_memory(domain: virDomainPtr, memory: c_ulong, flags: c_uint, func: &str) -> c_int {
    change(domain, func, |d| {
        if memory == 0 {
            return Err(Error::arg_check(
                FROM,
                format!("memory in {func} must not be zero"),
                func,
                "memory",
            ));
        }
        // Memory is kept in bytes internally, which caps it at LLONG_MAX / 1024 KiB.
        if memory > (i64::MAX as u64) / 1024 {
            return Err(Error::with(
                FROM,
                VIR_ERR_OVERFLOW,
                format!("input too large: {memory}"),
            ));
        }
        d.conn
            .conn
            .driver()
            .domain_set_memory_flags(&d.reference(), memory, flags)
            .map(|_| 0)
    })
}

/// Sets the running domain's memory (KiB).
#[no_mangle]
pub extern "C" fn virDomainSetMemory(domain: virDomainPtr, memory: c_ulong) -> c_int {
    set_memory(domain, memory, VIR_DOMAIN_AFFECT_LIVE, "virDomainSetMemory")
}

/// Sets the domain's maximum memory (KiB).
#[no_mangle]
pub extern "C" fn virDomainSetMaxMemory(domain: virDomainPtr, memory: c_ulong) -> c_int {
    set_memory(domain, memory, VIR_DOMAIN_MEM_MAXIMUM, "virDomainSetMaxMemory")
}

/// Sets memory with `VIR_DOMAIN_MEM_*` flags.
#[no_mangle]
pub extern "C" fn virDomainSetMemoryFlags(domain: virDomainPtr, memory: c_ulong, flags: c_uint) -> c_int {
    set_memory(domain, memory, flags, "virDomainSetMemoryFlags")
}

fn set_vcpus(domain: virDomainPtr, n: c_uint, flags: c_uint, func: &str) -> c_int {
    change(domain, func, |d| {
        flags::requires(
            FROM,
            flags,
            (VIR_DOMAIN_VCPU_MAXIMUM, "VIR_DOMAIN_VCPU_MAXIMUM"),
            CONFIG,
            func,
        )?;
        if n == 0 {
            return Err(Error::arg_check(
                FROM,
                format!("nvcpus in {func} must not be zero"),
                func,
                "nvcpus",
            ));
        }
        d.conn
            .conn
            .driver()
            .domain_set_vcpus_flags(&d.reference(), n, flags)
            .map(|_| 0)
    })
}

/// Sets the running domain's vCPU count.
#[no_mangle]
pub extern "C" fn virDomainSetVcpus(domain: virDomainPtr, nvcpus: c_uint) -> c_int {
    set_vcpus(domain, nvcpus, VIR_DOMAIN_AFFECT_LIVE, "virDomainSetVcpus")
}

/// Sets vCPUs with `VIR_DOMAIN_VCPU_*` flags.
#[no_mangle]
pub extern "C" fn virDomainSetVcpusFlags(domain: virDomainPtr, nvcpus: c_uint, flags: c_uint) -> c_int {
    set_vcpus(domain, nvcpus, flags, "virDomainSetVcpusFlags")
}

/// The vCPU count selected by `flags`.
#[no_mangle]
pub extern "C" fn virDomainGetVcpusFlags(domain: virDomainPtr, flags: c_uint) -> c_int {
    with_dom(domain, "virDomainGetVcpusFlags", |d| {
        exclusive(flags, LIVE, CONFIG, "virDomainGetVcpusFlags")?;
        d.conn.conn.driver().domain_get_vcpus_flags(&d.reference(), flags)
    })
}

/// Saves the domain's state for its next start and stops it.
#[no_mangle]
pub extern "C" fn virDomainManagedSave(domain: virDomainPtr, flags: c_uint) -> c_int {
    const F: &str = "virDomainManagedSave";
    stopping(domain, F, |drv, d| {
        exclusive(flags, SAVE_RUNNING, SAVE_PAUSED, F)?;
        drv.domain_managed_save(d, flags)
    })
}

/// 1 when a managed save image exists.
#[no_mangle]
pub extern "C" fn virDomainHasManagedSaveImage(domain: virDomainPtr, flags: c_uint) -> c_int {
    with_dom(domain, "virDomainHasManagedSaveImage", |d| {
        d.conn
            .conn
            .driver()
            .domain_has_managed_save_image(&d.reference(), flags)
            .map(c_int::from)
    })
}

/// Discards the managed save image.
#[no_mangle]
pub extern "C" fn virDomainManagedSaveRemove(domain: virDomainPtr, flags: c_uint) -> c_int {
    change(domain, "virDomainManagedSaveRemove", |d| {
        d.conn
            .conn
            .driver()
            .domain_managed_save_remove(&d.reference(), flags)
            .map(|_| 0)
    })
}

/// The scheduler's name (the caller frees it) and parameter count.
///
/// # Safety
/// `nparams` must be NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn virDomainGetSchedulerType(domain: virDomainPtr, nparams: *mut c_int) -> *mut c_char {
    with_dom(domain, "virDomainGetSchedulerType", |d| {
        let (name, n) = d.conn.conn.driver().domain_get_scheduler_type(&d.reference())?;
        if !nparams.is_null() {
            // SAFETY: writable by the caller's contract.
            unsafe { nparams.write(n) };
        }
        alloc_str(&name)
    })
}

/// # Safety
/// `params` must have room for `*nparams` elements; `nparams` NULL or valid.
unsafe fn get_sched(
    domain: virDomainPtr,
    params: virTypedParameterPtr,
    nparams: *mut c_int,
    flags: c_uint,
    func: &str,
) -> c_int {
    with_dom(domain, func, |d| {
        if params.is_null() {
            return Err(Error::null_arg(FROM, func, "params"));
        }
        if nparams.is_null() {
            return Err(Error::null_arg(FROM, func, "nparams"));
        }
        // SAFETY: non-NULL, readable by the caller's contract.
        let room = unsafe { *nparams };
        if room <= 0 {
            return Err(Error::arg_check(
                FROM,
                format!("*nparams in {func} must be greater than zero"),
                func,
                "*nparams",
            ));
        }
        exclusive(flags, LIVE, CONFIG, func)?;
        // The flags variant tells drivers the caller takes string parameters.
        let flags = if func.ends_with("Flags") {
            flags | VIR_TYPED_PARAM_STRING_OKAY
        } else {
            flags
        };
        let found = d
            .conn
            .conn
            .driver()
            .domain_get_scheduler_parameters(&d.reference(), flags)?;
        // SAFETY: `params` has room for `room` elements by the caller's contract.
        let n = unsafe { fill_params(params, room as usize, &found) }?;
        // SAFETY: non-NULL and writable.
        unsafe { nparams.write(n) };
        Ok(0)
    })
}

/// The scheduler parameters.
///
/// # Safety
/// `params` must have room for `*nparams` elements; `nparams` NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn virDomainGetSchedulerParameters(
    domain: virDomainPtr,
    params: virTypedParameterPtr,
    nparams: *mut c_int,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { get_sched(domain, params, nparams, 0, "virDomainGetSchedulerParameters") }
}

/// The memory tunables; with `*nparams` 0, how many there are.
///
/// # Safety
/// `params` must have room for `*nparams` elements; `nparams` NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn virDomainGetMemoryParameters(
    domain: virDomainPtr,
    params: virTypedParameterPtr,
    nparams: *mut c_int,
    flags: c_uint,
) -> c_int {
    let func = "virDomainGetMemoryParameters";
    with_dom(domain, func, |d| {
        if nparams.is_null() {
            return Err(Error::null_arg(FROM, func, "nparams"));
        }
        // SAFETY: non-NULL, readable by the caller's contract.
        let room = unsafe { *nparams };
        if room < 0 {
            return Err(Error::arg_check(
                FROM,
                format!("*nparams in {func} must be zero or greater"),
                func,
                "*nparams",
            ));
        }
        if room != 0 && params.is_null() {
            return Err(Error::null_arg(FROM, func, "params"));
        }
        let driver = d.conn.conn.driver();
        let flags = if driver.supports_feature(crate::driver::feature::TYPED_PARAM_STRING)? {
            flags | VIR_TYPED_PARAM_STRING_OKAY
        } else {
            flags
        };
        exclusive(flags, LIVE, CONFIG, func)?;
        let found = driver.domain_get_memory_parameters(&d.reference(), flags)?;
        let n = if room == 0 {
            found.len() as c_int
        } else {
            // SAFETY: `params` has room for `room` elements by the caller's contract.
            unsafe { fill_params(params, room as usize, &found) }?
        };
        // SAFETY: non-NULL and writable.
        unsafe { nparams.write(n) };
        Ok(0)
    })
}

/// Changes memory tunables.
///
/// # Safety
/// `params` must be NULL or hold `nparams` elements.
#[no_mangle]
pub unsafe extern "C" fn virDomainSetMemoryParameters(
    domain: virDomainPtr,
    params: virTypedParameterPtr,
    nparams: c_int,
    flags: c_uint,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        set_params(
            domain,
            params,
            nparams,
            1,
            "virDomainSetMemoryParameters",
            |drv, dom, list| drv.domain_set_memory_parameters(dom, list, flags),
        )
    }
}

/// The scheduler parameters, with `VIR_DOMAIN_AFFECT_*` flags.
///
/// # Safety
/// `params` must have room for `*nparams` elements; `nparams` NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn virDomainGetSchedulerParametersFlags(
    domain: virDomainPtr,
    params: virTypedParameterPtr,
    nparams: *mut c_int,
    flags: c_uint,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        get_sched(
            domain,
            params,
            nparams,
            flags,
            "virDomainGetSchedulerParametersFlags",
        )
    }
}

/// The common checks of the typed-parameter setters: `params` non-NULL and
/// `nparams` at least `least` (libvirt wants zero or more for scheduler
/// parameters, one or more for the others), then `apply` on the driver.
///
/// # Safety
/// `params` must be NULL or hold `nparams` elements.
unsafe fn set_params(
    domain: virDomainPtr,
    params: virTypedParameterPtr,
    nparams: c_int,
    least: c_int,
    func: &str,
    apply: impl FnOnce(&dyn Driver, &DomainRef, &[TypedParam]) -> Result<()>,
) -> c_int {
    change(domain, func, |d| {
        if params.is_null() {
            return Err(Error::null_arg(FROM, func, "params"));
        }
        if nparams < least {
            let bound = if least > 0 {
                "greater than zero"
            } else {
                "zero or greater"
            };
            return Err(Error::arg_check(
                FROM,
                format!("nparams in {func} must be {bound}"),
                func,
                "nparams",
            ));
        }
        // SAFETY: `params` holds `nparams` elements by the caller's contract.
        let parsed = unsafe { params_from_c(params, nparams, FROM) }?;
        apply(d.conn.conn.driver(), &d.reference(), &parsed).map(|_| 0)
    })
}

/// # Safety
/// `params` must be NULL or hold `nparams` elements.
unsafe fn set_sched(
    domain: virDomainPtr,
    params: virTypedParameterPtr,
    nparams: c_int,
    flags: c_uint,
    func: &str,
) -> c_int {
    // Unlike the getter, libvirt leaves LIVE|CONFIG to the driver here.
    // SAFETY: forwarded contract.
    unsafe {
        set_params(domain, params, nparams, 0, func, |drv, dom, list| {
            drv.domain_set_scheduler_parameters(dom, list, flags)
        })
    }
}

/// Changes scheduler parameters.
///
/// # Safety
/// `params` must be NULL or hold `nparams` elements.
#[no_mangle]
pub unsafe extern "C" fn virDomainSetSchedulerParameters(
    domain: virDomainPtr,
    params: virTypedParameterPtr,
    nparams: c_int,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { set_sched(domain, params, nparams, 0, "virDomainSetSchedulerParameters") }
}

/// Changes scheduler parameters, with `VIR_DOMAIN_AFFECT_*` flags.
///
/// # Safety
/// `params` must be NULL or hold `nparams` elements.
#[no_mangle]
pub unsafe extern "C" fn virDomainSetSchedulerParametersFlags(
    domain: virDomainPtr,
    params: virTypedParameterPtr,
    nparams: c_int,
    flags: c_uint,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        set_sched(
            domain,
            params,
            nparams,
            flags,
            "virDomainSetSchedulerParametersFlags",
        )
    }
}

// ---------------------------------------------------------------------------
// Domain events

/// The number of `VIR_DOMAIN_EVENT_ID_*` values libvirt 9.0 knows.
const EVENT_ID_LAST: c_int = VIR_DOMAIN_EVENT_ID_MEMORY_DEVICE_SIZE_CHANGE + 1;

/// A C caller's callback registration.  It holds a reference on the
/// connection (as libvirt's do: a connection with callbacks stays open) and
/// calls the caller's free function when it goes.
struct CCallback {
    conn_ptr: usize,
    event_id: c_int,
    cb: virConnectDomainEventGenericCallback,
    opaque: usize,
    freecb: virFreeCallback,
    /// Set once registered: a refused registration leaves `opaque` to the
    /// caller, as libvirt does.
    registered: Arc<AtomicBool>,
}

impl CCallback {
    /// Delivers `event` about `dom` through a handle made for the call.
    fn deliver(&self, dom: &DomainRef, event: &DomainEvent) {
        let Some(conn) = CONNECTIONS.get(self.conn_ptr as *const c_void) else {
            return;
        };
        let Some(cb) = self.cb else { return };
        let d = new_domain(&conn, self.conn_ptr, dom.clone());
        let (c, o) = (self.conn_ptr as virConnectPtr, self.opaque as *mut c_void);
        match (self.event_id, event) {
            (VIR_DOMAIN_EVENT_ID_LIFECYCLE, DomainEvent::Lifecycle { event, detail }) => {
                // SAFETY: for this event id the caller registered a
                // virConnectDomainEventCallback, passed as the generic type.
                let lifecycle: unsafe extern "C" fn(
                    virConnectPtr,
                    virDomainPtr,
                    c_int,
                    c_int,
                    *mut c_void,
                ) -> c_int = unsafe { std::mem::transmute(cb) };
                // SAFETY: the caller's callback with the arguments it expects.
                unsafe { lifecycle(c, d.cast(), *event, *detail, o) };
            }
            // SAFETY: the generic callback type is the one for these ids.
            (_, DomainEvent::Reboot) => unsafe { cb(c, d.cast(), o) },
            (VIR_DOMAIN_EVENT_ID_METADATA_CHANGE, DomainEvent::MetadataChange { kind, uri }) => {
                // SAFETY: for this event id the caller registered a
                // virConnectDomainEventMetadataChangeCallback.
                let changed: unsafe extern "C" fn(
                    virConnectPtr,
                    virDomainPtr,
                    c_int,
                    *const c_char,
                    *mut c_void,
                ) = unsafe { std::mem::transmute(cb) };
                let uri = uri.as_deref().and_then(|u| CString::new(u).ok());
                let uri_ptr = uri.as_ref().map_or(std::ptr::null(), |u| u.as_ptr());
                // SAFETY: the caller's callback with the arguments it expects.
                unsafe { changed(c, d.cast(), *kind, uri_ptr, o) };
            }
            _ => {}
        }
        release_domain(d);
    }
}

impl Drop for CCallback {
    fn drop(&mut self) {
        if let Some(free) = self.freecb.filter(|_| self.registered.load(Ordering::Acquire)) {
            // SAFETY: the caller gave `freecb` to release `opaque`, once.
            unsafe { free(self.opaque as *mut c_void) };
        }
        CONNECTIONS.release(self.conn_ptr as *const c_void);
    }
}

/// A caller's callback, its data and the function that frees the data.
struct Caller {
    cb: virConnectDomainEventGenericCallback,
    opaque: *mut c_void,
    freecb: virFreeCallback,
}

/// Registers `cb` for events `event_id` (of `dom` only, when given).
fn register(
    conn: virConnectPtr,
    dom: virDomainPtr,
    event_id: c_int,
    caller: Caller,
    legacy: bool,
    func: &str,
) -> c_int {
    let Caller { cb, opaque, freecb } = caller;
    with_conn(conn, func, FROM, |c| {
        let domain = if dom.is_null() {
            None
        } else {
            let d = DOMAINS
                .get(dom.cast())
                .ok_or_else(|| Error::with(VIR_FROM_DOM, VIR_ERR_INVALID_DOMAIN, func))?;
            if d.conn_ptr != conn as usize {
                return Err(Error::arg_check(
                    FROM,
                    format!("domain '{}' must match connection", d.dom.name),
                    func,
                    "dom",
                ));
            }
            Some(d.dom.uuid)
        };
        if cb.is_none() {
            return Err(Error::null_arg(FROM, func, "cb"));
        }
        if event_id < 0 {
            return Err(Error::arg_check(
                FROM,
                format!("eventID in {func} must be zero or greater"),
                func,
                "eventID",
            ));
        }
        if event_id >= EVENT_ID_LAST {
            return Err(Error::arg_check(
                FROM,
                format!("eventID must be less than {EVENT_ID_LAST}"),
                func,
                "eventID",
            ));
        }
        CONNECTIONS.retain(conn.cast());
        let registered = Arc::new(AtomicBool::new(false));
        let callback = CCallback {
            conn_ptr: conn as usize,
            event_id,
            cb,
            opaque: opaque as usize,
            freecb,
            registered: registered.clone(),
        };
        let key = cb.map(|f| f as usize);
        let sub = Subscription {
            owner: c.conn.owner_key(),
            event_id,
            domain,
            legacy_key: if legacy { key } else { None },
            func: Box::new(move |d, e| callback.deliver(d, e)),
        };
        // A refused registration drops the callback (and the connection
        // reference) without running the free function.
        let id = c.conn.driver().domain_event_register(sub)?;
        registered.store(true, Ordering::Release);
        Ok(id)
    })
}

/// Registers a callback for one kind of domain event.
#[no_mangle]
pub extern "C" fn virConnectDomainEventRegisterAny(
    conn: virConnectPtr,
    dom: virDomainPtr,
    eventID: c_int,
    cb: virConnectDomainEventGenericCallback,
    opaque: *mut c_void,
    freecb: virFreeCallback,
) -> c_int {
    let caller = Caller { cb, opaque, freecb };
    register(
        conn,
        dom,
        eventID,
        caller,
        false,
        "virConnectDomainEventRegisterAny",
    )
}

/// Removes a registration made by `virConnectDomainEventRegisterAny`.
#[no_mangle]
pub extern "C" fn virConnectDomainEventDeregisterAny(conn: virConnectPtr, callbackID: c_int) -> c_int {
    with_conn(conn, "virConnectDomainEventDeregisterAny", FROM, |c| {
        if callbackID < 0 {
            return Err(Error::arg_check(
                FROM,
                "callbackID in virConnectDomainEventDeregisterAny must be zero or greater".into(),
                "virConnectDomainEventDeregisterAny",
                "callbackID",
            ));
        }
        c.conn
            .driver()
            .domain_event_deregister(c.conn.owner_key(), callbackID)
            .map(|_| 0)
    })
}

/// The old lifecycle-event registration.
#[no_mangle]
pub extern "C" fn virConnectDomainEventRegister(
    conn: virConnectPtr,
    cb: virConnectDomainEventCallback,
    opaque: *mut c_void,
    freecb: virFreeCallback,
) -> c_int {
    // SAFETY: both are nullable C function pointers; the event code calls it
    // back with the lifecycle signature it really has.
    let generic: virConnectDomainEventGenericCallback = unsafe { std::mem::transmute(cb) };
    let caller = Caller {
        cb: generic,
        opaque,
        freecb,
    };
    match register(
        conn,
        std::ptr::null_mut(),
        VIR_DOMAIN_EVENT_ID_LIFECYCLE,
        caller,
        true,
        "virConnectDomainEventRegister",
    ) {
        -1 => -1,
        _ => 0,
    }
}

/// Removes an old-style lifecycle registration, found by its callback.
#[no_mangle]
pub extern "C" fn virConnectDomainEventDeregister(
    conn: virConnectPtr,
    cb: virConnectDomainEventCallback,
) -> c_int {
    with_conn(conn, "virConnectDomainEventDeregister", FROM, |c| {
        let Some(f) = cb else {
            return Err(Error::null_arg(FROM, "virConnectDomainEventDeregister", "cb"));
        };
        c.conn
            .driver()
            .domain_event_deregister_legacy(c.conn.owner_key(), f as usize)
    })
}

// ---------------------------------------------------------------------------
// Save and restore

/// libvirt hands drivers absolute paths.
fn absolute(path: &str) -> String {
    if path.starts_with('/') {
        return path.to_string();
    }
    match std::env::current_dir() {
        Ok(cwd) => cwd.join(path).to_string_lossy().into_owned(),
        Err(_) => path.to_string(),
    }
}

/// # Safety
/// `to` and `dxml` must be NULL or C strings.
unsafe fn save(
    domain: virDomainPtr,
    to: *const c_char,
    dxml: *const c_char,
    flags: c_uint,
    func: &str,
) -> c_int {
    stopping(domain, func, |drv, d| {
        exclusive(flags, SAVE_RUNNING, SAVE_PAUSED, func)?;
        // SAFETY: the caller's contract.
        let to = unsafe { cstr::req(to, FROM, func, "to") }?;
        // SAFETY: the caller's contract.
        let dxml = unsafe { cstr::opt(dxml, FROM, func, "dxml") }?;
        drv.domain_save(d, &absolute(to), dxml, flags)
    })
}

/// Saves a running domain to a file and stops it.
///
/// # Safety
/// `to` must be NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn virDomainSave(domain: virDomainPtr, to: *const c_char) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { save(domain, to, std::ptr::null(), 0, "virDomainSave") }
}

/// Saves a running domain to a file, with an XML replacement and flags.
///
/// # Safety
/// `to` and `dxml` must be NULL or C strings.
#[no_mangle]
pub unsafe extern "C" fn virDomainSaveFlags(
    domain: virDomainPtr,
    to: *const c_char,
    dxml: *const c_char,
    flags: c_uint,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { save(domain, to, dxml, flags, "virDomainSaveFlags") }
}

/// # Safety
/// `from` and `dxml` must be NULL or C strings.
unsafe fn restore(
    conn: virConnectPtr,
    from: *const c_char,
    dxml: *const c_char,
    flags: c_uint,
    func: &str,
) -> c_int {
    with_conn(conn, func, FROM, |c| {
        writable(c, FROM, func)?;
        // SAFETY: the caller's contract.
        let from = unsafe { cstr::req(from, FROM, func, "from") }?;
        // SAFETY: the caller's contract.
        let dxml = unsafe { cstr::opt(dxml, FROM, func, "dxml") }?;
        c.conn
            .driver()
            .domain_restore(&absolute(from), dxml, flags)
            .map(|_| 0)
    })
}

/// Starts a domain saved with `virDomainSave`.
///
/// # Safety
/// `from` must be NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn virDomainRestore(conn: virConnectPtr, from: *const c_char) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { restore(conn, from, std::ptr::null(), 0, "virDomainRestore") }
}

/// Starts a saved domain, with an XML replacement and flags.
///
/// # Safety
/// `from` and `dxml` must be NULL or C strings.
#[no_mangle]
pub unsafe extern "C" fn virDomainRestoreFlags(
    conn: virConnectPtr,
    from: *const c_char,
    dxml: *const c_char,
    flags: c_uint,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { restore(conn, from, dxml, flags, "virDomainRestoreFlags") }
}

/// The domain XML inside a save image (the caller frees it).
///
/// # Safety
/// `file` must be NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn virDomainSaveImageGetXMLDesc(
    conn: virConnectPtr,
    file: *const c_char,
    flags: c_uint,
) -> *mut c_char {
    const F: &str = "virDomainSaveImageGetXMLDesc";
    with_conn(conn, F, FROM, |c| {
        writable(c, FROM, F)?;
        // SAFETY: the caller's contract.
        let file = unsafe { cstr::req(file, FROM, F, "file") }?;
        alloc_str(
            &c.conn
                .driver()
                .domain_save_image_get_xml_desc(&absolute(file), flags)?,
        )
    })
}

/// Replaces the domain XML inside a save image.
///
/// # Safety
/// `file` and `dxml` must be NULL or C strings.
#[no_mangle]
pub unsafe extern "C" fn virDomainSaveImageDefineXML(
    conn: virConnectPtr,
    file: *const c_char,
    dxml: *const c_char,
    flags: c_uint,
) -> c_int {
    const F: &str = "virDomainSaveImageDefineXML";
    with_conn(conn, F, FROM, |c| {
        writable(c, FROM, F)?;
        // SAFETY: the caller's contract, for both.
        let (file, dxml) = unsafe {
            (
                cstr::req(file, FROM, F, "file")?,
                cstr::req(dxml, FROM, F, "dxml")?,
            )
        };
        c.conn
            .driver()
            .domain_save_image_define_xml(&absolute(file), dxml, flags)
            .map(|_| 0)
    })
}

// ---------------------------------------------------------------------------
// vCPUs

/// Fills up to `maxinfo` vCPU records and, when given, their CPU maps.
///
/// # Safety
/// `info` must have room for `maxinfo` records; `cpumaps`, when not NULL,
/// for `maxinfo * maplen` bytes.
#[no_mangle]
pub unsafe extern "C" fn virDomainGetVcpus(
    domain: virDomainPtr,
    info: virVcpuInfoPtr,
    maxinfo: c_int,
    cpumaps: *mut c_uchar,
    maplen: c_int,
) -> c_int {
    const F: &str = "virDomainGetVcpus";
    with_dom(domain, F, |d| {
        if info.is_null() {
            return Err(Error::null_arg(FROM, F, "info"));
        }
        if maxinfo <= 0 {
            return Err(Error::arg_check(
                FROM,
                format!("maxinfo in {F} must be greater than zero"),
                F,
                "maxinfo",
            ));
        }
        if !cpumaps.is_null() && maplen <= 0 {
            return Err(Error::arg_check(
                FROM,
                format!("maplen in {F} must be greater than zero"),
                F,
                "maplen",
            ));
        }
        if cpumaps.is_null() && maplen != 0 {
            // (libvirt's wording, inverted as it is.)
            return Err(Error::arg_check(
                FROM,
                format!("maplen in {F} must not be zero"),
                F,
                "maplen",
            ));
        }
        let vcpus = d.conn.conn.driver().domain_get_vcpus(&d.reference())?;
        let n = vcpus.len().min(maxinfo as usize);
        if !cpumaps.is_null() {
            // SAFETY: room for maxinfo * maplen bytes by the caller's contract.
            unsafe { std::ptr::write_bytes(cpumaps, 0, maxinfo as usize * maplen as usize) };
        }
        for (i, v) in vcpus.iter().take(n).enumerate() {
            let record = virVcpuInfo {
                number: v.number,
                state: v.state,
                cpuTime: v.cpu_time,
                cpu: v.cpu,
            };
            // SAFETY: i < maxinfo, within the caller's array.
            unsafe { info.add(i).write(record) };
            if !cpumaps.is_null() {
                for (cpu, _) in v.affinity.iter().enumerate().filter(|(_, on)| **on) {
                    if cpu / 8 < maplen as usize {
                        // SAFETY: within this vCPU's maplen bytes of the caller's buffer.
                        unsafe { *cpumaps.add(i * maplen as usize + cpu / 8) |= 1 << (cpu % 8) };
                    }
                }
            }
        }
        Ok(n as c_int)
    })
}

// ---------------------------------------------------------------------------
// Metadata

/// Sets (or with a NULL `metadata` removes) the title, the description or
/// the metadata element of namespace `uri`.
///
/// # Safety
/// `metadata`, `key` and `uri` must each be NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn virDomainSetMetadata(
    domain: virDomainPtr,
    type_: c_int,
    metadata: *const c_char,
    key: *const c_char,
    uri: *const c_char,
    flags: c_uint,
) -> c_int {
    const F: &str = "virDomainSetMetadata";
    change(domain, F, |d| {
        // SAFETY: the caller's contract, for all three.
        let (value, key_s, uri_s) = unsafe {
            (
                cstr::opt(metadata, FROM, F, "metadata")?,
                cstr::opt(key, FROM, F, "key")?,
                cstr::opt(uri, FROM, F, "uri")?,
            )
        };
        match type_ {
            VIR_DOMAIN_METADATA_TITLE | VIR_DOMAIN_METADATA_DESCRIPTION => {
                if type_ == VIR_DOMAIN_METADATA_TITLE && value.is_some_and(|t| t.contains('\n')) {
                    return Err(Error::arg_check(
                        FROM,
                        "metadata title can't contain newlines".into(),
                        F,
                        "metadata",
                    ));
                }
                if uri_s.is_some() {
                    return Err(Error::non_null_arg(FROM, F, "uri"));
                }
                if key_s.is_some() {
                    return Err(Error::non_null_arg(FROM, F, "key"));
                }
            }
            VIR_DOMAIN_METADATA_ELEMENT => {
                if uri_s.is_none() {
                    return Err(Error::null_arg(FROM, F, "uri"));
                }
                if value.is_some() && key_s.is_none() {
                    return Err(Error::null_arg(FROM, F, "key"));
                }
            }
            _ => {}
        }
        let edit = MetadataEdit {
            kind: type_,
            value,
            key: key_s,
            uri: uri_s,
        };
        d.conn
            .conn
            .driver()
            .domain_set_metadata(&d.reference(), &edit, flags)
            .map(|_| 0)
    })
}

/// The title, the description or the metadata element of namespace `uri`
/// (the caller frees it).
///
/// # Safety
/// `uri` must be NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn virDomainGetMetadata(
    domain: virDomainPtr,
    type_: c_int,
    uri: *const c_char,
    flags: c_uint,
) -> *mut c_char {
    const F: &str = "virDomainGetMetadata";
    with_dom(domain, F, |d| {
        exclusive(flags, LIVE, CONFIG, F)?;
        // SAFETY: the caller's contract.
        let uri = unsafe { cstr::opt(uri, FROM, F, "uri") }?;
        match type_ {
            VIR_DOMAIN_METADATA_TITLE | VIR_DOMAIN_METADATA_DESCRIPTION if uri.is_some() => {
                return Err(Error::non_null_arg(FROM, F, "uri"));
            }
            VIR_DOMAIN_METADATA_ELEMENT if uri.is_none() => return Err(Error::null_arg(FROM, F, "uri")),
            _ => {}
        }
        alloc_str(
            &d.conn
                .conn
                .driver()
                .domain_get_metadata(&d.reference(), type_, uri, flags)?,
        )
    })
}

/// Sets how often the memory balloon collects statistics.
#[no_mangle]
pub extern "C" fn virDomainSetMemoryStatsPeriod(domain: virDomainPtr, period: c_int, flags: c_uint) -> c_int {
    const F: &str = "virDomainSetMemoryStatsPeriod";
    change(domain, F, |d| {
        if period < 0 {
            return Err(Error::arg_check(
                FROM,
                format!("period in {F} must be zero or greater"),
                F,
                "period",
            ));
        }
        d.conn
            .conn
            .driver()
            .domain_set_memory_stats_period(&d.reference(), period, flags)
            .map(|_| 0)
    })
}
