//! `<sysinfo>` (SMBIOS tables and firmware config entries), `<idmap>` and
//! `<launchSecurity>`.

use super::util::*;
use super::Uuid;
use crate::error::Result;
use crate::xml::dom::Element;
use crate::xml::Writer;

const BIOS: &[&str] = &["vendor", "version", "date", "release"];
const SYSTEM: &[&str] = &[
    "manufacturer",
    "product",
    "version",
    "serial",
    "uuid",
    "sku",
    "family",
];
const BASEBOARD: &[&str] = &[
    "manufacturer",
    "product",
    "version",
    "serial",
    "asset",
    "location",
];
const CHASSIS: &[&str] = &["manufacturer", "version", "serial", "asset", "sku"];

/// Named entries of one SMBIOS table, in libvirt's order.
pub type Entries = Vec<(&'static str, String)>;

/// `<sysinfo>`.
#[derive(Debug, Clone, PartialEq)]
pub enum Sysinfo {
    /// `type='smbios'`.
    Smbios {
        /// `<bios>`.
        bios: Entries,
        /// `<system>`.
        system: Entries,
        /// `<baseBoard>`s.
        base_boards: Vec<Entries>,
        /// `<chassis>`.
        chassis: Entries,
        /// `<oemStrings>` entries.
        oem_strings: Vec<String>,
    },
    /// `type='fwcfg'`: (name, value, file).
    Fwcfg(Vec<(String, Option<String>, Option<String>)>),
}

fn entries(el: Option<&Element>, names: &[&'static str]) -> Entries {
    let Some(el) = el else {
        return Vec::new();
    };
    names
        .iter()
        .filter_map(|n| {
            el.children_named("entry")
                .find(|e| e.attr("name") == Some(n))
                .map(Element::text)
                .filter(|t| !t.is_empty())
                .map(|t| (*n, t))
        })
        .collect()
}

fn valid_bios_date(d: &str) -> bool {
    let parts: Vec<&str> = d.split('/').collect();
    if parts.len() != 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return false;
    }
    let n = |s: &str| s.parse::<u64>().unwrap_or(u64::MAX);
    let (m, day, y) = (n(parts[0]), n(parts[1]), n(parts[2]));
    (1..=12).contains(&m) && (1..=31).contains(&day) && (y < 100 || (1900..=9999).contains(&y))
}

/// Reads one `<sysinfo>`; `uuid` is the domain's, `uuid_generated` tells
/// whether it may be taken from the table instead.
pub fn parse(el: &Element, uuid: &mut Uuid, uuid_generated: bool) -> Result<Sysinfo> {
    let kind = prop_enum_str(el, "type", &["smbios", "fwcfg"], true)?.unwrap_or_default();
    if kind == "fwcfg" {
        let mut list = Vec::new();
        for e in el.children_named("entry") {
            let name = e
                .attr("name")
                .ok_or_else(|| xml_error("Firmware entry is missing 'name' attribute"))?;
            let file = e.attr("file").map(str::to_string);
            let value = Some(e.text()).filter(|v| !v.is_empty());
            if value.is_none() && file.is_none() {
                return Err(xml_error(
                    "Firmware entry must have either value or 'file' attribute",
                ));
            }
            let value = if file.is_some() { None } else { value };
            list.push((name.to_string(), value, file));
        }
        return Ok(Sysinfo::Fwcfg(list));
    }
    let bios = entries(el.child("bios"), BIOS);
    if let Some((_, d)) = bios.iter().find(|(n, _)| *n == "date") {
        if !valid_bios_date(d) {
            return Err(detail_error("Invalid BIOS 'date' format"));
        }
    }
    let mut system = entries(el.child("system"), SYSTEM);
    if let Some((_, u)) = system.iter_mut().find(|(n, _)| *n == "uuid") {
        let parsed = Uuid::parse(u).ok_or_else(|| detail_error("malformed <sysinfo> uuid element"))?;
        if uuid_generated {
            *uuid = parsed;
        } else if parsed != *uuid {
            return Err(detail_error("UUID mismatch between <uuid> and <sysinfo>"));
        }
        *u = parsed.to_string();
    }
    let base_boards = el
        .children_named("baseBoard")
        .map(|b| entries(Some(b), BASEBOARD))
        .filter(|e| !e.is_empty())
        .collect();
    let chassis = entries(el.child("chassis"), CHASSIS);
    let oem_strings = el
        .child("oemStrings")
        .map(|o| o.children_named("entry").map(Element::text).collect())
        .unwrap_or_default();
    Ok(Sysinfo::Smbios {
        bios,
        system,
        base_boards,
        chassis,
        oem_strings,
    })
}

fn write_entries(w: &mut Writer, name: &str, e: &Entries) {
    if e.is_empty() {
        return;
    }
    w.open(name, &[]);
    for (n, v) in e {
        w.text("entry", &[("name", n)], v);
    }
    w.close(name);
}

/// Writes one `<sysinfo>`.
pub fn format(s: &Sysinfo, w: &mut Writer) {
    match s {
        Sysinfo::Fwcfg(list) => {
            if list.is_empty() {
                w.empty("sysinfo", &[("type", "fwcfg")]);
                return;
            }
            w.open("sysinfo", &[("type", "fwcfg")]);
            for (name, value, file) in list {
                match (value, file) {
                    (_, Some(f)) => w.empty("entry", &[("name", name), ("file", f)]),
                    (Some(v), None) => w.text("entry", &[("name", name)], v),
                    (None, None) => w.empty("entry", &[("name", name)]),
                }
            }
            w.close("sysinfo");
        }
        Sysinfo::Smbios {
            bios,
            system,
            base_boards,
            chassis,
            oem_strings,
        } => {
            if bios.is_empty()
                && system.is_empty()
                && base_boards.is_empty()
                && chassis.is_empty()
                && oem_strings.is_empty()
            {
                w.empty("sysinfo", &[("type", "smbios")]);
                return;
            }
            w.open("sysinfo", &[("type", "smbios")]);
            write_entries(w, "bios", bios);
            write_entries(w, "system", system);
            for b in base_boards {
                write_entries(w, "baseBoard", b);
            }
            write_entries(w, "chassis", chassis);
            if !oem_strings.is_empty() {
                w.open("oemStrings", &[]);
                for s in oem_strings {
                    w.text("entry", &[], s);
                }
                w.close("oemStrings");
            }
            w.close("sysinfo");
        }
    }
}

/// `<idmap>`: uid and gid maps of (start, target, count), sorted by start.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Idmap {
    /// `<uid>` entries.
    pub uid: Vec<(u32, u32, u32)>,
    /// `<gid>` entries.
    pub gid: Vec<(u32, u32, u32)>,
}

