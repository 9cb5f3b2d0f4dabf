//! Shared reading and writing helpers for the device parsers: libvirt's
//! attribute conventions (numbers as `strtol` reads them, enumerations,
//! tri-state switches) with its error texts, and an output tree that writes
//! an element self-closed exactly when it ends up with no content.

use std::borrow::Cow;

use crate::abi::*;
use crate::error::Error;
use crate::xml::dom::Element;
use crate::xml::Writer;

use crate::error::Result;

/// `VIR_ERR_XML_ERROR` raised from `domain` ("XML error: ...").
pub fn xml_err(domain: i32, detail: impl AsRef<str>) -> Error {
    Error::with(domain, VIR_ERR_XML_ERROR, detail)
}

/// `VIR_ERR_XML_ERROR` from the domain configuration code.
pub fn dom_xml_err(detail: impl AsRef<str>) -> Error {
    xml_err(VIR_FROM_DOMAIN, detail)
}

/// `VIR_ERR_CONFIG_UNSUPPORTED` from the domain configuration code.
pub fn unsupported(detail: impl AsRef<str>) -> Error {
    Error::with(VIR_FROM_DOMAIN, VIR_ERR_CONFIG_UNSUPPORTED, detail)
}

/// `VIR_ERR_INTERNAL_ERROR` from the domain configuration code.
pub fn internal(detail: impl AsRef<str>) -> Error {
    Error::internal(VIR_FROM_DOMAIN, detail)
}

/// The generic complaint about an attribute value (the XML helpers' wording).
pub fn bad_value(el: &Element, attr: &str, value: &str, expected: &str) -> Error {
    xml_err(
        VIR_FROM_XML,
        format!(
            "Invalid value for attribute '{attr}' in element '{}': '{value}'.{expected}",
            el.name
        ),
    )
}

/// The XML helpers' complaint about an absent required attribute.
pub fn missing_attr(el: &Element, attr: &str) -> Error {
    xml_err(
        VIR_FROM_XML,
        format!("Missing required attribute '{attr}' in element '{}'", el.name),
    )
}

/// Reads an integer the way C's `strtoul`/`strtol` do it for a whole string:
/// leading blanks, an optional sign, base 0 (prefix-detected), 10 or 16.
/// Returns (negative, magnitude); None when not a number, when anything
/// trails it, or when it overflows 64 bits.
pub fn c_number(s: &str, base: u32) -> Option<(bool, u64)> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') {
        i += 1;
    }
    let mut neg = false;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        neg = b[i] == b'-';
        i += 1;
    }
    let mut radix = base;
    let hex_prefix = i + 1 < b.len()
        && b[i] == b'0'
        && (b[i + 1] == b'x' || b[i + 1] == b'X')
        && b.get(i + 2).is_some_and(|c| c.is_ascii_hexdigit());
    if (base == 0 || base == 16) && hex_prefix {
        radix = 16;
        i += 2;
    } else if base == 0 {
        radix = if b.get(i) == Some(&b'0') { 8 } else { 10 };
    }
    let start = i;
    let mut value: u64 = 0;
    while i < b.len() {
        let d = match (b[i] as char).to_digit(radix) {
            Some(d) => d,
            None => break,
        };
        value = value.checked_mul(radix as u64)?.checked_add(d as u64)?;
        i += 1;
    }
    if i == start || i != b.len() {
        return None;
    }
    Some((neg, value))
}

/// `virStrToLong_uip`: non-negative, fits in 32 bits.
pub fn to_uint(s: &str, base: u32) -> Option<u32> {
    match c_number(s, base)? {
        (true, 0) => Some(0),
        (true, _) => None,
        (false, v) => u32::try_from(v).ok(),
    }
}

/// `virStrToLong_ullp`: non-negative, 64 bits.
pub fn to_ull(s: &str, base: u32) -> Option<u64> {
    match c_number(s, base)? {
        (true, 0) => Some(0),
        (true, _) => None,
        (false, v) => Some(v),
    }
}

/// `virStrToLong_i`: signed 32 bits.
pub fn to_int(s: &str, base: u32) -> Option<i32> {
    let (neg, v) = c_number(s, base)?;
    if neg {
        i32::try_from(-(i64::try_from(v).ok()?)).ok()
    } else {
        i32::try_from(v).ok()
    }
}

