//! `virDomainMigrate` between two connections: the flag rules every driver
//! shares, and the version 1 protocol (prepare on the destination, perform
//! on the source, finish on the destination) for drivers that offer it.

use crate::abi::*;
use crate::connect::Connection;
use crate::driver::{feature, DomainRef};
use crate::error::{Error, Result};

/// One migration as the caller asked for it.
pub struct Request<'a> {
    /// The API called (`virDomainMigrate`, `virDomainMigrate2`), for errors.
    pub func: &'a str,
    /// `VIR_MIGRATE_*` flags.
    pub flags: u64,
    /// A new name on the destination.
    pub dname: Option<&'a str>,
    /// Where to migrate to, when the destination should not choose.
    pub uri: Option<&'a str>,
    /// Bandwidth limit in MiB/s.
    pub bandwidth: u64,
    /// Domain XML for the destination (`virDomainMigrate2`).
    pub dxml: Option<&'a str>,
}

fn has(flags: u64, flag: u32) -> bool {
    flags & u64::from(flag) != 0
}

fn supports(conn: &Connection, which: i32) -> Result<bool> {
    conn.driver().supports_feature(which)
}

/// Migrates `dom` of `src` to `dst`; the domain on `dst`.
pub fn migrate(src: &Connection, dom: &DomainRef, dst: &Connection, req: &Request) -> Result<DomainRef> {
    if src.read_only() || dst.read_only() {
        return Err(Error::read_only(VIR_FROM_DOMAIN, req.func));
    }
    let flags = req.flags;
    if has(flags, VIR_MIGRATE_NON_SHARED_DISK) && has(flags, VIR_MIGRATE_NON_SHARED_INC) {
        return Err(Error::arg_check(
            VIR_FROM_DOMAIN,
            "Flags 'VIR_MIGRATE_NON_SHARED_DISK' and 'VIR_MIGRATE_NON_SHARED_INC' are mutually exclusive"
                .into(),
            req.func,
            "flags",
        ));
    }
    if has(flags, VIR_MIGRATE_NON_SHARED_SYNCHRONOUS_WRITES)
        && !has(flags, VIR_MIGRATE_NON_SHARED_DISK | VIR_MIGRATE_NON_SHARED_INC)
    {
        return Err(Error::arg_check(
            VIR_FROM_DOMAIN,
            "Flag 'VIR_MIGRATE_NON_SHARED_DISK | VIR_MIGRATE_NON_SHARED_INC' is required by flag 'VIR_MIGRATE_NON_SHARED_SYNCHRONOUS_WRITES'".into(),
            req.func,
            "flags",
        ));
    }
    if has(flags, VIR_MIGRATE_OFFLINE) {
        for (conn, side) in [(src, "source"), (dst, "destination")] {
            if !supports(conn, feature::MIGRATION_OFFLINE)? {
                return Err(Error::with(
                    VIR_FROM_DOMAIN,
                    VIR_ERR_ARGUMENT_UNSUPPORTED,
                    format!("offline migration is not supported by the {side} host"),
                ));
            }
        }
    }
    if has(flags, VIR_MIGRATE_PEER2PEER) {
        // No driver here migrates peer to peer.
        return Err(Error::no_support(VIR_FROM_DOMAIN, req.func));
    }
    if has(flags, VIR_MIGRATE_TUNNELLED) {
        return Err(Error::with(
            VIR_FROM_DOMAIN,
            VIR_ERR_OPERATION_INVALID,
            "cannot perform tunnelled migration without using peer2peer flag",
        ));
    }
    if !(supports(src, feature::MIGRATION_V1)? && supports(dst, feature::MIGRATION_V1)?) {
        return Err(Error::no_support(VIR_FROM_DOMAIN, req.func));
    }
    if req.dxml.is_some() {
        return Err(Error::with(
            VIR_FROM_DOMAIN,
            VIR_ERR_ARGUMENT_UNSUPPORTED,
            "Unable to change target guest XML during migration",
        ));
    }
    version1(src, dom, dst, req)
}

/// The version 1 protocol.
fn version1(src: &Connection, dom: &DomainRef, dst: &Connection, req: &Request) -> Result<DomainRef> {
    let mut flags = req.flags;
    // A paused domain is to stay paused on arrival.
    if src.driver().domain_get_info(dom)?.state == VIR_DOMAIN_PAUSED {
        flags |= u64::from(VIR_MIGRATE_PAUSED);
    }
    let uri_out = dst
        .driver()
        .domain_migrate_prepare(req.uri, flags, req.dname, req.bandwidth)?;
    let uri = uri_out
        .as_deref()
        .or(req.uri)
        .ok_or_else(|| Error::internal(VIR_FROM_DOMAIN, "domainMigratePrepare did not set uri"))?;
    src.driver()
        .domain_migrate_perform(dom, uri, flags, req.dname, req.bandwidth)?;
    let dname = req.dname.unwrap_or(&dom.name);
    dst.driver().domain_migrate_finish(dname, uri, flags)
}
