//! `libvirt-storage.h`: storage pools and their volumes (listing, lookup,
//! lifecycle, XML, sizes).
#![allow(non_snake_case)]

use std::sync::Arc;

use crate::abi::*;
use crate::driver::{Driver, VolRef};
use crate::error::{Error, Result};
use crate::ffi::boundary::{with_conn, writable, Failure};
use crate::ffi::common::{alloc_str, list_room, put_names};
use crate::ffi::cstr;
use crate::ffi::network::{put_uuid, put_uuid_string, uuid_arg, uuidstr_arg};
use crate::ffi::objects::{
    hand_out_objs, new_pool, new_vol, obj_free, obj_ref, with_obj, PoolHandle, VolHandle, BAD_POOL, BAD_VOL,
    POOLS, STREAMS, VOLUMES,
};
use crate::stream::Payload;

/// Error domain of libvirt-storage.h's functions.
const FROM: i32 = VIR_FROM_STORAGE;

/// Runs `f` on a valid pool handle.
fn with_pool<R: Failure>(
    pool: virStoragePoolPtr,
    func: &str,
    f: impl FnOnce(&Arc<PoolHandle>) -> Result<R>,
) -> R {
    with_obj(&POOLS, pool.cast(), &BAD_POOL, func, f)
}

/// Runs `f` on a valid volume handle.
fn with_vol<R: Failure>(
    vol: virStorageVolPtr,
    func: &str,
    f: impl FnOnce(&Arc<VolHandle>) -> Result<R>,
) -> R {
    with_obj(&VOLUMES, vol.cast(), &BAD_VOL, func, f)
}

/// Runs a state-changing call on a pool: the handle, then the read-only check.
fn change_pool(pool: virStoragePoolPtr, func: &str, f: impl FnOnce(&Arc<PoolHandle>) -> Result<()>) -> c_int {
    with_pool(pool, func, |p| {
        writable(&p.conn, FROM, func)?;
        f(p).map(|_| 0)
    })
}

/// How many pools are active.
#[no_mangle]
pub extern "C" fn virConnectNumOfStoragePools(conn: virConnectPtr) -> c_int {
    with_conn(conn, "virConnectNumOfStoragePools", FROM, |c| {
        Ok(c.conn.driver().list_storage_pools(true)?.len() as c_int)
    })
}

/// How many pools are defined but inactive.
#[no_mangle]
pub extern "C" fn virConnectNumOfDefinedStoragePools(conn: virConnectPtr) -> c_int {
    with_conn(conn, "virConnectNumOfDefinedStoragePools", FROM, |c| {
        Ok(c.conn.driver().list_storage_pools(false)?.len() as c_int)
    })
}

/// Names of active pools, at most `maxnames` (the caller frees each).
///
/// # Safety
/// `names` must be NULL or have room for `maxnames` pointers.
#[no_mangle]
pub unsafe extern "C" fn virConnectListStoragePools(
    conn: virConnectPtr,
    names: *mut *mut c_char,
    maxnames: c_int,
) -> c_int {
    const F: &str = "virConnectListStoragePools";
    with_conn(conn, F, FROM, |c| {
        let room = list_room(FROM, names.is_null(), maxnames, F, "names", "maxnames")?;
        // SAFETY: the caller's contract.
        unsafe { put_names(names, room, &c.conn.driver().list_storage_pools(true)?) }
    })
}

/// Names of inactive pools, at most `maxnames` (the caller frees each).
///
/// # Safety
/// `names` must be NULL or have room for `maxnames` pointers.
#[no_mangle]
pub unsafe extern "C" fn virConnectListDefinedStoragePools(
    conn: virConnectPtr,
    names: *mut *mut c_char,
    maxnames: c_int,
) -> c_int {
    const F: &str = "virConnectListDefinedStoragePools";
    with_conn(conn, F, FROM, |c| {
        let room = list_room(FROM, names.is_null(), maxnames, F, "names", "maxnames")?;
        // SAFETY: the caller's contract.
        unsafe { put_names(names, room, &c.conn.driver().list_storage_pools(false)?) }
    })
}

