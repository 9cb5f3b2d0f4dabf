//! Character devices as Xen writes them (`serial = "tcp:host:port"`,
//! `"pty"`, `"/dev/ttyS0"`, ...), to and from domain XML.

use super::common::{esc, internal, unsupported};
use crate::abi::*;
use crate::domain::devices::chardev::SOURCE_TYPES;
use crate::error::Result;
use crate::xml::dom::Element;

fn malformed() -> crate::error::Error {
    internal("malformed char device string")
}

/// The XML of `<elem type=...>` (elem: serial, parallel) for a Xen
/// character device string, with target port `port`.
pub fn parse(value: &str, elem: &str, port: usize) -> Result<String> {
    let (kind, rest, telnet) = if value.starts_with('/') {
        ("dev".to_string(), value, false)
    } else {
        let (prefix, rest) = value.split_once(':').unwrap_or((value, value));
        if prefix.starts_with("telnet") {
            ("tcp".to_string(), rest, true)
        } else if SOURCE_TYPES.contains(&prefix) {
            (prefix.to_string(), rest, false)
        } else {
            return Err(internal(format!("unknown chr device type '{prefix}'")));
        }
    };
    let mut body = String::new();
    match kind.as_str() {
        "dev" => body.push_str(&format!("<source path='{}'/>", esc(value))),
        "file" | "pipe" => body.push_str(&format!("<source path='{}'/>", esc(rest))),
        "tcp" => {
            let (host, after) = rest.split_once(':').ok_or_else(malformed)?;
            let (service, opts) = match after.find(',') {
                Some(i) => (&after[..i], &after[i..]),
                None => (after, ""),
            };
            let mode = if opts.contains(",server") {
                "bind"
            } else {
                "connect"
            };
            body.push_str(&format!("<source mode='{mode}'"));
            if !host.is_empty() {
                body.push_str(&format!(" host='{}'", esc(host)));
            }
            body.push_str(&format!(" service='{}'/>", esc(service)));
            let protocol = if telnet { "telnet" } else { "raw" };
            body.push_str(&format!("<protocol type='{protocol}'/>"));
        }
        "udp" => {
            let (connect_host, after) = rest.split_once(':').ok_or_else(malformed)?;
            let (connect_service, bind) = match after.split_once('@') {
                Some((svc, bind)) => {
                    let (bh, bs) = bind.split_once(':').ok_or_else(malformed)?;
                    (svc, Some((bh, bs)))
                }
                None => (after, None),
            };
            if let Some((bh, bs)) = bind {
                body.push_str("<source mode='bind'");
                if !bh.is_empty() {
                    body.push_str(&format!(" host='{}'", esc(bh)));
                }
                body.push_str(&format!(" service='{}'/>", esc(bs)));
            }
            body.push_str("<source mode='connect'");
            if !connect_host.is_empty() {
                body.push_str(&format!(" host='{}'", esc(connect_host)));
            }
            body.push_str(&format!(" service='{}'/>", esc(connect_service)));
        }
        "unix" => {
            let (path, opts) = match rest.find(',') {
                Some(i) => (&rest[..i], &rest[i..]),
                None => (rest, ""),
            };
            let mode = if opts.contains(",server") {
                "bind"
            } else {
                "connect"
            };
            body.push_str(&format!("<source mode='{mode}' path='{}'/>", esc(path)));
        }
        _ => {}
    }
    Ok(format!(
        "<{elem} type='{kind}'>{body}<target port='{port}'/></{elem}>"
    ))
}

/// The Xen string of a `<serial>`/`<parallel>` element.
pub fn format(el: &Element) -> Result<String> {
    let kind = el.attr("type").unwrap_or("pty");
    let sources: Vec<&Element> = el.children_named("source").collect();
    let src = |mode: &str| sources.iter().find(|s| s.attr("mode") == Some(mode)).copied();
    let path = || {
        sources
            .first()
            .and_then(|s| s.attr("path"))
            .unwrap_or("")
            .to_string()
    };
    Ok(match kind {
        "null" | "stdio" | "vc" | "pty" => kind.to_string(),
        "file" | "pipe" => format!("{kind}:{}", path()),
        "dev" => path(),
        "tcp" => {
            let s = sources.first();
            let listen = s.and_then(|s| s.attr("mode")) == Some("bind");
            let telnet = el.child("protocol").and_then(|p| p.attr("type")).unwrap_or("raw") != "raw";
            format!(
                "{}:{}:{}{}",
                if telnet { "telnet" } else { "tcp" },
                s.and_then(|s| s.attr("host")).unwrap_or(""),
                s.and_then(|s| s.attr("service")).unwrap_or(""),
                if listen { ",server,nowait" } else { "" }
            )
        }
        "udp" => {
            let c = src("connect");
            let b = src("bind");
            format!(
                "udp:{}:{}@{}:{}",
                c.and_then(|s| s.attr("host")).unwrap_or(""),
                c.and_then(|s| s.attr("service")).unwrap_or(""),
                b.and_then(|s| s.attr("host")).unwrap_or(""),
                b.and_then(|s| s.attr("service")).unwrap_or("")
            )
        }
        "unix" => {
            let listen = sources.first().and_then(|s| s.attr("mode")) == Some("bind");
            format!("unix:{}{}", path(), if listen { ",server,nowait" } else { "" })
        }
        other => {
            return Err(unsupported(
                VIR_FROM_XEN,
                format!("unsupported chr device type '{other}'"),
            ))
        }
    })
}
