//! `xen-xm`: the xm tool's config files.

use crate::domain::DomainDef;
use crate::error::{Error, Result};

/// Parses a xm config file into a `xen` domain definition.
pub fn parse(config: &str) -> Result<DomainDef> {
    let _ = config;
    Err(Error::no_support(crate::abi::VIR_FROM_NONE, "xen-xm parse"))
}

/// Formats a definition as a xm config file.
pub fn format(def: &DomainDef) -> Result<String> {
    let _ = def;
    Err(Error::no_support(crate::abi::VIR_FROM_NONE, "xen-xm format"))
}
