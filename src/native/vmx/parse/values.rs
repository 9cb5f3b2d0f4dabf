//! Reading VMX entries the way libvirt's converter does: every value is a
//! quoted string, names are looked up ignoring case (first entry wins), and
//! numbers and booleans are read from the strings with C's conventions.

use std::collections::HashMap;

use crate::abi::{VIR_FROM_CONF, VIR_FROM_NONE};
use crate::conf::{Conf, Value};
use crate::domain::Uuid;
use crate::error::{Error, Result};

/// A conversion error: libvirt reports them as internal errors without an
/// error domain.
pub(crate) fn error(detail: impl AsRef<str>) -> Error {
    Error::internal(VIR_FROM_NONE, detail)
}

fn missing(name: &str) -> Error {
    error(format!("Missing essential config entry '{name}'"))
}

/// The entries of a VMX file, indexed by lower-cased name.
pub(crate) struct Vmx {
    values: HashMap<String, Value>,
    names: Vec<String>,
}

impl Vmx {
    pub(crate) fn new(conf: &Conf) -> Vmx {
        let mut values = HashMap::new();
        let mut names = Vec::new();
        for entry in conf.entries() {
            let (Some(name), Some(value)) = (&entry.name, &entry.value) else {
                continue;
            };
            values
                .entry(name.to_ascii_lowercase())
                .or_insert_with(|| value.clone());
            names.push(name.clone());
        }
        Vmx { values, names }
    }

    /// Every entry name, in file order (as written).
    pub(crate) fn names(&self) -> &[String] {
        &self.names
    }

    fn value(&self, name: &str) -> Option<&Value> {
        self.values.get(&name.to_ascii_lowercase())
    }

    /// A string entry; absent is an error unless `optional`.
    pub(crate) fn string(&self, name: &str, optional: bool) -> Result<Option<String>> {
        match self.value(name) {
            Some(Value::String(s)) => Ok(Some(s.clone())),
            // The VMX dialect only has strings; kept for completeness.
            Some(_) => Err(Error::internal(
                VIR_FROM_CONF,
                format!("memory conf: expected a string for '{name}' parameter"),
            )),
            None if optional => Ok(None),
            None => Err(missing(name)),
        }
    }

    /// A decimal integer (`unlimited` reads as -1), `default` when absent.
    pub(crate) fn long(&self, name: &str, default: i64, optional: bool) -> Result<i64> {
        let Some(s) = self.string(name, optional)? else {
            return Ok(default);
        };
        if s.eq_ignore_ascii_case("unlimited") {
            return Ok(-1);
        }
        strtoll(&s).ok_or_else(|| error(format!("Config entry '{name}' must represent an integer value")))
    }

    /// `true` or `false` in any case, `default` when absent.
    pub(crate) fn boolean(&self, name: &str, default: bool, optional: bool) -> Result<bool> {
        let Some(s) = self.string(name, optional)? else {
            return Ok(default);
        };
        if s.eq_ignore_ascii_case("true") {
            Ok(true)
        } else if s.eq_ignore_ascii_case("false") {
            Ok(false)
        } else {
            Err(error(format!(
                "Config entry '{name}' must represent a boolean value (true|false)"
            )))
        }
    }

    /// A UUID in any of libvirt's spellings (VMX writes `xx xx ... xx-xx ...`).
    pub(crate) fn uuid(&self, name: &str, optional: bool) -> Result<Option<Uuid>> {
        let Some(s) = self.string(name, optional)? else {
            return Ok(None);
        };
        parse_uuid(&s).map(Some)
    }
}

/// `virUUIDParse` with the converter's error.
pub(crate) fn parse_uuid(s: &str) -> Result<Uuid> {
    Uuid::parse(s).ok_or_else(|| error(format!("Could not parse UUID from string '{s}'")))
}

/// C `isspace` in the "C" locale.
pub(crate) fn is_c_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// The longest decimal number C's `strto*` family reads at the start of `s`:
/// blanks, a sign, digits.  Returns (negative, magnitude or None when it
/// does not fit 64 bits, bytes consumed); None when there are no digits.
pub(crate) fn c_decimal(s: &str) -> Option<(bool, Option<u64>, usize)> {
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
    let start = i;
    let mut value = Some(0u64);
    while i < b.len() && b[i].is_ascii_digit() {
        value = value
            .and_then(|v| v.checked_mul(10))
            .and_then(|v| v.checked_add(u64::from(b[i] - b'0')));
        i += 1;
    }
    (i > start).then_some((neg, value, i))
}

/// `virStrToLong_ll(s, NULL, 10, ...)`: the whole string, in range.
pub(crate) fn strtoll(s: &str) -> Option<i64> {
    let (neg, mag, used) = c_decimal(s)?;
    if used != s.len() {
        return None;
    }
    let mag = mag?;
    if neg {
        (mag <= i64::MAX as u64 + 1).then(|| (mag as i64).wrapping_neg())
    } else {
        i64::try_from(mag).ok()
    }
}

/// `virStrToLong_ull(s, NULL, 10, ...)`: like `strtoull`, a minus sign
/// wraps the value around.
pub(crate) fn strtoull(s: &str) -> Option<u64> {
    let (neg, mag, used) = c_decimal(s)?;
    if used != s.len() {
        return None;
    }
    let mag = mag?;
    Some(if neg { mag.wrapping_neg() } else { mag })
}

