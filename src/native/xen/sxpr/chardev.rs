//! Character devices in XenD's (qemu's) one-string notation: `pty`,
//! `file:/path`, `tcp:host:port,server,nowait`, `udp:host:port@host:port`,
//! `unix:/path,server`, `/dev/ttyS0`, ...

use crate::abi::*;
use crate::domain::devices::chardev::SOURCE_TYPES;
use crate::domain::devices::Chardev;
use crate::error::{Error, Result};

/// Character device types libvirt of the XenD era knew: the first 13 of
/// today's list (`qemu-vdagent` and `dbus` came later).
fn known_type(name: &str) -> bool {
    SOURCE_TYPES[..13].contains(&name)
}

/// A character device's host side, as read from the one-string notation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChrSpec {
    /// libvirt's type name.
    pub kind: String,
    /// Path of dev/file/pipe/pty/unix.
    pub path: Option<String>,
    /// tcp host, udp connect host.
    pub host: Option<String>,
    /// tcp service, udp connect service.
    pub service: Option<String>,
    /// udp bind host.
    pub bind_host: Option<String>,
    /// udp bind service.
    pub bind_service: Option<String>,
    /// tcp/unix: listening (`,server`).
    pub listen: bool,
    /// tcp: the telnet protocol rather than raw.
    pub telnet: bool,
}

fn malformed() -> Error {
    Error::with(
        VIR_FROM_SEXPR,
        VIR_ERR_INTERNAL_ERROR,
        "malformed char device string",
    )
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

/// Reads `value`; a pty gets `tty` as its path.
pub fn parse(value: &str, tty: Option<&str>) -> Result<ChrSpec> {
    let mut chr = ChrSpec::default();
    if value.starts_with('/') {
        chr.kind = "dev".into();
        chr.path = Some(value.into());
        return Ok(chr);
    }
    let (prefix, rest) = value.split_once(':').unwrap_or((value, value));
    if prefix.starts_with("telnet") {
        chr.kind = "tcp".into();
        chr.telnet = true;
    } else if known_type(prefix) {
        chr.kind = prefix.into();
    } else {
        return Err(Error::with(
            VIR_FROM_SEXPR,
            VIR_ERR_INTERNAL_ERROR,
            format!("unknown chr device type '{prefix}'"),
        ));
    }
    match chr.kind.as_str() {
        "pty" => chr.path = tty.map(str::to_string),
        "file" | "pipe" => chr.path = Some(rest.into()),
        "tcp" => {
            let (host, after) = rest.split_once(':').ok_or_else(malformed)?;
            chr.host = non_empty(host);
            let (service, options) = match after.find(',') {
                Some(i) => (&after[..i], &after[i..]),
                None => (after, ""),
            };
            chr.service = Some(service.into());
            chr.listen = options.contains(",server");
        }
        "udp" => {
            let (host, after) = rest.split_once(':').ok_or_else(malformed)?;
            chr.host = non_empty(host);
            match after.split_once('@') {
                Some((service, bind)) => {
                    chr.service = Some(service.into());
                    let (bind_host, bind_service) = bind.split_once(':').ok_or_else(malformed)?;
                    chr.bind_host = non_empty(bind_host);
                    chr.bind_service = Some(bind_service.into());
                }
                None => chr.service = Some(after.into()),
            }
        }
        "unix" => {
            let (path, options) = match rest.find(',') {
                Some(i) => (&rest[..i], &rest[i..]),
                None => (rest, ""),
            };
            chr.path = Some(path.into());
            chr.listen = options.contains(",server");
        }
        _ => {}
    }
    Ok(chr)
}

/// Writes a character device of the model in the one-string notation.
pub fn format(chr: &Chardev, out: &mut String) -> Result<()> {
    let s = &chr.source;
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    match s.kind.as_str() {
        "null" | "stdio" | "vc" | "pty" => out.push_str(&s.kind),
        "file" | "pipe" => {
            out.push_str(&s.kind);
            out.push(':');
            super::super::sexpr::escape_into(out, &opt(&s.path));
        }
        "dev" => super::super::sexpr::escape_into(out, &opt(&s.path)),
        "tcp" => {
            let telnet = s.protocol.as_deref().is_some_and(|p| p != "raw");
            out.push_str(if telnet { "telnet" } else { "tcp" });
            out.push(':');
            out.push_str(&opt(&s.host));
            out.push(':');
            out.push_str(&opt(&s.service));
            if s.mode.as_deref() == Some("bind") {
                out.push_str(",server,nowait");
            }
        }
        "udp" => {
            out.push_str(&format!(
                "udp:{}:{}@{}:{}",
                opt(&s.host),
                opt(&s.service),
                opt(&s.bind_host),
                opt(&s.bind_service)
            ));
        }
        "unix" => {
            out.push_str("unix:");
            super::super::sexpr::escape_into(out, &opt(&s.path));
            if s.mode.as_deref() == Some("bind") {
                out.push_str(",server,nowait");
            }
        }
        other => {
            return Err(Error::with(
                VIR_FROM_SEXPR,
                VIR_ERR_CONFIG_UNSUPPORTED,
                format!("unsupported chr device type '{other}'"),
            ))
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_notations() {
        let c = parse("telnet:localhost:9999,server,nowait", None).unwrap();
        assert_eq!((c.kind.as_str(), c.telnet, c.listen), ("tcp", true, true));
        assert_eq!(
            (c.host.as_deref(), c.service.as_deref()),
            (Some("localhost"), Some("9999"))
        );
        let c = parse("udp:localhost:9998@localhost:9999", None).unwrap();
        assert_eq!(c.service.as_deref(), Some("9998"));
        assert_eq!(c.bind_service.as_deref(), Some("9999"));
        let c = parse("unix:/tmp/s,server,nowait", None).unwrap();
        assert_eq!((c.path.as_deref(), c.listen), (Some("/tmp/s"), true));
        assert_eq!(
            parse("pty", Some("/dev/pts/3")).unwrap().path.as_deref(),
            Some("/dev/pts/3")
        );
        assert_eq!(parse("/dev/ttyS1", None).unwrap().kind, "dev");
        assert!(parse("bogus:x", None)
            .unwrap_err()
            .message
            .contains("unknown chr device type 'bogus'"));
        assert!(parse("tcp:nocolon", None)
            .unwrap_err()
            .message
            .contains("malformed char device string"));
        assert!(parse("udp:h:1@nocolon", None).is_err());
    }
}
