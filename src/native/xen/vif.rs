//! Network interfaces (`vif = [ "mac=...,bridge=..." ]`) and PCI
//! passthrough (`pci = [ "0000:01:00.0" ]`) strings, to and from XML.

use super::common::{esc, internal, parse_c_int, parse_c_ulong, unsupported};
use crate::abi::*;
use crate::error::Result;
use crate::xml::dom::Element;

/// The script libvirt names for bridged interfaces without one.
const DEFAULT_VIF_SCRIPT: &str = "vif-bridge";

/// Splits a vif entry into `key=value` parts: every comma-separated part
/// (leading blanks skipped) must hold an `=`.
fn pairs(entry: &str) -> Option<Vec<(&str, &str)>> {
    entry
        .split(',')
        .map(|part| part.trim_start_matches([' ', '\t', '\n', '\r']).split_once('='))
        .collect()
}

/// Key/value pairs, or libvirt's cue that the entry stops at a bare word.
pub fn key_values(entry: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let mut rest = entry;
    loop {
        let (part, next) = match rest.find(',') {
            Some(i) => (&rest[..i], Some(&rest[i + 1..])),
            None => (rest, None),
        };
        match part.split_once('=') {
            Some(kv) => out.push(kv),
            None => return out,
        }
        match next {
            Some(n) => rest = n.trim_start_matches([',', ' ', '\t']),
            None => return out,
        }
    }
}

/// The rate in KiB/s of a vif `rate=` value (`10MB/s`, `1Gb/s@20ms`).
fn parse_rate(rate: &str) -> Result<u64> {
    let invalid = || internal(format!("Invalid rate '{rate}' specified"));
    let head = rate.split('@').next().unwrap_or("");
    let digits = head.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return Err(invalid());
    }
    let suffix = &head[digits..];
    let unit = suffix.strip_suffix("/s").ok_or_else(invalid)?;
    let (scale, bits) = match unit.as_bytes() {
        [b] if *b == b'B' || *b == b'b' => (1, *b == b'b'),
        [s, b] if b"GMK".contains(s) && (*b == b'B' || *b == b'b') => (
            match s {
                b'G' => 1024 * 1024,
                b'M' => 1024,
                _ => 1,
            },
            *b == b'b',
        ),
        _ => return Err(invalid()),
    };
    let n: u64 = head[..digits]
        .parse()
        .map_err(|_| internal(format!("Failed to parse rate '{rate}'")))?;
    let n = n.wrapping_mul(scale);
    Ok(if bits { n / 8 } else { n })
}

