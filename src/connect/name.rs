//! From what the caller passed to the URI to open.

use crate::abi::*;
use crate::conf::client::ClientConfig;
use crate::error::Result;

/// The URI text for `name`: the default URI (`LIBVIRT_DEFAULT_URI`, then
/// libvirt.conf's `uri_default`) when it is NULL or empty, with libvirt.conf
/// aliases resolved unless `VIR_CONNECT_NO_ALIASES` is set; None when there
/// is no default either (the local daemon then picks).  libvirt reads
/// libvirt.conf on every open, so a broken file fails every open.
pub fn resolve(name: Option<&str>, flags: u32) -> Result<Option<String>> {
    let config = ClientConfig::load()?;
    let name = match name.filter(|n| !n.is_empty()) {
        Some(n) => n.to_string(),
        None => match config.default_uri()? {
            Some(n) => n,
            None => return Ok(None),
        },
    };
    if flags & VIR_CONNECT_NO_ALIASES != 0 {
        return Ok(Some(name));
    }
    Ok(Some(config.resolve_alias(&name)?.unwrap_or(name)))
}