/// Every pool matching `flags`, as new handles when `pools` is non-NULL.
///
/// # Safety
/// `pools` must be NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn virConnectListAllStoragePools(
    conn: virConnectPtr,
    pools: *mut *mut virStoragePoolPtr,
    flags: c_uint,
) -> c_int {
    with_conn(conn, "virConnectListAllStoragePools", FROM, |c| {
        if !pools.is_null() {
            // SAFETY: writable by the caller's contract; NULL whatever happens next.
            unsafe { pools.write(std::ptr::null_mut()) };
        }
        let found = c.conn.driver().list_all_storage_pools(flags)?;
        // SAFETY: the caller's contract.
        unsafe { hand_out_objs(&POOLS, found, pools, |r| new_pool(c, conn as usize, r)) }
    })
}

/// Looks up a pool by name.
///
/// # Safety
/// `name` must be NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn virStoragePoolLookupByName(
    conn: virConnectPtr,
    name: *const c_char,
) -> virStoragePoolPtr {
    const F: &str = "virStoragePoolLookupByName";
    with_conn(conn, F, FROM, |c| {
        // SAFETY: the caller's contract.
        let name = unsafe { cstr::req(name, FROM, F, "name") }?;
        Ok(new_pool(
            c,
            conn as usize,
            c.conn.driver().pool_lookup_by_name(name)?,
        ))
    })
}

/// Looks up a pool by UUID.
///
/// # Safety
/// `uuid` must be NULL or point to 16 bytes.
#[no_mangle]
pub unsafe extern "C" fn virStoragePoolLookupByUUID(
    conn: virConnectPtr,
    uuid: *const c_uchar,
) -> virStoragePoolPtr {
    const F: &str = "virStoragePoolLookupByUUID";
    with_conn(conn, F, FROM, |c| {
        // SAFETY: the caller's contract.
        let uuid = unsafe { uuid_arg(uuid, FROM, F) }?;
        Ok(new_pool(
            c,
            conn as usize,
            c.conn.driver().pool_lookup_by_uuid(&uuid)?,
        ))
    })
}

/// Looks up a pool by UUID in text form.
///
/// # Safety
/// `uuidstr` must be NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn virStoragePoolLookupByUUIDString(
    conn: virConnectPtr,
    uuidstr: *const c_char,
) -> virStoragePoolPtr {
    const F: &str = "virStoragePoolLookupByUUIDString";
    with_conn(conn, F, FROM, |c| {
        // SAFETY: the caller's contract.
        let uuid = unsafe { uuidstr_arg(uuidstr, FROM, F) }?;
        Ok(new_pool(
            c,
            conn as usize,
            c.conn.driver().pool_lookup_by_uuid(&uuid)?,
        ))
    })
}

/// The pool a volume belongs to.
#[no_mangle]
pub extern "C" fn virStoragePoolLookupByVolume(vol: virStorageVolPtr) -> virStoragePoolPtr {
    with_vol(vol, "virStoragePoolLookupByVolume", |v| {
        let r = v.conn.conn.driver().pool_lookup_by_volume(&v.obj)?;
        Ok(new_pool(&v.conn, v.conn_ptr, r))
    })
}

/// Defines a persistent pool.
///
/// # Safety
/// `xml` must be NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn virStoragePoolDefineXML(
    conn: virConnectPtr,
    xml: *const c_char,
    flags: c_uint,
) -> virStoragePoolPtr {
    const F: &str = "virStoragePoolDefineXML";
    with_conn(conn, F, FROM, |c| {
        writable(c, FROM, F)?;
        // SAFETY: the caller's contract.
        let xml = unsafe { cstr::req(xml, FROM, F, "xml") }?;
        Ok(new_pool(
            c,
            conn as usize,
            c.conn.driver().pool_define_xml(xml, flags)?,
        ))
    })
}

/// Creates and starts a transient pool.
///
/// # Safety
/// `xmlDesc` must be NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn virStoragePoolCreateXML(
    conn: virConnectPtr,
    xmlDesc: *const c_char,
    flags: c_uint,
) -> virStoragePoolPtr {
    const F: &str = "virStoragePoolCreateXML";
    with_conn(conn, F, FROM, |c| {
        writable(c, FROM, F)?;
        // SAFETY: the caller's contract.
        let xml = unsafe { cstr::req(xmlDesc, FROM, F, "xmlDesc") }?;
        Ok(new_pool(
            c,
            conn as usize,
            c.conn.driver().pool_create_xml(xml, flags)?,
        ))
    })
}

/// Adds a reference to a pool handle.
#[no_mangle]
pub extern "C" fn virStoragePoolRef(pool: virStoragePoolPtr) -> c_int {
    obj_ref(&POOLS, pool.cast(), &BAD_POOL, "virStoragePoolRef")
}