/// The `<interface>` XML of a vif entry; `typename` is the `type=` value
/// that means a paravirtual (netfront) device.
pub fn parse(entry: &str, typename: &str) -> Result<String> {
    let kv = pairs(entry).ok_or_else(|| internal(format!("malformed vif entry '{entry}'")))?;
    let (mut mac, mut bridge, mut script, mut model, mut kind, mut vifname, mut ip, mut rate) =
        (None, None, None, None, None, None, None, None);
    for (k, v) in kv {
        let slot = match k {
            "mac" => &mut mac,
            "bridge" => &mut bridge,
            "script" => &mut script,
            "model" => &mut model,
            "type" => &mut kind,
            "vifname" => &mut vifname,
            "ip" => &mut ip,
            "rate" => &mut rate,
            _ => continue,
        };
        *slot = Some(v);
    }
    let mut x = String::new();
    let is_bridge = bridge.is_some() || matches!(script, Some("vif-bridge") | Some("vif-vnic"));
    x.push_str(&format!(
        "<interface type='{}'>",
        if is_bridge { "bridge" } else { "ethernet" }
    ));
    if let Some(mac) = mac {
        if crate::domain::devices::Mac::parse(mac).is_none() {
            return Err(internal(format!("malformed mac address '{mac}'")));
        }
        x.push_str(&format!("<mac address='{}'/>", esc(mac)));
    }
    if let Some(bridge) = bridge {
        let bad_tag = || internal(format!("malformed vlan tag in bridge '{bridge}'"));
        let tag = |t: &str| -> Result<u64> {
            parse_c_ulong(t, 10)
                .filter(|n| *n <= u32::MAX as u64)
                .ok_or_else(bad_tag)
        };
        if let Some((name, t)) = bridge.split_once('.') {
            x.push_str(&format!(
                "<source bridge='{}'/><vlan><tag id='{}'/></vlan><virtualport type='openvswitch'/>",
                esc(name),
                tag(t)?
            ));
        } else if bridge.contains(':') {
            let mut parts = bridge.split(':');
            let name = parts.next().unwrap_or("");
            let mut tags = String::new();
            for t in parts {
                tags.push_str(&format!("<tag id='{}'/>", tag(t)?));
            }
            x.push_str(&format!(
                "<source bridge='{}'/><vlan trunk='yes'>{tags}</vlan><virtualport type='openvswitch'/>",
                esc(name)
            ));
        } else {
            x.push_str(&format!("<source bridge='{}'/>", esc(bridge)));
        }
    }
    for a in ip.unwrap_or("").split(' ').filter(|a| !a.is_empty()) {
        x.push_str(&format!("<ip address='{}'/>", esc(a)));
    }
    if let Some(s) = script.filter(|s| !s.is_empty()) {
        x.push_str(&format!("<script path='{}'/>", esc(s)));
    }
    if let Some(model) = model {
        x.push_str(&format!("<model type='{}'/>", esc(model)));
    } else if kind == Some(typename) {
        x.push_str("<model type='netfront'/>");
    }
    if let Some(vifname) = vifname.filter(|v| !v.is_empty()) {
        x.push_str(&format!("<target dev='{}'/>", esc(vifname)));
    }
    if let Some(rate) = rate {
        let kbs = parse_rate(rate)?;
        x.push_str(&format!("<bandwidth><outbound average='{kbs}'/></bandwidth>"));
    }
    x.push_str("</interface>");
    Ok(x)
}

/// The vif string of an `<interface>` element.
pub fn format(el: &Element, hvm: bool, typename: &str) -> Result<String> {
    let mac = el.child("mac").and_then(|m| m.attr("address")).unwrap_or("");
    let mut s = format!("mac={mac}");
    let ips: Vec<&str> = el
        .children_named("ip")
        .filter_map(|i| i.attr("address"))
        .collect();
    let script = el.child("script").and_then(|s| s.attr("path"));
    match el.attr("type").unwrap_or("") {
        "bridge" => {
            let br = el.child("source").and_then(|s| s.attr("bridge")).unwrap_or("");
            s.push_str(&format!(",bridge={br}"));
            let ovs = el.child("virtualport").and_then(|v| v.attr("type")) == Some("openvswitch");
            let mut script = script;
            if ovs {
                script = script.or(Some("vif-openvswitch"));
                if let Some(vlan) = el.child("vlan") {
                    let tags: Vec<&str> = vlan.children_named("tag").filter_map(|t| t.attr("id")).collect();
                    if vlan.attr("trunk") == Some("yes") {
                        for t in &tags {
                            s.push_str(&format!(":{t}"));
                        }
                    } else if let Some(t) = tags.first() {
                        s.push_str(&format!(".{t}"));
                    }
                }
            }
            if !ips.is_empty() {
                s.push_str(&format!(",ip={}", ips.join(" ")));
            }
            s.push_str(&format!(",script={}", script.unwrap_or(DEFAULT_VIF_SCRIPT)));
        }
        "ethernet" => {
            if let Some(sc) = script {
                s.push_str(&format!(",script={sc}"));
            }
            if !ips.is_empty() {
                s.push_str(&format!(",ip={}", ips.join(" ")));
            }
        }
        other => {
            return Err(unsupported(
                VIR_FROM_XEN,
                format!("Unsupported net type '{other}'"),
            ))
        }
    }
    if let Some(m) = el.child("model").and_then(|m| m.attr("type")) {
        if hvm && m == "netfront" {
            s.push_str(&format!(",type={typename}"));
        } else {
            s.push_str(&format!(",model={m}"));
        }
    }
    if let Some(t) = el.child("target").and_then(|t| t.attr("dev")) {
        s.push_str(&format!(",vifname={t}"));
    }
    if let Some(avg) = el
        .child("bandwidth")
        .and_then(|b| b.child("outbound"))
        .and_then(|o| o.attr("average"))
        .filter(|a| *a != "0")
    {
        s.push_str(&format!(",rate={avg}KB/s"));
    }
    Ok(s)
}

