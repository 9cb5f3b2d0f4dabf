//! Reading helpers shared by the domain sections: libvirt's attribute
//! parsers (with their exact error texts), C-style number parsing, scaled
//! sizes and CPU/node bitmaps.

use crate::abi::*;
use crate::error::{Error, Result};
use crate::xml::dom::Element;

/// `VIR_ERR_XML_ERROR` raised by libvirt's generic XML helpers (`VIR_FROM_XML`).
pub(crate) fn prop_error(detail: impl AsRef<str>) -> Error {
    Error::with(VIR_FROM_XML, VIR_ERR_XML_ERROR, detail)
}

/// `VIR_ERR_XML_ERROR` raised by the domain parser itself.
pub(crate) fn xml_error(detail: impl AsRef<str>) -> Error {
    Error::with(VIR_FROM_DOMAIN, VIR_ERR_XML_ERROR, detail)
}

/// `VIR_ERR_CONFIG_UNSUPPORTED` from the domain parser.
pub(crate) fn unsupported(detail: impl AsRef<str>) -> Error {
    Error::with(VIR_FROM_DOMAIN, VIR_ERR_CONFIG_UNSUPPORTED, detail)
}

/// `VIR_ERR_INTERNAL_ERROR` from the domain parser.
pub(crate) fn internal(detail: impl AsRef<str>) -> Error {
    Error::internal(VIR_FROM_DOMAIN, detail)
}

/// `VIR_ERR_XML_DETAIL` from the domain parser (libvirt uses it for some
/// validation failures as well as for malformed documents).
pub(crate) fn detail_error(detail: impl AsRef<str>) -> Error {
    Error::with(VIR_FROM_DOMAIN, VIR_ERR_XML_DETAIL, detail)
}

/// C `isspace` in the "C" locale.
pub(crate) fn is_c_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// `strtoull`/`strtoll` over the whole string: leading blanks and a sign are
/// allowed, trailing garbage is not.  Returns (negative, magnitude); None on
/// syntax error or overflow of u64.
fn c_number(s: &str, base: u32) -> Option<(bool, u64)> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && is_c_space(b[i]) {
        i += 1;
    }
    let mut neg = false;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        neg = b[i] == b'-';
        i += 1;
    }
    let mut base = base;
    if (base == 0 || base == 16)
        && i + 1 < b.len()
        && b[i] == b'0'
        && (b[i + 1] == b'x' || b[i + 1] == b'X')
        && i + 2 < b.len()
        && (b[i + 2] as char).is_ascii_hexdigit()
    {
        i += 2;
        base = 16;
    } else if base == 0 {
        base = if i < b.len() && b[i] == b'0' { 8 } else { 10 };
    }
    let start = i;
    let mut value: u64 = 0;
    while i < b.len() {
        let d = match (b[i] as char).to_digit(base) {
            Some(d) => d as u64,
            None => break,
        };
        value = value.checked_mul(base as u64)?.checked_add(d)?;
        i += 1;
    }
    if i == start || i != b.len() {
        return None;
    }
    Some((neg, value))
}

/// libvirt's `virStrToLong_ullp`: non-negative, "-0" refused.
pub(crate) fn parse_ullp(s: &str) -> Option<u64> {
    match c_number(s, 10)? {
        (false, v) => Some(v),
        (true, _) => None,
    }
}

/// libvirt's `virStrToLong_uip`.
pub(crate) fn parse_uip(s: &str) -> Option<u32> {
    parse_ullp(s).and_then(|v| u32::try_from(v).ok())
}

/// libvirt's `virStrToLong_ui` (base 10): negative values wrap like C's
/// `strtoul` as long as they fit in 32 bits.
pub(crate) fn parse_ui(s: &str) -> Option<u32> {
    match c_number(s, 10)? {
        (false, v) => u32::try_from(v).ok(),
        (true, v) => {
            if v <= u32::MAX as u64 {
                Some((v as u32).wrapping_neg())
            } else {
                None
            }
        }
    }
}

/// libvirt's `virStrToLong_ll`.
pub(crate) fn parse_ll(s: &str) -> Option<i64> {
    match c_number(s, 10)? {
        (false, v) => i64::try_from(v).ok(),
        (true, v) if v <= i64::MAX as u64 + 1 => Some((v as i64).wrapping_neg()),
        _ => None,
    }
}

/// libvirt's `virStrToLong_i`.
pub(crate) fn parse_i(s: &str) -> Option<i32> {
    parse_ll(s).and_then(|v| i32::try_from(v).ok())
}

/// `Missing required attribute` as `virXMLProp*` reports it.
pub(crate) fn missing_attr(el: &Element, name: &str) -> Error {
    prop_error(format!(
        "Missing required attribute '{name}' in element '{}'",
        el.name
    ))
}

