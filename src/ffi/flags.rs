//! The public API's own flag checks (libvirt makes them before any driver
//! sees the call): two flags that exclude each other, one that needs another.
//! libvirt's macros for these name the argument "ctl" in the error's str2.

use crate::abi::*;
use crate::error::{Error, Result};

/// A flag with its C name, as the error messages spell it.
pub type Named = (c_uint, &'static str);

/// `VIR_DOMAIN_AFFECT_LIVE`.
pub const LIVE: Named = (VIR_DOMAIN_AFFECT_LIVE, "VIR_DOMAIN_AFFECT_LIVE");
/// `VIR_DOMAIN_AFFECT_CONFIG`.
pub const CONFIG: Named = (VIR_DOMAIN_AFFECT_CONFIG, "VIR_DOMAIN_AFFECT_CONFIG");

/// Refuses `a` and `b` set together.
pub fn exclusive(from: i32, flags: c_uint, a: Named, b: Named, func: &str) -> Result<()> {
    if flags & a.0 == 0 || flags & b.0 == 0 {
        return Ok(());
    }
    Err(Error::arg_check(
        from,
        format!("Flags '{}' and '{}' are mutually exclusive", a.1, b.1),
        func,
        "ctl",
    ))
}

/// Refuses `flag` without `needed`.
pub fn requires(from: i32, flags: c_uint, flag: Named, needed: Named, func: &str) -> Result<()> {
    if flags & flag.0 == 0 || flags & needed.0 != 0 {
        return Ok(());
    }
    Err(Error::arg_check(
        from,
        format!("Flag '{}' is required by flag '{}'", needed.1, flag.1),
        func,
        "ctl",
    ))
}
