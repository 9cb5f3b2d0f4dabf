//! The Xen driver (`xen:///`): a client of XenD's HTTP interface (Xen 3.x to
//! 4.2), as libvirt's XenD driver was.
//!
//! Every call asks XenD: domains are listed with `GET /xend/domain?detail=1`
//! (the running and paused ones) and `GET /xend/domain?state=halted` (the
//! inactive domains XenD manages, from Xen 3.0.4 on), looked up with
//! `GET /xend/domain/NAME`, and changed with `POST /xend/domain/NAME op=...`.
//! A XenD older than 3.0.4 (`xend_config_format` below 3) keeps no inactive
//! domains: they are the xm config files of `/etc/xen`
//! (`LIBVIRT_XEN_CONFIG_DIR`), which define writes and undefine removes.
//!
//! XenStore and hypercalls were libvirt's faster paths for what XenD also
//! answers; this driver has neither and says so in a debug message.

mod config_dir;
mod domains;
mod entries;
pub mod http;
mod node;

use std::path::PathBuf;

use crate::abi::*;
use crate::error::{Error, Result};
use crate::uri::Uri;

pub use http::{Endpoint, Xend};

/// `xend_config_format` from which XenD manages inactive domains (Xen 3.0.4).
pub const MANAGED_DOMAINS_FORMAT: i64 = 3;

/// Where xm config files live unless `LIBVIRT_XEN_CONFIG_DIR` says otherwise.
pub const DEFAULT_CONFIG_DIR: &str = "/etc/xen";

/// An open `xen:///` connection.
pub struct XenDriver {
    xend: Xend,
    config_dir: PathBuf,
    /// XenD's `xend_config_format` (1 to 4).
    config_format: i64,
}

/// A debug (or, with `warn`, warning) message on stderr when
/// `LIBVIRT_DEBUG` asks for that level (1 debug ... 3 warning).
pub fn log(warn: bool, msg: &str) {
    let Ok(setting) = std::env::var("LIBVIRT_DEBUG") else {
        return;
    };
    // libvirt's levels: 1 debug, 2 info, 3 warning, 4 error.
    let level = setting.trim().parse::<u32>().unwrap_or(1);
    if (1..=if warn { 3 } else { 1 }).contains(&level) {
        eprintln!("{} : xen: {msg}", if warn { "warning" } else { "debug" });
    }
}

impl XenDriver {
    /// Opens the local driver: checks that XenD answers and reads its
    /// configuration format.
    pub fn open(uri: &Uri, _flags: u32) -> Result<XenDriver> {
        if let Some(path) = uri.path.as_deref().filter(|p| !p.is_empty() && *p != "/") {
            return Err(Error::with(
                VIR_FROM_XEN,
                VIR_ERR_INTERNAL_ERROR,
                format!("unexpected Xen URI path '{path}', try xen:///"),
            ));
        }
        let xend = Xend::new(Endpoint::from_env()?);
        let config_dir = std::env::var_os("LIBVIRT_XEN_CONFIG_DIR")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG_DIR));
        let node = node::fetch(&xend)?;
        // XenDs before the key existed were 3.0.3 or older.
        let config_format = node.node_i64("node/xend_config_format")?.unwrap_or(1);
        log(
            true,
            "XenStore and hypercalls are not available here; every query goes through XenD",
        );
        if config_format < MANAGED_DOMAINS_FORMAT {
            log(
                false,
                &format!(
                    "XenD config format {config_format}: inactive domains come from {}",
                    config_dir.display()
                ),
            );
        }
        Ok(XenDriver {
            xend,
            config_dir,
            config_format,
        })
    }

    /// Whether XenD manages inactive domains itself.
    fn managed(&self) -> bool {
        self.config_format >= MANAGED_DOMAINS_FORMAT
    }
}