/// `virXMLPropEnum`: the value must be one of `values` (index returned).
pub(crate) fn prop_enum(el: &Element, name: &str, values: &[&str], required: bool) -> Result<Option<usize>> {
    let Some(v) = el.attr(name) else {
        return if required {
            Err(missing_attr(el, name))
        } else {
            Ok(None)
        };
    };
    match values.iter().position(|x| *x == v) {
        Some(i) => Ok(Some(i)),
        None => Err(prop_error(format!(
            "Invalid value for attribute '{name}' in element '{}': '{v}'.",
            el.name
        ))),
    }
}

/// [`prop_enum`] returning the canonical value.
pub(crate) fn prop_enum_str(
    el: &Element,
    name: &str,
    values: &[&'static str],
    required: bool,
) -> Result<Option<&'static str>> {
    Ok(prop_enum(el, name, values, required)?.map(|i| values[i]))
}

/// `virXMLPropTristateBool`: yes/no.
pub(crate) fn prop_yes_no(el: &Element, name: &str, required: bool) -> Result<Option<bool>> {
    Ok(prop_enum(el, name, &["yes", "no"], required)?.map(|i| i == 0))
}

/// `virXMLPropTristateSwitch`: on/off.
pub(crate) fn prop_on_off(el: &Element, name: &str, required: bool) -> Result<Option<bool>> {
    Ok(prop_enum(el, name, &["on", "off"], required)?.map(|i| i == 0))
}

/// `virXMLPropUInt`/`virXMLPropULongLong`: a non-negative integer.
pub(crate) fn prop_u64(el: &Element, name: &str, required: bool, nonzero: bool) -> Result<Option<u64>> {
    prop_unsigned(el, name, required, nonzero, u64::MAX)
}

/// `virXMLPropUInt`.
pub(crate) fn prop_u32(el: &Element, name: &str, required: bool, nonzero: bool) -> Result<Option<u32>> {
    Ok(prop_unsigned(el, name, required, nonzero, u32::MAX as u64)?.map(|v| v as u32))
}

fn prop_unsigned(el: &Element, name: &str, required: bool, nonzero: bool, max: u64) -> Result<Option<u64>> {
    let Some(v) = el.attr(name) else {
        return if required {
            Err(missing_attr(el, name))
        } else {
            Ok(None)
        };
    };
    let n = parse_ullp(v).filter(|n| *n <= max).ok_or_else(|| {
        prop_error(format!(
            "Invalid value for attribute '{name}' in element '{}': '{v}'. Expected non-negative integer value",
            el.name
        ))
    })?;
    if nonzero && n == 0 {
        return Err(prop_error(format!(
            "Invalid value for attribute '{name}' in element '{}': Zero is not permitted",
            el.name
        )));
    }
    Ok(Some(n))
}

/// `virXMLPropInt`: a signed integer.
pub(crate) fn prop_i32(el: &Element, name: &str, required: bool) -> Result<Option<i32>> {
    let Some(v) = el.attr(name) else {
        return if required {
            Err(missing_attr(el, name))
        } else {
            Ok(None)
        };
    };
    parse_i(v).map(Some).ok_or_else(|| {
        prop_error(format!(
            "Invalid value for attribute '{name}' in element '{}': '{v}'. Expected integer value",
            el.name
        ))
    })
}

/// `virXMLPropInt` with `VIR_XML_PROP_NONNEGATIVE`.
pub(crate) fn prop_i32_nonneg(el: &Element, name: &str) -> Result<Option<i32>> {
    let v = prop_i32(el, name, false)?;
    if v.is_some_and(|v| v < 0) {
        return Err(prop_error(format!(
            "Invalid value for attribute '{name}' in element '{}': '{}'. Expected non-negative value",
            el.name,
            el.attr(name).unwrap_or_default()
        )));
    }
    Ok(v)
}

/// The text of the first child `name`, as XPath `string()` gives it: None
/// when absent or empty.
pub(crate) fn child_text_nonempty(el: &Element, name: &str) -> Option<String> {
    el.child(name).map(Element::text).filter(|t| !t.is_empty())
}

/// `virScaleInteger`: multiplies `value` by the factor `unit` names
/// (`default_scale` when there is none), refusing results above `limit`.
pub(crate) fn scale_integer(value: u64, unit: Option<&str>, default_scale: u64, limit: u64) -> Result<u64> {
    let (scale, suffix) = match unit.filter(|u| !u.is_empty()) {
        None => (default_scale, ""),
        Some(u) => (unit_scale(u)?, u),
    };
    if value != 0 && value > limit / scale {
        return Err(Error::with(
            VIR_FROM_NONE,
            VIR_ERR_OVERFLOW,
            format!("value too large: {value}{suffix}"),
        ));
    }
    Ok(value * scale)
}