/// `virStrToLong_uip(s, &end, 10, ...)`: a non-negative number that fits
/// 32 bits at the start of `s`, and the rest of the string.
pub(crate) fn strtouip_prefix(s: &str) -> Option<(u32, &str)> {
    let (neg, mag, used) = c_decimal(s)?;
    if neg {
        return None;
    }
    let v = u32::try_from(mag?).ok()?;
    Some((v, &s[used..]))
}

/// `virStrToLong_i(s, &end, 10, ...)`: an `int` at the start of `s`, and
/// the rest of the string.
pub(crate) fn strtoi_prefix(s: &str) -> Option<(i32, &str)> {
    let (neg, mag, used) = c_decimal(s)?;
    let mag = mag?;
    let v = if neg {
        if mag > i32::MAX as u64 + 1 {
            return None;
        }
        (mag as i64).wrapping_neg() as i32
    } else {
        i32::try_from(mag).ok()?
    };
    Some((v, &s[used..]))
}

/// `virVMXUnescapeHex`: `<escape>XX` becomes the byte 0xXX; None when an
/// escape is not followed by two hex digits.  The result is a C string: it
/// ends at the first NUL byte.
pub(crate) fn unescape_hex(s: &[u8], escape: u8) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == escape {
            let hex = |c: Option<&u8>| c.and_then(|c| (*c as char).to_digit(16));
            let (hi, lo) = (hex(s.get(i + 1))?, hex(s.get(i + 2))?);
            out.push((hi * 16 + lo) as u8);
            i += 3;
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    if let Some(nul) = out.iter().position(|&b| b == 0) {
        out.truncate(nul);
    }
    Some(out)
}

/// libvirt's `virIndexToDiskName`: 0 → `<prefix>a`, 25 → `z`, 26 → `aa`.
pub(crate) fn index_to_disk_name(index: u32, prefix: &str) -> String {
    let mut letters = Vec::new();
    let mut n = i64::from(index);
    while n >= 0 {
        letters.push(b'a' + (n % 26) as u8);
        n = n / 26 - 1;
    }
    letters.reverse();
    format!("{prefix}{}", String::from_utf8_lossy(&letters))
}

/// `virMacAddrParse`: six hex bytes of one or two digits separated by `:`;
/// anything from a blank or control character on after the last byte is
/// ignored.
pub(crate) fn parse_mac(s: &str) -> Option<[u8; 6]> {
    let b = s.as_bytes();
    let mut out = [0u8; 6];
    let mut i = 0;
    for (n, byte) in out.iter_mut().enumerate() {
        let start = i;
        while i < b.len() && b[i].is_ascii_hexdigit() && i - start < 3 {
            i += 1;
        }
        let len = i - start;
        if !(1..=2).contains(&len) {
            return None;
        }
        *byte = u8::from_str_radix(&s[start..i], 16).ok()?;
        let next = b.get(i).copied().unwrap_or(0);
        if n == 5 {
            return (next <= b' ').then_some(out);
        }
        if next != b':' {
            return None;
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c_numbers() {
        assert_eq!(strtoll(" 42"), Some(42));
        assert_eq!(strtoll("+42"), Some(42));
        assert_eq!(strtoll("-9223372036854775808"), Some(i64::MIN));
        assert_eq!(strtoll("9223372036854775808"), None);
        assert_eq!(strtoll("42 "), None);
        assert_eq!(strtoll(""), None);
        assert_eq!(strtoll("abc"), None);
        assert_eq!(strtoll("99999999999999999999999"), None);
        assert_eq!(strtoull("-1"), Some(u64::MAX));
        assert_eq!(strtoull("18446744073709551616"), None);
        assert_eq!(strtouip_prefix("12 x"), Some((12, " x")));
        assert_eq!(strtouip_prefix("-1"), None);
        assert_eq!(strtouip_prefix("4294967296"), None);
        assert_eq!(strtoi_prefix("+3.present"), Some((3, ".present")));
        assert_eq!(strtoi_prefix(".present"), None);
        assert_eq!(strtoi_prefix("2147483648."), None);
    }

    #[test]
    fn escapes_and_names() {
        assert_eq!(unescape_hex(b"a|7Cb", b'|').unwrap(), b"a|b");
        assert_eq!(unescape_hex(b"a|7", b'|'), None);
        assert_eq!(unescape_hex(b"a|zz", b'|'), None);
        assert_eq!(unescape_hex(b"a%00b", b'%').unwrap(), b"a");
        assert_eq!(index_to_disk_name(0, "sd"), "sda");
        assert_eq!(index_to_disk_name(25, "sd"), "sdz");
        assert_eq!(index_to_disk_name(26, "sd"), "sdaa");
        assert_eq!(index_to_disk_name(45, "sd"), "sdat");
        assert_eq!(index_to_disk_name(702, "sd"), "sdaaa");
    }

    #[test]
    fn mac_addresses() {
        assert_eq!(
            parse_mac("00:0C:29:11:22:33"),
            Some([0, 0x0c, 0x29, 0x11, 0x22, 0x33])
        );
        assert_eq!(parse_mac("0:c:29:1:2:3"), Some([0, 0x0c, 0x29, 1, 2, 3]));
        assert_eq!(
            parse_mac("00:0c:29:11:22:33 trailing"),
            Some([0, 0x0c, 0x29, 0x11, 0x22, 0x33])
        );
        assert_eq!(parse_mac("00:0c:29:11:22"), None);
        assert_eq!(parse_mac("00:0c:29:11:22:333"), None);
        assert_eq!(parse_mac("00-0c-29-11-22-33"), None);
        assert_eq!(parse_mac("00:0c:29:11:22:33:44"), None);
        assert_eq!(parse_mac(""), None);
    }
}
