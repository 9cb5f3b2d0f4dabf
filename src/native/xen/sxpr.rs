//! `xen-sxpr`: XenD's s-expressions.

use crate::domain::DomainDef;
use crate::error::{Error, Result};

/// Parses a XenD domain s-expression into a `xen` domain definition.
pub fn parse(sexpr: &str) -> Result<DomainDef> {
    let _ = sexpr;
    Err(Error::no_support(crate::abi::VIR_FROM_NONE, "xen-sxpr parse"))
}

/// Formats a definition as a XenD domain s-expression.
pub fn format(def: &DomainDef) -> Result<String> {
    let _ = def;
    Err(Error::no_support(crate::abi::VIR_FROM_NONE, "xen-sxpr format"))
}
