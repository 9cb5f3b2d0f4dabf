//! `<devices>`: every device kind of the model.

use crate::domain::{FormatOptions, ParseOptions};
use crate::error::Result;
use crate::xml::dom::Element;
use crate::xml::Writer;

/// A network interface.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Interface {
    /// `type` attribute (`network`, `bridge`, `user`, `ethernet`, ...).
    pub kind: String,
    /// `<mac address=...>`, generated when absent.
    pub mac: Option<String>,
    /// `<target dev=...>`.
    pub target_dev: Option<String>,
}

/// The devices of a domain.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Devices {
    /// Network interfaces in document order.
    pub interfaces: Vec<Interface>,
}

/// Reads `<devices>`.
pub fn parse(el: &Element, opts: &ParseOptions) -> Result<Devices> {
    let _ = (el, opts);
    Ok(Devices::default())
}

/// Writes `<devices>`.
pub fn format(devs: &Devices, w: &mut Writer, opts: &FormatOptions) {
    let _ = (devs, opts);
    w.open("devices", &[]);
    w.close("devices");
}