/// Drops a reference to a pool handle.
#[no_mangle]
pub extern "C" fn virStoragePoolFree(pool: virStoragePoolPtr) -> c_int {
    obj_free(&POOLS, pool.cast(), &BAD_POOL, "virStoragePoolFree")
}

/// The pool's name (owned by the handle).
#[no_mangle]
pub extern "C" fn virStoragePoolGetName(pool: virStoragePoolPtr) -> *const c_char {
    with_pool(pool, "virStoragePoolGetName", |p| Ok(p.name.as_ptr()))
}

/// Writes the pool's UUID (16 bytes) into `uuid`.
///
/// # Safety
/// `uuid` must be NULL or have room for 16 bytes.
#[no_mangle]
pub unsafe extern "C" fn virStoragePoolGetUUID(pool: virStoragePoolPtr, uuid: *mut c_uchar) -> c_int {
    const F: &str = "virStoragePoolGetUUID";
    // SAFETY: the caller's contract.
    with_pool(pool, F, |p| unsafe { put_uuid(uuid, &p.obj.uuid, FROM, F) })
}

/// Writes the pool's UUID as text into `buf`.
///
/// # Safety
/// `buf` must be NULL or have room for 37 bytes.
#[no_mangle]
pub unsafe extern "C" fn virStoragePoolGetUUIDString(pool: virStoragePoolPtr, buf: *mut c_char) -> c_int {
    const F: &str = "virStoragePoolGetUUIDString";
    // SAFETY: the caller's contract.
    with_pool(pool, F, |p| unsafe { put_uuid_string(buf, &p.obj.uuid, FROM, F) })
}

/// The connection the pool handle belongs to.
#[no_mangle]
pub extern "C" fn virStoragePoolGetConnect(pool: virStoragePoolPtr) -> virConnectPtr {
    with_pool(pool, "virStoragePoolGetConnect", |p| {
        Ok(p.conn_ptr as virConnectPtr)
    })
}

/// Starts a defined pool.
#[no_mangle]
pub extern "C" fn virStoragePoolCreate(pool: virStoragePoolPtr, flags: c_uint) -> c_int {
    change_pool(pool, "virStoragePoolCreate", |p| {
        p.conn.conn.driver().pool_create(&p.obj, flags)
    })
}

/// Stops a pool.
#[no_mangle]
pub extern "C" fn virStoragePoolDestroy(pool: virStoragePoolPtr) -> c_int {
    change_pool(pool, "virStoragePoolDestroy", |p| {
        p.conn.conn.driver().pool_destroy(&p.obj)
    })
}

/// Removes a pool's persistent configuration.
#[no_mangle]
pub extern "C" fn virStoragePoolUndefine(pool: virStoragePoolPtr) -> c_int {
    change_pool(pool, "virStoragePoolUndefine", |p| {
        p.conn.conn.driver().pool_undefine(&p.obj)
    })
}

/// Builds the pool's underlying storage.
#[no_mangle]
pub extern "C" fn virStoragePoolBuild(pool: virStoragePoolPtr, flags: c_uint) -> c_int {
    change_pool(pool, "virStoragePoolBuild", |p| {
        p.conn.conn.driver().pool_build(&p.obj, flags)
    })
}

/// Deletes the pool's underlying storage.
#[no_mangle]
pub extern "C" fn virStoragePoolDelete(pool: virStoragePoolPtr, flags: c_uint) -> c_int {
    change_pool(pool, "virStoragePoolDelete", |p| {
        p.conn.conn.driver().pool_delete(&p.obj, flags)
    })
}

/// Rescans the pool's volumes.
#[no_mangle]
pub extern "C" fn virStoragePoolRefresh(pool: virStoragePoolPtr, flags: c_uint) -> c_int {
    change_pool(pool, "virStoragePoolRefresh", |p| {
        p.conn.conn.driver().pool_refresh(&p.obj, flags)
    })
}

/// The pool's state and sizes, into `info`.
///
/// # Safety
/// `info` must be NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn virStoragePoolGetInfo(
    pool: virStoragePoolPtr,
    info: virStoragePoolInfoPtr,
) -> c_int {
    const F: &str = "virStoragePoolGetInfo";
    with_pool(pool, F, |p| {
        if info.is_null() {
            return Err(Error::null_arg(FROM, F, "info"));
        }
        let i = p.conn.conn.driver().pool_get_info(&p.obj)?;
        // SAFETY: writable by the caller's contract.
        unsafe {
            info.write(virStoragePoolInfo {
                state: i.state,
                capacity: i.capacity,
                allocation: i.allocation,
                available: i.available,
            })
        };
        Ok(0)
    })
}

