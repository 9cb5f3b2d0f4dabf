//! `libvirt-domain.h`: the free functions for the structs domain APIs hand
//! out, and the builders that allocate those structs the way the free
//! functions expect (everything `malloc`ed, so libvirt's callers may also
//! release parts with `free()`).
//!
//! The future exports (`virDomainGetFSInfo`, `virDomainGetIOThreadInfo`,
//! `virDomainInterfaceAddresses`, `virConnectGetAllDomainStats`, ...) take
//! safe data from their driver and build the C result with these builders.
#![allow(non_snake_case)]

use crate::abi::*;
use crate::error::{Error, Result};
use crate::ffi::boundary::{entry, guarded, unsupported, Subject};
use crate::ffi::common::{
    alloc_array, alloc_opt_str, alloc_str, alloc_zeroed, params_to_c, virTypedParamsFree,
};
use crate::typed_params::TypedParam;

/// Releases the reference a returned `virDomainStatsRecord` holds on its
/// domain, as libvirt does with `virDomainFree`.
///
/// HOOK: no domain handles exist yet, so a non-NULL handle is only
/// acknowledged (the last error is reset, as a successful `virDomainFree`
/// does); once domain handles exist this must drop the reference.  A NULL
/// handle fails as `virDomainFree(NULL)` does in libvirt ("invalid domain
/// pointer in virDomainFree", reported to the error callbacks).
pub fn release_domain_ref(dom: virDomainPtr) {
    entry(|_| {
        if dom.is_null() {
            return Err(Error::with(VIR_FROM_DOM, VIR_ERR_INVALID_DOMAIN, "virDomainFree"));
        }
        Ok(())
    })
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

/// libvirt's old name for `virDomainCreateXML`; it reports errors under the
/// new name, as libvirt's does.
#[no_mangle]
pub extern "C" fn virDomainCreateLinux(
    conn: virConnectPtr,
    xmlDesc: *const c_char,
    flags: c_uint,
) -> virDomainPtr {
    let _ = (xmlDesc, flags);
    unsupported(
        c"virDomainCreateXML",
        Subject::Connect(conn.cast()),
        VIR_FROM_DOMAIN,
    )
}

/// Statistics of the given domains.  The list is checked before the driver is
/// asked, as libvirt does.
///
/// # Safety
/// `doms` must be NULL or a NULL-terminated array of domain handles.
#[no_mangle]
pub unsafe extern "C" fn virDomainListGetStats(
    doms: *mut virDomainPtr,
    stats: c_uint,
    retStats: *mut *mut virDomainStatsRecordPtr,
    flags: c_uint,
) -> c_int {
    let _ = (stats, retStats, flags);
    if doms.is_null() {
        return entry(|_| Err(Error::null_arg(VIR_FROM_DOMAIN, "virDomainListGetStats", "doms")));
    }
    // SAFETY: non-NULL, so it holds at least the terminating NULL.
    let first = unsafe { *doms };
    unsupported(
        c"virDomainListGetStats",
        Subject::Domain(first.cast()),
        VIR_FROM_DOMAIN,
    )
}