/// An optional non-negative 32-bit attribute (libvirt's `virXMLPropUInt`).
pub fn prop_uint(el: &Element, attr: &str, base: u32) -> Result<Option<u32>> {
    match el.attr(attr) {
        None => Ok(None),
        Some(v) => to_uint(v, base)
            .map(Some)
            .ok_or_else(|| bad_value(el, attr, v, " Expected non-negative integer value")),
    }
}

/// [`prop_uint`] that also refuses zero.
pub fn prop_uint_nonzero(el: &Element, attr: &str, base: u32) -> Result<Option<u32>> {
    let v = prop_uint(el, attr, base)?;
    if v == Some(0) {
        return Err(xml_err(
            VIR_FROM_XML,
            format!(
                "Invalid value for attribute '{attr}' in element '{}': Zero is not permitted",
                el.name
            ),
        ));
    }
    Ok(v)
}

/// An optional signed 32-bit attribute (libvirt's `virXMLPropInt`).
pub fn prop_int(el: &Element, attr: &str, base: u32) -> Result<Option<i32>> {
    match el.attr(attr) {
        None => Ok(None),
        Some(v) => to_int(v, base)
            .map(Some)
            .ok_or_else(|| bad_value(el, attr, v, " Expected integer value")),
    }
}

/// An optional non-negative 64-bit attribute (libvirt's `virXMLPropULongLong`).
pub fn prop_ull(el: &Element, attr: &str, base: u32) -> Result<Option<u64>> {
    match el.attr(attr) {
        None => Ok(None),
        Some(v) => to_ull(v, base)
            .map(Some)
            .ok_or_else(|| bad_value(el, attr, v, " Expected non-negative integer value")),
    }
}

/// An optional enumerated attribute (libvirt's `virXMLPropEnum`): `values[0]`
/// is the enumeration's zero ("default", "none"...), which reads as absent,
/// or is refused when `nonzero`.
pub fn prop_enum(el: &Element, attr: &str, values: &[&str], nonzero: bool) -> Result<Option<String>> {
    let Some(v) = el.attr(attr) else {
        return Ok(None);
    };
    match values.iter().position(|x| *x == v) {
        Some(0) if nonzero => Err(bad_value(el, attr, v, "")),
        Some(0) => Ok(None),
        Some(_) => Ok(Some(v.to_string())),
        None => Err(bad_value(el, attr, v, "")),
    }
}

/// A required enumerated attribute (zero refused).
pub fn prop_enum_req(el: &Element, attr: &str, values: &[&str]) -> Result<String> {
    prop_enum(el, attr, values, true)?.ok_or_else(|| missing_attr(el, attr))
}

/// `yes`/`no` (libvirt's `virTristateBool`), `default` refused.
pub fn prop_yesno(el: &Element, attr: &str) -> Result<Option<bool>> {
    Ok(prop_enum(el, attr, &["default", "yes", "no"], true)?.map(|v| v == "yes"))
}

/// `on`/`off` (libvirt's `virTristateSwitch`), `default` refused.
pub fn prop_onoff(el: &Element, attr: &str) -> Result<Option<bool>> {
    Ok(prop_enum(el, attr, &["default", "on", "off"], true)?.map(|v| v == "on"))
}

/// `yes`/`no` for output.
pub fn yesno(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

/// `on`/`off` for output.
pub fn onoff(b: bool) -> &'static str {
    if b {
        "on"
    } else {
        "off"
    }
}

/// An attribute as an owned string.
pub fn attr(el: &Element, name: &str) -> Option<String> {
    el.attr(name).map(str::to_string)
}

/// An attribute, with the empty string read as absent (as libvirt's
/// `virXMLPropString` users commonly do through their later checks).
pub fn attr_nonempty(el: &Element, name: &str) -> Option<String> {
    el.attr(name).filter(|v| !v.is_empty()).map(str::to_string)
}

/// A value written as an attribute or text: borrowed from the definition
/// where it can be, so writing a document allocates little.
pub trait Val<'a> {
    /// The text.
    fn val(self) -> Cow<'a, str>;
}