/// The pool's XML (the caller frees it).
#[no_mangle]
pub extern "C" fn virStoragePoolGetXMLDesc(pool: virStoragePoolPtr, flags: c_uint) -> *mut c_char {
    with_pool(pool, "virStoragePoolGetXMLDesc", |p| {
        alloc_str(&p.conn.conn.driver().pool_get_xml_desc(&p.obj, flags)?)
    })
}

/// Whether the pool starts with the host, into `autostart`.
///
/// # Safety
/// `autostart` must be NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn virStoragePoolGetAutostart(pool: virStoragePoolPtr, autostart: *mut c_int) -> c_int {
    const F: &str = "virStoragePoolGetAutostart";
    with_pool(pool, F, |p| {
        if autostart.is_null() {
            return Err(Error::null_arg(FROM, F, "autostart"));
        }
        let on = p.conn.conn.driver().pool_get_autostart(&p.obj)?;
        // SAFETY: writable by the caller's contract.
        unsafe { autostart.write(c_int::from(on)) };
        Ok(0)
    })
}

/// Sets whether the pool starts with the host.
#[no_mangle]
pub extern "C" fn virStoragePoolSetAutostart(pool: virStoragePoolPtr, autostart: c_int) -> c_int {
    change_pool(pool, "virStoragePoolSetAutostart", |p| {
        p.conn.conn.driver().pool_set_autostart(&p.obj, autostart != 0)
    })
}

/// 1 when the pool is active, 0 otherwise.
#[no_mangle]
pub extern "C" fn virStoragePoolIsActive(pool: virStoragePoolPtr) -> c_int {
    with_pool(pool, "virStoragePoolIsActive", |p| {
        Ok(c_int::from(p.conn.conn.driver().pool_is_active(&p.obj)?))
    })
}

/// 1 when the pool has a persistent configuration, 0 otherwise.
#[no_mangle]
pub extern "C" fn virStoragePoolIsPersistent(pool: virStoragePoolPtr) -> c_int {
    with_pool(pool, "virStoragePoolIsPersistent", |p| {
        Ok(c_int::from(p.conn.conn.driver().pool_is_persistent(&p.obj)?))
    })
}

/// How many volumes the pool holds.
#[no_mangle]
pub extern "C" fn virStoragePoolNumOfVolumes(pool: virStoragePoolPtr) -> c_int {
    with_pool(pool, "virStoragePoolNumOfVolumes", |p| {
        Ok(p.conn.conn.driver().pool_list_volumes(&p.obj)?.len() as c_int)
    })
}

/// Names of the pool's volumes, at most `maxnames` (the caller frees each).
///
/// # Safety
/// `names` must be NULL or have room for `maxnames` pointers.
#[no_mangle]
pub unsafe extern "C" fn virStoragePoolListVolumes(
    pool: virStoragePoolPtr,
    names: *mut *mut c_char,
    maxnames: c_int,
) -> c_int {
    const F: &str = "virStoragePoolListVolumes";
    with_pool(pool, F, |p| {
        let room = list_room(FROM, names.is_null(), maxnames, F, "names", "maxnames")?;
        // SAFETY: the caller's contract.
        unsafe { put_names(names, room, &p.conn.conn.driver().pool_list_volumes(&p.obj)?) }
    })
}

/// The pool's volumes, as new handles when `vols` is non-NULL.
///
/// # Safety
/// `vols` must be NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn virStoragePoolListAllVolumes(
    pool: virStoragePoolPtr,
    vols: *mut *mut virStorageVolPtr,
    flags: c_uint,
) -> c_int {
    with_pool(pool, "virStoragePoolListAllVolumes", |p| {
        if !vols.is_null() {
            // SAFETY: writable by the caller's contract; NULL whatever happens next.
            unsafe { vols.write(std::ptr::null_mut()) };
        }
        let found = p.conn.conn.driver().pool_list_all_volumes(&p.obj, flags)?;
        // SAFETY: the caller's contract.
        unsafe { hand_out_objs(&VOLUMES, found, vols, |r| new_vol(&p.conn, p.conn_ptr, r)) }
    })
}

