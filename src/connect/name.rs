//! From what the caller passed to the URI to open.

use crate::abi::*;
use crate::conf::client::ClientConfig;
use crate::error::{Error, Result};

/// The URI text for `name`: the default URI (`LIBVIRT_DEFAULT_URI`, then
/// libvirt.conf's `uri_default`) when it is NULL or empty, with libvirt.conf
/// aliases resolved unless `VIR_CONNECT_NO_ALIASES` is set.  libvirt reads
/// libvirt.conf on every open, so a broken file fails every open.
pub fn resolve(name: Option<&str>, flags: u32) -> Result<String> {
    let config = ClientConfig::load()?;
    let name = match name.filter(|n| !n.is_empty()) {
        Some(n) => n.to_string(),
        // Until a driver can probe for a hypervisor, no default means no driver.
        None => config
            .default_uri()?
            .ok_or_else(|| Error::with(VIR_FROM_NONE, VIR_ERR_NO_CONNECT, "<null>"))?,
    };
    if flags & VIR_CONNECT_NO_ALIASES != 0 {
        return Ok(name);
    }
    Ok(config.resolve_alias(&name)?.unwrap_or(name))
}