impl<'a> Val<'a> for &'a str {
    fn val(self) -> Cow<'a, str> {
        Cow::Borrowed(self)
    }
}

impl<'a> Val<'a> for &'a String {
    fn val(self) -> Cow<'a, str> {
        Cow::Borrowed(self.as_str())
    }
}

impl<'a> Val<'a> for &&'a str {
    fn val(self) -> Cow<'a, str> {
        Cow::Borrowed(*self)
    }
}

impl<'a> Val<'a> for String {
    fn val(self) -> Cow<'a, str> {
        Cow::Owned(self)
    }
}

impl<'a> Val<'a> for Cow<'a, str> {
    fn val(self) -> Cow<'a, str> {
        self
    }
}

macro_rules! numeric_val {
    ($($t:ty),*) => {$(
        impl<'a> Val<'a> for $t {
            fn val(self) -> Cow<'a, str> {
                Cow::Owned(self.to_string())
            }
        }
        impl<'a> Val<'a> for &$t {
            fn val(self) -> Cow<'a, str> {
                Cow::Owned(self.to_string())
            }
        }
    )*};
}
numeric_val!(u8, u16, u32, u64, usize, i8, i16, i32, i64, isize, f64, char);

/// A piece of output: an element with attributes and either child elements
/// or text, written self-closed when it has neither.
#[derive(Debug, Clone, Default)]
pub struct Out<'a> {
    name: Cow<'a, str>,
    attrs: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    kids: Vec<Out<'a>>,
    text: Option<Cow<'a, str>>,
    force_open: bool,
}

impl<'a> Out<'a> {
    /// A new element.
    pub fn new(name: impl Val<'a>) -> Out<'a> {
        Out {
            name: name.val(),
            ..Default::default()
        }
    }

    /// A text element `<name>text</name>`.
    pub fn text(name: impl Val<'a>, text: impl Val<'a>) -> Out<'a> {
        Out {
            name: name.val(),
            text: Some(text.val()),
            ..Default::default()
        }
    }