/// Looks up a volume of a pool by name.
///
/// # Safety
/// `name` must be NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn virStorageVolLookupByName(
    pool: virStoragePoolPtr,
    name: *const c_char,
) -> virStorageVolPtr {
    const F: &str = "virStorageVolLookupByName";
    with_pool(pool, F, |p| {
        // SAFETY: the caller's contract.
        let name = unsafe { cstr::req(name, FROM, F, "name") }?;
        let r = p.conn.conn.driver().vol_lookup_by_name(&p.obj, name)?;
        Ok(new_vol(&p.conn, p.conn_ptr, r))
    })
}

/// Looks up a volume by key.
///
/// # Safety
/// `key` must be NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn virStorageVolLookupByKey(
    conn: virConnectPtr,
    key: *const c_char,
) -> virStorageVolPtr {
    const F: &str = "virStorageVolLookupByKey";
    with_conn(conn, F, FROM, |c| {
        // SAFETY: the caller's contract.
        let key = unsafe { cstr::req(key, FROM, F, "key") }?;
        Ok(new_vol(c, conn as usize, c.conn.driver().vol_lookup_by_key(key)?))
    })
}

/// Looks up a volume by path.
///
/// # Safety
/// `path` must be NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn virStorageVolLookupByPath(
    conn: virConnectPtr,
    path: *const c_char,
) -> virStorageVolPtr {
    const F: &str = "virStorageVolLookupByPath";
    with_conn(conn, F, FROM, |c| {
        // SAFETY: the caller's contract.
        let path = unsafe { cstr::req(path, FROM, F, "path") }?;
        Ok(new_vol(
            c,
            conn as usize,
            c.conn.driver().vol_lookup_by_path(path)?,
        ))
    })
}

/// Creates a volume in a pool.
///
/// # Safety
/// `xmlDesc` must be NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn virStorageVolCreateXML(
    pool: virStoragePoolPtr,
    xmlDesc: *const c_char,
    flags: c_uint,
) -> virStorageVolPtr {
    const F: &str = "virStorageVolCreateXML";
    with_pool(pool, F, |p| {
        writable(&p.conn, FROM, F)?;
        // SAFETY: the caller's contract.
        let xml = unsafe { cstr::req(xmlDesc, FROM, F, "xmlDesc") }?;
        let r = p.conn.conn.driver().vol_create_xml(&p.obj, xml, flags)?;
        Ok(new_vol(&p.conn, p.conn_ptr, r))
    })
}

/// Creates a volume in a pool as a copy of `clonevol`.
///
/// # Safety
/// `xmlDesc` must be NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn virStorageVolCreateXMLFrom(
    pool: virStoragePoolPtr,
    xmlDesc: *const c_char,
    clonevol: virStorageVolPtr,
    flags: c_uint,
) -> virStorageVolPtr {
    const F: &str = "virStorageVolCreateXMLFrom";
    with_pool(pool, F, |p| {
        let from = VOLUMES
            .get(clonevol.cast())
            .ok_or_else(|| Error::with(FROM, VIR_ERR_INVALID_STORAGE_VOL, F))?;
        writable(&p.conn, FROM, F)?;
        // SAFETY: the caller's contract.
        let xml = unsafe { cstr::req(xmlDesc, FROM, F, "xmlDesc") }?;
        let r = p
            .conn
            .conn
            .driver()
            .vol_create_xml_from(&p.obj, xml, &from.obj, flags)?;
        Ok(new_vol(&p.conn, p.conn_ptr, r))
    })
}

/// Adds a reference to a volume handle.
#[no_mangle]
pub extern "C" fn virStorageVolRef(vol: virStorageVolPtr) -> c_int {
    obj_ref(&VOLUMES, vol.cast(), &BAD_VOL, "virStorageVolRef")
}

/// Drops a reference to a volume handle.
#[no_mangle]
pub extern "C" fn virStorageVolFree(vol: virStorageVolPtr) -> c_int {
    obj_free(&VOLUMES, vol.cast(), &BAD_VOL, "virStorageVolFree")
}

/// The volume's name (owned by the handle).
#[no_mangle]
pub extern "C" fn virStorageVolGetName(vol: virStorageVolPtr) -> *const c_char {
    with_vol(vol, "virStorageVolGetName", |v| Ok(v.name.as_ptr()))
}

/// The volume's key (owned by the handle).
#[no_mangle]
pub extern "C" fn virStorageVolGetKey(vol: virStorageVolPtr) -> *const c_char {
    with_vol(vol, "virStorageVolGetKey", |v| Ok(v.key.as_ptr()))
}

