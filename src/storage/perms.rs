//! `<permissions>` of a pool's or volume's target.

use crate::error::Result;
use crate::xml::dom::Element;
use crate::xml::Writer;

use super::xml_error;

/// Owner, group, mode and label of a target.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Permissions {
    /// Octal mode.
    pub mode: Option<u32>,
    /// Owner uid (-1 when unset).
    pub owner: Option<i64>,
    /// Group gid.
    pub group: Option<i64>,
    /// Security label.
    pub label: Option<String>,
}

impl Permissions {
    /// Reads `<permissions>`; `what` names the object in errors ("pool", "volume").
    pub fn parse(el: &Element, what: &str) -> Result<Permissions> {
        let mut p = Permissions::default();
        if let Some(m) = el.child_text("mode") {
            p.mode = Some(
                u32::from_str_radix(m.trim(), 8)
                    .ok()
                    .filter(|m| *m <= 0o777)
                    .ok_or_else(|| xml_error(format!("malformed octal mode in {what}")))?,
            );
        }
        let id = |tag: &str| -> Result<Option<i64>> {
            match el.child_text(tag) {
                None => Ok(None),
                Some(t) => t
                    .trim()
                    .parse::<i64>()
                    .map(Some)
                    .map_err(|_| xml_error(format!("malformed {tag} element"))),
            }
        };
        p.owner = id("owner")?;
        p.group = id("group")?;
        p.label = el.child_text("label").filter(|l| !l.is_empty());
        Ok(p)
    }

    /// Whether nothing is set (libvirt then leaves the element out).
    pub fn is_empty(&self) -> bool {
        *self == Permissions::default()
    }

    /// Writes `<permissions>` as libvirt does.
    pub fn write(&self, w: &mut Writer) {
        if self.is_empty() {
            return;
        }
        w.open("permissions", &[]);
        if let Some(m) = self.mode {
            // libvirt prints "0%o": 0755 as 0755, 0 as 00.
            w.text("mode", &[], &format!("0{m:o}"));
        }
        if let Some(o) = self.owner {
            w.text("owner", &[], &o.to_string());
        }
        if let Some(g) = self.group {
            w.text("group", &[], &g.to_string());
        }
        if let Some(l) = &self.label {
            w.text("label", &[], l);
        }
        w.close("permissions");
    }
}