fn unit_scale(unit: &str) -> Result<u64> {
    let lower = unit.to_ascii_lowercase();
    if matches!(lower.as_str(), "b" | "byte" | "bytes") {
        return Ok(1);
    }
    let bad = || Error::invalid_arg(VIR_FROM_NONE, format!("unknown suffix '{unit}'"));
    let b = lower.as_bytes();
    let base: u64 = if b.len() == 1 || &lower[1..] == "ib" {
        1024
    } else if b.len() == 2 && b[1] == b'b' {
        1000
    } else {
        return Err(bad());
    };
    let power = match b[0] {
        b'k' => 1,
        b'm' => 2,
        b'g' => 3,
        b't' => 4,
        b'p' => 5,
        b'e' => 6,
        _ => return Err(bad()),
    };
    Ok(base.pow(power))
}

/// The largest memory size libvirt accepts, in bytes (`LLONG_MAX` on 64-bit).
pub(crate) const MEMORY_MAX_BYTES: u64 = i64::MAX as u64;

/// `virDomainParseMemory` on an element's text and `unit` attribute: the
/// size in KiB (rounded up), None when the text is absent or empty.
/// `xpath` names the element in errors (`./memory[1]`).
pub(crate) fn parse_memory_text(el: &Element, xpath: &str) -> Result<Option<u64>> {
    let text = el.text();
    parse_memory_value(&text, el.attr("unit"), xpath)
}

/// [`parse_memory_text`] on a value and unit read elsewhere (attributes).
pub(crate) fn parse_memory_value(text: &str, unit: Option<&str>, xpath: &str) -> Result<Option<u64>> {
    if text.is_empty() {
        return Ok(None);
    }
    let value = parse_ullp(text).ok_or_else(|| {
        prop_error(format!(
            "Invalid value '{text}' for element or attribute '{xpath}'"
        ))
    })?;
    let bytes = scale_integer(value, unit, 1024, MEMORY_MAX_BYTES)?;
    let kib = bytes.div_ceil(1024);
    if kib >= MEMORY_MAX_BYTES.div_ceil(1024) {
        return Err(Error::with(
            VIR_FROM_DOMAIN,
            VIR_ERR_OVERFLOW,
            "size value too large",
        ));
    }
    Ok(Some(kib))
}

/// The highest CPU or node number a bitmap may name, plus one.
pub(crate) const CPUMASK_LEN: usize = 16384;

/// A set of CPU or NUMA node numbers (`virBitmap`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bitmap(Vec<bool>);

impl Bitmap {
    /// `virBitmapParse`: "0-3,^2,7".
    pub fn parse(s: &str) -> Result<Bitmap> {
        Bitmap::parse_limited(s, CPUMASK_LEN)
    }

    /// [`Bitmap::parse`] with a different size limit.
    pub fn parse_limited(s: &str, limit: usize) -> Result<Bitmap> {
        let bad = || Error::invalid_arg(VIR_FROM_NONE, format!("Failed to parse bitmap '{s}'"));
        let b = s.as_bytes();
        let mut bits = vec![false; 0];
        let set = |bits: &mut Vec<bool>, i: usize, v: bool| -> bool {
            if i >= limit {
                return false;
            }
            if bits.len() <= i {
                bits.resize(i + 1, false);
            }
            bits[i] = v;
            true
        };
        let skip = |i: &mut usize| {
            while *i < b.len() && is_c_space(b[*i]) {
                *i += 1;
            }
        };
        let number = |i: &mut usize| -> Option<usize> {
            // strtol semantics: blanks and a sign may precede the digits.
            let start = *i;
            let mut j = *i;
            while j < b.len() && is_c_space(b[j]) {
                j += 1;
            }
            let mut neg = false;
            if j < b.len() && (b[j] == b'+' || b[j] == b'-') {
                neg = b[j] == b'-';
                j += 1;
            }
            let ds = j;
            let mut v: u64 = 0;
            while j < b.len() && b[j].is_ascii_digit() {
                v = v.saturating_mul(10).saturating_add((b[j] - b'0') as u64);
                j += 1;
            }
            if j == ds || neg || v > i32::MAX as u64 {
                let _ = start;
                return None;
            }
            *i = j;
            Some(v as usize)
        };
        let mut i = 0;
        skip(&mut i);
        if i >= b.len() {
            return Err(bad());
        }
        while i < b.len() {
            let mut neg = false;
            if b[i] == b'^' {
                neg = true;
                i += 1;
            }
            if i >= b.len() || !b[i].is_ascii_digit() {
                return Err(bad());
            }
            let start = number(&mut i).ok_or_else(bad)?;
            skip(&mut i);
            if i >= b.len() || b[i] == b',' {
                if !set(&mut bits, start, !neg) {
                    return Err(bad());
                }
            } else if b[i] == b'-' {
                if neg {
                    return Err(bad());
                }
                i += 1;
                skip(&mut i);
                let last = number(&mut i).ok_or_else(bad)?;
                if last < start {
                    return Err(bad());
                }
                for n in start..=last {
                    if !set(&mut bits, n, true) {
                        return Err(bad());
                    }
                }
                skip(&mut i);
            }
            if i < b.len() && b[i] == b',' {
                i += 1;
                skip(&mut i);
            } else if i >= b.len() {
                break;
            } else {
                return Err(bad());
            }
        }
        Ok(Bitmap(bits))
    }