/// The connection the volume handle belongs to.
#[no_mangle]
pub extern "C" fn virStorageVolGetConnect(vol: virStorageVolPtr) -> virConnectPtr {
    with_vol(
        vol,
        "virStorageVolGetConnect",
        |v| Ok(v.conn_ptr as virConnectPtr),
    )
}

/// Deletes a volume.
#[no_mangle]
pub extern "C" fn virStorageVolDelete(vol: virStorageVolPtr, flags: c_uint) -> c_int {
    const F: &str = "virStorageVolDelete";
    with_vol(vol, F, |v| {
        writable(&v.conn, FROM, F)?;
        v.conn.conn.driver().vol_delete(&v.obj, flags).map(|_| 0)
    })
}

/// Overwrites a volume's data.
#[no_mangle]
pub extern "C" fn virStorageVolWipe(vol: virStorageVolPtr, flags: c_uint) -> c_int {
    const F: &str = "virStorageVolWipe";
    with_vol(vol, F, |v| {
        writable(&v.conn, FROM, F)?;
        v.conn.conn.driver().vol_wipe(&v.obj, flags).map(|_| 0)
    })
}

/// Reads a volume through `stream`: `length` bytes from `offset` (0: to the end).
#[no_mangle]
pub extern "C" fn virStorageVolDownload(
    vol: virStorageVolPtr,
    stream: virStreamPtr,
    offset: c_ulonglong,
    length: c_ulonglong,
    flags: c_uint,
) -> c_int {
    transfer(vol, stream, "virStorageVolDownload", |d, v| {
        d.vol_download(v, offset, length, flags)
    })
}

/// Writes a volume through `stream`: `length` bytes at `offset` (0: to the end).
#[no_mangle]
pub extern "C" fn virStorageVolUpload(
    vol: virStorageVolPtr,
    stream: virStreamPtr,
    offset: c_ulonglong,
    length: c_ulonglong,
    flags: c_uint,
) -> c_int {
    transfer(vol, stream, "virStorageVolUpload", |d, v| {
        d.vol_upload(v, offset, length, flags)
    })
}

/// The checks of a volume transfer (volume, stream, read-only, the stream's
/// connection), then the driver's payload attached to the stream.
fn transfer(
    vol: virStorageVolPtr,
    stream: virStreamPtr,
    func: &str,
    open: impl FnOnce(&dyn Driver, &VolRef) -> Result<Payload>,
) -> c_int {
    with_vol(vol, func, |v| {
        let s = STREAMS
            .get(stream.cast())
            .ok_or_else(|| Error::with(VIR_FROM_STREAMS, VIR_ERR_INVALID_STREAM, func))?;
        writable(&v.conn, FROM, func)?;
        if !Arc::ptr_eq(&s.conn, &v.conn) {
            return Err(Error::arg_check(
                FROM,
                format!(
                    "stream in {func} must match connection of volume '{}'",
                    v.obj.name
                ),
                func,
                "stream",
            ));
        }
        s.obj.attach(open(v.conn.conn.driver(), &v.obj)?);
        Ok(0)
    })
}

/// The volume's type and sizes, into `info`.
///
/// # Safety
/// `info` must be NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn virStorageVolGetInfo(vol: virStorageVolPtr, info: virStorageVolInfoPtr) -> c_int {
    const F: &str = "virStorageVolGetInfo";
    with_vol(vol, F, |v| {
        if info.is_null() {
            return Err(Error::null_arg(FROM, F, "info"));
        }
        let i = v.conn.conn.driver().vol_get_info(&v.obj)?;
        // SAFETY: writable by the caller's contract.
        unsafe {
            info.write(virStorageVolInfo {
                r#type: i.vol_type,
                capacity: i.capacity,
                allocation: i.allocation,
            })
        };
        Ok(0)
    })
}

/// The volume's XML (the caller frees it).
#[no_mangle]
pub extern "C" fn virStorageVolGetXMLDesc(vol: virStorageVolPtr, flags: c_uint) -> *mut c_char {
    with_vol(vol, "virStorageVolGetXMLDesc", |v| {
        alloc_str(&v.conn.conn.driver().vol_get_xml_desc(&v.obj, flags)?)
    })
}

/// The volume's path (the caller frees it).
#[no_mangle]
pub extern "C" fn virStorageVolGetPath(vol: virStorageVolPtr) -> *mut c_char {
    with_vol(vol, "virStorageVolGetPath", |v| {
        alloc_str(&v.conn.conn.driver().vol_get_path(&v.obj)?)
    })
}
