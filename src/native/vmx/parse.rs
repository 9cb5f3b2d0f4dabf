//! VMX → domain definition.

use super::Context;
use crate::domain::DomainDef;
use crate::error::{Error, Result};

/// Parses a VMX document into a `vmware` domain definition.
pub fn parse_config(ctx: &Context, vmx: &str) -> Result<DomainDef> {
    let _ = (ctx, vmx);
    Err(Error::no_support(crate::abi::VIR_FROM_NONE, "vmx parse"))
}