/// Reads `<idmap>`; None when it maps nothing.
pub fn parse_idmap(el: &Element) -> Result<Option<Idmap>> {
    let list = |name: &str| -> Result<Vec<(u32, u32, u32)>> {
        let mut v = Vec::new();
        for e in el.children_named(name) {
            let get = |a: &str| e.attr(a).and_then(parse_uip);
            match (get("start"), get("target"), get("count")) {
                (Some(s), Some(t), Some(c)) => v.push((s, t, c)),
                _ => return Err(xml_error("invalid idmap start/target/count settings")),
            }
        }
        v.sort_by_key(|e| e.0);
        Ok(v)
    };
    let m = Idmap {
        uid: list("uid")?,
        gid: list("gid")?,
    };
    if m.uid.is_empty() != m.gid.is_empty() {
        return Err(unsupported("uid and gid should be mapped both"));
    }
    if m.uid.first().is_some_and(|e| e.0 != 0) || m.gid.first().is_some_and(|e| e.0 != 0) {
        return Err(unsupported("You must map the root user of container"));
    }
    Ok((!m.uid.is_empty()).then_some(m))
}

/// Writes `<idmap>`.
pub fn format_idmap(m: &Idmap, w: &mut Writer) {
    w.open("idmap", &[]);
    for (name, list) in [("uid", &m.uid), ("gid", &m.gid)] {
        for (s, t, c) in list {
            w.empty(
                name,
                &[
                    ("start", &s.to_string()),
                    ("target", &t.to_string()),
                    ("count", &c.to_string()),
                ],
            );
        }
    }
    w.close("idmap");
}

