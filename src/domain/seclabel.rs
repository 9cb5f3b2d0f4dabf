//! Domain-level `<seclabel>`s and `<keywrap>`.

use super::util::*;
use crate::error::Result;
use crate::xml::dom::Element;
use crate::xml::Writer;

/// A `<seclabel>`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SecLabel {
    /// `type`: dynamic, static or none (None: not given, never formatted).
    pub kind: Option<String>,
    /// `model` (selinux, dac, apparmor, ...).
    pub model: Option<String>,
    /// `relabel`.
    pub relabel: bool,
    /// `<label>`.
    pub label: Option<String>,
    /// `<imagelabel>`.
    pub imagelabel: Option<String>,
    /// `<baselabel>`.
    pub baselabel: Option<String>,
}

/// Reads one domain `<seclabel>`; `inactive` drops live-only labels.
pub fn parse(el: &Element, inactive: bool) -> Result<SecLabel> {
    let kind = prop_enum_str(el, "type", &["dynamic", "static", "none"], false)?;
    let relabel_attr = prop_yes_no(el, "relabel", false)?;
    if kind == Some("dynamic") && relabel_attr == Some(false) {
        return Err(unsupported("dynamic label type must use resource relabeling"));
    }
    if kind == Some("none") && relabel_attr == Some(true) {
        return Err(unsupported(
            "resource relabeling is not compatible with 'none' label type",
        ));
    }
    let relabel = relabel_attr.unwrap_or(!matches!(kind, Some("static") | Some("none")));
    let mut s = SecLabel {
        kind: kind.map(str::to_string),
        model: el.attr("model").map(str::to_string),
        relabel,
        ..Default::default()
    };
    let is_static = kind == Some("static");
    let live = !inactive && kind != Some("none");
    if is_static || live {
        s.label = child_text_nonempty(el, "label");
        if s.label.is_none() && is_static {
            return Err(xml_error("security label is missing"));
        }
    }
    if relabel && live {
        s.imagelabel = child_text_nonempty(el, "imagelabel");
    }
    if kind == Some("dynamic") {
        s.baselabel = child_text_nonempty(el, "baselabel");
    }
    Ok(s)
}

/// Reads all domain `<seclabel>`s.
pub fn parse_all(root: &Element, inactive: bool) -> Result<Vec<SecLabel>> {
    let mut out: Vec<SecLabel> = Vec::new();
    let mut models = std::collections::HashSet::new();
    for el in root.children_named("seclabel") {
        let s = parse(el, inactive)?;
        if !models.insert(s.model.clone()) {
            return Err(detail_error(format!(
                "seclabel for model {} is already provided",
                s.model.as_deref().unwrap_or("(null)")
            )));
        }
        out.push(s);
    }
    if out.len() > 1 && out.iter().any(|s| s.model.is_none()) {
        return Err(xml_error("missing security model when using multiple labels"));
    }
    Ok(out)
}

/// Writes one `<seclabel>`.
pub fn format(s: &SecLabel, w: &mut Writer) {
    let Some(kind) = &s.kind else {
        return;
    };
    let mut a = vec![("type", kind.as_str())];
    if let Some(m) = &s.model {
        a.push(("model", m));
    }
    if kind == "none" {
        w.empty("seclabel", &a);
        return;
    }
    a.push(("relabel", if s.relabel { "yes" } else { "no" }));
    if s.label.is_none() && s.imagelabel.is_none() && s.baselabel.is_none() {
        w.empty("seclabel", &a);
        return;
    }
    w.open("seclabel", &a);
    for (n, v) in [
        ("label", &s.label),
        ("imagelabel", &s.imagelabel),
        ("baselabel", &s.baselabel),
    ] {
        if let Some(v) = v {
            w.text(n, &[], v);
        }
    }
    w.close("seclabel");
}

/// `<keywrap>`: (aes, dea) states.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Keywrap {
    /// `<cipher name='aes' state>`.
    pub aes: Option<bool>,
    /// `<cipher name='dea' state>`.
    pub dea: Option<bool>,
}

/// Reads `<keywrap>`; None when it has no ciphers.
pub fn parse_keywrap(el: &Element) -> Result<Option<Keywrap>> {
    let mut k = Keywrap::default();
    for c in el.children_named("cipher") {
        let name = prop_enum_str(c, "name", &["aes", "dea"], true)?.unwrap_or_default();
        let state = prop_on_off(c, "state", true)?.unwrap_or(false);
        let slot = if name == "aes" { &mut k.aes } else { &mut k.dea };
        if slot.is_some() {
            return Err(internal(format!(
                "A domain definition can have no more than one cipher node with name {name}"
            )));
        }
        *slot = Some(state);
    }
    Ok((k.aes.is_some() || k.dea.is_some()).then_some(k))
}

/// Writes `<keywrap>`.
pub fn format_keywrap(k: &Keywrap, w: &mut Writer) {
    w.open("keywrap", &[]);
    for (n, v) in [("aes", k.aes), ("dea", k.dea)] {
        if let Some(on) = v {
            w.empty("cipher", &[("name", n), ("state", if on { "on" } else { "off" })]);
        }
    }
    w.close("keywrap");
}