/// The `<hostdev>` XML of a `pci` entry (`[DDDD:]BB:SS.F[,opt=val...]`).
pub fn parse_pci(entry: &str) -> Result<String> {
    let bad = || internal(format!("Malformed PCI address {entry}"));
    let parts: Vec<&str> = entry.splitn(3, ':').collect();
    let (domain, bus, rest) = match parts.as_slice() {
        [d, b, r] => (parse_c_int(d, 16).ok_or_else(bad)?, *b, *r),
        [b, r] => (0, *b, *r),
        _ => return Err(bad()),
    };
    let bus = parse_c_int(bus, 16).ok_or_else(bad)?;
    let (slot, rest) = rest
        .split_once('.')
        .ok_or_else(|| internal(format!("Malformed PCI address {rest}")))?;
    let slot = parse_c_int(slot, 16).ok_or_else(bad)?;
    let (func, opts) = match rest.split_once(',') {
        Some((f, o)) => (f, Some(o)),
        None => (rest, None),
    };
    let func = parse_c_int(func, 16).ok_or_else(bad)?;
    let mut filtering = None;
    if let Some(opts) = opts {
        for o in opts.split(',').filter(|o| !o.is_empty()) {
            let (k, v) = o
                .split_once('=')
                .ok_or_else(|| internal(format!("Malformed PCI options {opts}")))?;
            if k == "permissive" {
                let n =
                    parse_c_int(v, 10).ok_or_else(|| internal(format!("Malformed PCI options {opts}")))?;
                filtering = Some(if n != 0 { "no" } else { "yes" });
            }
        }
    }
    let in_range = (0..=0xffff).contains(&domain)
        && (0..=0xff).contains(&bus)
        && (0..=0x1f).contains(&slot)
        && (0..=7).contains(&func);
    if !in_range {
        return Err(bad());
    }
    let source = match filtering {
        Some(f) => format!("<source writeFiltering='{f}'>"),
        None => "<source>".to_string(),
    };
    Ok(format!(
        "<hostdev mode='subsystem' type='pci' managed='no'><driver name='xen'/>{source}<address domain='{domain:#06x}' bus='{bus:#04x}' slot='{slot:#04x}' function='{func:#x}'/></source></hostdev>"
    ))
}

fn hex_attr(el: &Element, name: &str) -> u64 {
    el.attr(name).and_then(|v| parse_c_ulong(v, 16)).unwrap_or(0)
}

/// The `pci` string of a PCI `<hostdev>` element.
pub fn format_pci(el: &Element) -> String {
    let source = el.child("source");
    let addr = source.and_then(|s| s.child("address"));
    let get = |n: &str| addr.map_or(0, |a| hex_attr(a, n));
    let permissive = match source.and_then(|s| s.attr("writeFiltering")) {
        Some("yes") => ",permissive=0",
        Some("no") => ",permissive=1",
        _ => "",
    };
    format!(
        "{:04x}:{:02x}:{:02x}.{:x}{permissive}",
        get("domain"),
        get("bus"),
        get("slot"),
        get("function")
    )
}