/// `<launchSecurity>`.
#[derive(Debug, Clone, PartialEq)]
pub enum LaunchSecurity {
    /// AMD SEV.
    Sev {
        /// `kernelHashes` yes/no.
        kernel_hashes: Option<bool>,
        /// `<cbitpos>`.
        cbitpos: Option<u32>,
        /// `<reducedPhysBits>`.
        reduced_phys_bits: Option<u32>,
        /// `<policy>`.
        policy: u32,
        /// `<dhCert>`.
        dh_cert: Option<String>,
        /// `<session>`.
        session: Option<String>,
    },
    /// IBM protected virtualization.
    S390Pv,
}

fn parse_c_uint(s: &str) -> Option<u32> {
    let t = s.trim_start();
    let (digits, radix) = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(h) => (h, 16),
        None if t.len() > 1 && t.starts_with('0') => (&t[1..], 8),
        None => (t, 10),
    };
    u32::from_str_radix(digits, radix).ok()
}

/// Reads `<launchSecurity>`.
pub fn parse_launch_security(el: &Element) -> Result<LaunchSecurity> {
    let kind = prop_enum_str(el, "type", &["sev", "s390-pv"], true)?.unwrap_or_default();
    if kind == "s390-pv" {
        return Ok(LaunchSecurity::S390Pv);
    }
    let kernel_hashes = prop_yes_no(el, "kernelHashes", false)?;
    let uint = |name: &str, what: &str| -> Result<Option<u32>> {
        match child_text_nonempty(el, name) {
            None => Ok(None),
            Some(t) => parse_c_uint(&t)
                .map(Some)
                .ok_or_else(|| xml_error(format!("Invalid format for launch security {what}"))),
        }
    };
    let cbitpos = uint("cbitpos", "cbitpos")?;
    let reduced_phys_bits = uint("reducedPhysBits", "reduced-phys-bits")?;
    let policy = child_text_nonempty(el, "policy")
        .and_then(|p| parse_c_uint(&p))
        .ok_or_else(|| xml_error("failed to get launch security policy"))?;
    Ok(LaunchSecurity::Sev {
        kernel_hashes,
        cbitpos,
        reduced_phys_bits,
        policy,
        dh_cert: child_text_nonempty(el, "dhCert"),
        session: child_text_nonempty(el, "session"),
    })
}

/// Writes `<launchSecurity>`.
pub fn format_launch_security(l: &LaunchSecurity, w: &mut Writer) {
    match l {
        LaunchSecurity::S390Pv => w.empty("launchSecurity", &[("type", "s390-pv")]),
        LaunchSecurity::Sev {
            kernel_hashes,
            cbitpos,
            reduced_phys_bits,
            policy,
            dh_cert,
            session,
        } => {
            let mut a = vec![("type", "sev")];
            if let Some(k) = kernel_hashes {
                a.push(("kernelHashes", if *k { "yes" } else { "no" }));
            }
            w.open("launchSecurity", &a);
            if let Some(c) = cbitpos {
                w.text("cbitpos", &[], &c.to_string());
            }
            if let Some(r) = reduced_phys_bits {
                w.text("reducedPhysBits", &[], &r.to_string());
            }
            w.text("policy", &[], &format!("0x{policy:04x}"));
            if let Some(d) = dh_cert {
                w.text("dhCert", &[], d);
            }
            if let Some(s) = session {
                w.text("session", &[], s);
            }
            w.close("launchSecurity");
        }
    }
}