    /// No bit set.
    pub fn is_empty(&self) -> bool {
        !self.0.iter().any(|b| *b)
    }

    /// Whether `i` is in the set.
    pub fn contains(&self, i: usize) -> bool {
        self.0.get(i).copied().unwrap_or(false)
    }

    /// How many members.
    pub fn count(&self) -> usize {
        self.0.iter().filter(|b| **b).count()
    }

    /// Members in increasing order.
    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.0.iter().enumerate().filter(|(_, b)| **b).map(|(i, _)| i)
    }

    /// The highest member.
    pub fn last(&self) -> Option<usize> {
        self.0.iter().rposition(|b| *b)
    }

    /// A set from its members.
    pub fn from_members(members: impl IntoIterator<Item = usize>) -> Bitmap {
        let mut bits = Vec::new();
        for m in members {
            if bits.len() <= m {
                bits.resize(m + 1, false);
            }
            bits[m] = true;
        }
        Bitmap(bits)
    }

    /// Adds the members of `other`.
    pub fn union_with(&mut self, other: &Bitmap) {
        if self.0.len() < other.0.len() {
            self.0.resize(other.0.len(), false);
        }
        for (i, b) in other.0.iter().enumerate() {
            if *b {
                self.0[i] = true;
            }
        }
    }

    /// Whether the two sets share a member.
    pub fn intersects(&self, other: &Bitmap) -> bool {
        self.0.iter().zip(other.0.iter()).any(|(a, b)| *a && *b)
    }
}

impl std::fmt::Display for Bitmap {
    /// `virBitmapFormat`: ranges joined by commas.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut first = true;
        let mut i = 0;
        let n = self.0.len();
        while i < n {
            if !self.0[i] {
                i += 1;
                continue;
            }
            let start = i;
            while i + 1 < n && self.0[i + 1] {
                i += 1;
            }
            if !first {
                f.write_str(",")?;
            }
            first = false;
            if start == i {
                write!(f, "{start}")?;
            } else {
                write!(f, "{start}-{i}")?;
            }
            i += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_c_rules() {
        assert_eq!(parse_ullp(" 12"), Some(12));
        assert_eq!(parse_ullp("+5"), Some(5));
        assert_eq!(parse_ullp("12 "), None);
        assert_eq!(parse_ullp("-0"), None);
        assert_eq!(parse_ullp("010"), Some(10));
        assert_eq!(parse_ullp("18446744073709551616"), None);
        assert_eq!(parse_ll("-3"), Some(-3));
        assert_eq!(parse_ui("-1"), Some(u32::MAX));
    }

    #[test]
    fn scales_units() {
        let kib = |v, u| parse_memory_value(v, u, "./memory[1]").unwrap().unwrap();
        assert_eq!(kib("1025", Some("b")), 2);
        assert_eq!(kib("1", Some("MB")), 977);
        assert_eq!(kib("1", Some("m")), 1024);
        assert_eq!(kib("1", Some("kib")), 1);
        assert_eq!(kib("1", Some("EiB")), 1125899906842624);
        assert!(parse_memory_value("1", Some("xyz"), "./memory[1]").is_err());
        assert!(parse_memory_value("9007199254740992", None, "./memory[1]").is_err());
    }

    #[test]
    fn bitmaps_parse_and_format() {
        let p = |s| Bitmap::parse(s).map(|b| b.to_string());
        assert_eq!(p("0-1,^1,3").unwrap(), "0,3");
        assert_eq!(p("3,2,1").unwrap(), "1-3");
        assert_eq!(p(" 1 , 2 ").unwrap(), "1-2");
        assert_eq!(p("1- +3").unwrap(), "1-3");
        assert_eq!(p("1,").unwrap(), "1");
        assert_eq!(p("^1").unwrap(), "");
        for bad in [
            "", " ", ",1", "1,,2", "1-3,^2-3", "-1", "+1", "0x1", "16384", "1-0", "1-2-3",
        ] {
            assert!(p(bad).is_err(), "{bad}");
        }
        assert_eq!(p("16383").unwrap(), "16383");
    }
}