    /// Adds an attribute.
    pub fn a(&mut self, k: impl Val<'a>, v: impl Val<'a>) -> &mut Out<'a> {
        self.attrs.push((k.val(), v.val()));
        self
    }

    /// Adds an attribute when it has a value.
    pub fn o<T: Val<'a>>(&mut self, k: impl Val<'a>, v: Option<T>) -> &mut Out<'a> {
        if let Some(v) = v {
            self.attrs.push((k.val(), v.val()));
        }
        self
    }

    /// Adds a child element.
    pub fn push(&mut self, kid: Out<'a>) -> &mut Out<'a> {
        self.kids.push(kid);
        self
    }

    /// Adds a child element when there is one.
    pub fn push_opt(&mut self, kid: Option<Out<'a>>) -> &mut Out<'a> {
        if let Some(k) = kid {
            self.kids.push(k);
        }
        self
    }

    /// Adds a text child `<name>text</name>` when there is a value.
    pub fn t<T: Val<'a>>(&mut self, name: impl Val<'a>, v: Option<T>) -> &mut Out<'a> {
        if let Some(v) = v {
            self.kids.push(Out::text(name, v));
        }
        self
    }

    /// Writes `<x ...>` and `</x>` on two lines even without children (some
    /// of libvirt's formatters do that).
    pub fn keep_open(&mut self) -> &mut Out<'a> {
        self.force_open = true;
        self
    }

    /// Whether it has neither attributes nor content.
    pub fn is_bare(&self) -> bool {
        self.attrs.is_empty() && self.kids.is_empty() && self.text.is_none()
    }

    /// Whether it has child elements or text.
    pub fn has_content(&self) -> bool {
        !self.kids.is_empty() || self.text.is_some()
    }

    /// The same element owning all its text.
    pub fn into_owned(self) -> Out<'static> {
        let own = |c: Cow<'a, str>| Cow::Owned(c.into_owned());
        Out {
            name: own(self.name),
            attrs: self.attrs.into_iter().map(|(k, v)| (own(k), own(v))).collect(),
            kids: self.kids.into_iter().map(Out::into_owned).collect(),
            text: self.text.map(own),
            force_open: self.force_open,
        }
    }

    /// Writes it.
    pub fn write(&self, w: &mut Writer) {
        let attrs: Vec<(&str, &str)> = self.attrs.iter().map(|(k, v)| (k.as_ref(), v.as_ref())).collect();
        if let Some(t) = &self.text {
            w.text(&self.name, &attrs, t);
        } else if self.kids.is_empty() && !self.force_open {
            w.empty(&self.name, &attrs);
        } else {
            w.open(&self.name, &attrs);
            for k in &self.kids {
                k.write(w);
            }
            w.close(&self.name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_strtol() {
        assert_eq!(to_uint("010", 0), Some(8));
        assert_eq!(to_uint("0x1f", 0), Some(31));
        assert_eq!(to_uint("0x1f", 16), Some(31));
        assert_eq!(to_uint("1f", 16), Some(31));
        assert_eq!(to_uint("0x", 0), None);
        assert_eq!(to_uint(" 7", 10), Some(7));
        assert_eq!(to_uint("7 ", 10), None);
        assert_eq!(to_uint("-1", 10), None);
        assert_eq!(to_uint("4294967296", 10), None);
        assert_eq!(to_int("-5", 10), Some(-5));
        assert_eq!(to_uint("", 10), None);
    }

    #[test]
    fn empty_output_elements_self_close() {
        let mut w = Writer::new();
        let mut o = Out::new("a");
        o.a("x", 1).o("y", None::<&str>);
        let mut inner = Out::new("b");
        inner.t("c", Some("t"));
        o.push(inner);
        o.push(Out::new("d"));
        o.write(&mut w);
        assert_eq!(
            w.finish(),
            "<a x='1'>\n  <b>\n    <c>t</c>\n  </b>\n  <d/>\n</a>\n"
        );
    }
}

/// How one attribute of a table-described element is read.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// Any text, kept as given.
    Str,
    /// An enumeration whose first value (the zero) reads as absent.
    Enum(&'static [&'static str]),
    /// An enumeration whose first value (the zero) is refused.
    EnumNz(&'static [&'static str]),
    /// `yes`/`no`.
    YesNo,
    /// `on`/`off`.
    OnOff,
    /// Non-negative 32-bit number in the given base, written in decimal;
    /// zero means unset, as for most of libvirt's numeric fields.
    Uint(u32),
    /// Like [`Kind::Uint`] but zero is kept and written.
    UintKeep(u32),
    /// Like [`Kind::Uint`] but zero is refused.
    UintNz(u32),
    /// Non-negative 64-bit number, written in decimal.
    Ull(u32),
    /// Signed 32-bit number.
    Int,
}

/// Attribute values in libvirt's output order, already checked and normalised.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Attrs(pub Vec<(String, String)>);

impl Attrs {
    /// Reads the attributes a table describes, in table order.
    pub fn read(el: &Element, table: &[(&str, Kind)]) -> Result<Attrs> {
        let mut out = Vec::new();
        for (name, kind) in table {
            let v: Option<String> = match kind {
                Kind::Str => attr(el, name),
                Kind::Enum(vals) => prop_enum(el, name, vals, false)?,
                Kind::EnumNz(vals) => prop_enum(el, name, vals, true)?,
                Kind::YesNo => prop_yesno(el, name)?.map(|b| yesno(b).to_string()),
                Kind::OnOff => prop_onoff(el, name)?.map(|b| onoff(b).to_string()),
                Kind::Uint(base) => prop_uint(el, name, *base)?
                    .filter(|n| *n != 0)
                    .map(|n| n.to_string()),
                Kind::UintKeep(base) => prop_uint(el, name, *base)?.map(|n| n.to_string()),
                Kind::UintNz(base) => prop_uint_nonzero(el, name, *base)?.map(|n| n.to_string()),
                Kind::Ull(base) => prop_ull(el, name, *base)?
                    .filter(|n| *n != 0)
                    .map(|n| n.to_string()),
                Kind::Int => prop_int(el, name, 10)?.map(|n| n.to_string()),
            };
            if let Some(v) = v {
                out.push((name.to_string(), v));
            }
        }
        Ok(Attrs(out))
    }

