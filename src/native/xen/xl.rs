//! `xen-xl`: the xl tool's config files.

use crate::domain::DomainDef;
use crate::error::{Error, Result};

/// Parses a xl config file into a `xen` domain definition.
pub fn parse(config: &str) -> Result<DomainDef> {
    let _ = config;
    Err(Error::no_support(crate::abi::VIR_FROM_NONE, "xen-xl parse"))
}

/// Formats a definition as a xl config file.
pub fn format(def: &DomainDef) -> Result<String> {
    let _ = def;
    Err(Error::no_support(crate::abi::VIR_FROM_NONE, "xen-xl format"))
}
