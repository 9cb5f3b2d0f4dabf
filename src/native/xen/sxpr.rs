//! `xen-sxpr`: XenD's domain s-expressions to and from the domain model, as
//! libvirt converted them in its XenD era (the `(domain ...)` documents XenD
//! reports, and the `(vm ...)` documents it is given to define a domain).
//!
//! Unknown keys are ignored, as XenD reports far more than a definition
//! holds (`cpu_time`, `store_mfn`, ...).  Conversion errors are libvirt's
//! (`VIR_FROM_SEXPR`); the definition built from an s-expression then goes
//! through the domain model's own checks and defaults.

mod chardev;
mod format;
mod parse;

use crate::domain::{self, DomainDef, FormatOptions};
use crate::error::Result;

pub use format::format;

/// What XenD's clients knew besides the s-expression: XenD keeps the
/// console's pty and the VNC port in xenstore, not in the document.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The paravirtual console's pty path.
    pub tty: Option<&'a str>,
    /// The VNC port (-1: unknown, take `vncdisplay` from the document).
    pub vnc_port: i32,
}

impl Default for Context<'_> {
    fn default() -> Self {
        Context {
            tty: None,
            vnc_port: -1,
        }
    }
}

/// A definition read from a `(domain ...)` document with the domain's id.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// The definition.
    pub def: DomainDef,
    /// `domid`: the running domain's id, when the document has one.
    pub id: Option<i32>,
}

/// Parses a XenD domain s-expression into a `xen` domain definition.
pub fn parse(sexpr: &str) -> Result<DomainDef> {
    Ok(parse_with(sexpr, &Context::default())?.def)
}

/// [`parse`] with what xenstore would tell, keeping the domain id.
pub fn parse_with(sexpr: &str, ctx: &Context) -> Result<Parsed> {
    parse::parse(sexpr, ctx)
}

/// Converts a domain s-expression to domain XML as libvirt's converter
/// formatted it: with the running domain's id, passwords left out.
pub fn to_xml(sexpr: &str) -> Result<String> {
    let parsed = parse_with(sexpr, &Context::default())?;
    let opts = FormatOptions {
        id: parsed.id.filter(|&id| id != -1),
        ..Default::default()
    };
    Ok(domain::format(&parsed.def, &opts))
}
