//! Domain definition → VMX.

use super::Context;
use crate::domain::DomainDef;
use crate::error::{Error, Result};

/// Formats a definition as a VMX document for `virtual_hw_version`.
pub fn format_config(ctx: &Context, def: &DomainDef, virtual_hw_version: i32) -> Result<String> {
    let _ = (ctx, def, virtual_hw_version);
    Err(Error::no_support(crate::abi::VIR_FROM_NONE, "vmx format"))
}