    /// A value.
    pub fn get(&self, k: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Sets a value, keeping the position of an existing one, else appending.
    pub fn set(&mut self, k: &str, v: impl Into<String>) {
        let v = v.into();
        match self.0.iter_mut().find(|(n, _)| n == k) {
            Some(slot) => slot.1 = v,
            None => self.0.push((k.to_string(), v)),
        }
    }

    /// Removes a value.
    pub fn remove(&mut self, k: &str) -> Option<String> {
        let i = self.0.iter().position(|(n, _)| n == k)?;
        Some(self.0.remove(i).1)
    }

    /// Adds them all to an output element.
    pub fn write_to<'a>(&'a self, o: &mut Out<'a>) {
        for (k, v) in &self.0 {
            o.a(k, v);
        }
    }

    /// Adds them all to an output element, in the order of `table`.
    pub fn write_ordered<'a>(&'a self, o: &mut Out<'a>, table: &[(&'a str, Kind)]) {
        for (name, _) in table {
            if let Some(v) = self.get(name) {
                o.a(name, v);
            }
        }
    }
}

/// An attribute read the way libvirt's XPath string helper reads it: an
/// empty value counts as absent.
pub fn xattr<'a>(el: &'a Element, name: &str) -> Option<&'a str> {
    el.attr(name).filter(|v| !v.is_empty())
}

/// Parses a numeric host address the way libvirt's resolver call (numeric
/// hosts only) does: IPv6 text, or IPv4 in `inet_aton` form, where `0`,
/// `10.1` and `0x7f.1` are all addresses.
pub fn parse_inet(s: &str) -> Option<std::net::IpAddr> {
    if let Ok(v6) = s.parse::<std::net::Ipv6Addr>() {
        return Some(v6.into());
    }
    let parts: Vec<&str> = s.split('.').collect();
    if parts.is_empty() || parts.len() > 4 {
        return None;
    }
    let mut nums = Vec::with_capacity(parts.len());
    for p in &parts {
        if p.is_empty() || p.starts_with(['+', '-', ' ']) {
            return None;
        }
        match c_number(p, 0)? {
            (false, v) if v <= u32::MAX as u64 => nums.push(v as u32),
            _ => return None,
        }
    }
    let last = *nums.last()?;
    let head = &nums[..nums.len() - 1];
    if head.iter().any(|n| *n > 0xff) {
        return None;
    }
    let tail_bits = 32 - 8 * head.len() as u32;
    if tail_bits < 32 && last >= (1u32 << tail_bits) {
        return None;
    }
    let mut addr: u32 = 0;
    for (i, n) in head.iter().enumerate() {
        addr |= n << (24 - 8 * i as u32);
    }
    addr |= last;
    Some(std::net::Ipv4Addr::from(addr).into())
}

/// `virStrToLong_ull`: 64 bits, where a negative number wraps as C's
/// `strtoull` makes it (`-1` is 18446744073709551615).
pub fn to_ull_wrapping(s: &str, base: u32) -> Option<u64> {
    let (neg, v) = c_number(s, base)?;
    Some(if neg { v.wrapping_neg() } else { v })
}

/// `<reconnect enabled=... timeout=...>`: enabled reconnection needs a timeout.
pub fn read_reconnect(el: &Element) -> Result<Attrs> {
    let mut a = Attrs::default();
    if let Some(e) = prop_yesno(el, "enabled")? {
        a.set("enabled", yesno(e));
        if e {
            let t = prop_uint(el, "timeout", 10)?.ok_or_else(|| missing_attr(el, "timeout"))?;
            a.set("timeout", t.to_string());
        }
    }
    Ok(a)
}

/// `virStrToLong_ui`: 32 bits, where a negative number wraps as C's
/// `strtoul` makes it (`-1` is 4294967295).
pub fn to_uint_wrapping(s: &str, base: u32) -> Option<u32> {
    let (neg, v) = c_number(s, base)?;
    if v > u32::MAX as u64 {
        return None;
    }
    Some(if neg { (v as u32).wrapping_neg() } else { v as u32 })
}
