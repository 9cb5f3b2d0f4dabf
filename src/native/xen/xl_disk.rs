//! xl disk specifications (Xen's docs/misc/xl-disk-configuration): a
//! comma-separated mix of `key=value` settings, flags and the positional
//! parameters target, format, vdev, access.

use super::common::{esc, syntax, unsupported};
use crate::abi::*;
use crate::error::Result;
use crate::xml::dom::Element;

/// A disk specification's settings.
#[derive(Debug, Default, PartialEq)]
pub struct Spec {
    /// The image or device (`None` or empty: no media).
    pub target: Option<String>,
    /// `raw`, `qcow`, `qcow2`, `vhd`, `qed`, `empty` (`None`: unknown).
    pub format: Option<String>,
    /// The guest device.
    pub vdev: String,
    /// Read-only access.
    pub readonly: bool,
    /// A CD-ROM drive.
    pub cdrom: bool,
    /// `phy`, `tap`, `qdisk` (`None`: unknown).
    pub backend: Option<String>,
}

fn bad(spec: &str, why: &str) -> crate::error::Error {
    syntax(VIR_FROM_XENXL, format!("disk spec '{spec}' is invalid: {why}"))
}

/// Parses one disk specification.
pub fn parse_spec(spec: &str) -> Result<Spec> {
    let mut s = Spec::default();
    let (mut have_target, mut have_format, mut have_vdev, mut have_access) = (false, false, false, false);
    let mut rest = spec;
    loop {
        let token_start = rest.trim_start_matches([' ', '\t', '\n']);
        // `target=` takes the whole rest of the specification.
        if let Some(t) = token_start.strip_prefix("target=") {
            s.target = Some(t.to_string());
            break;
        }
        let (token, next) = match token_start.find(',') {
            Some(i) => (&token_start[..i], Some(&token_start[i + 1..])),
            None => (token_start, None),
        };
        let set = |flag: &mut bool, name: &str| -> Result<()> {
            if *flag {
                return Err(bad(spec, &format!("{name} specified twice")));
            }
            *flag = true;
            Ok(())
        };
        match token.split_once('=') {
            Some(("format", v)) => {
                set(&mut have_format, "format")?;
                s.format = format_value(spec, v)?;
            }
            Some(("vdev", v)) => {
                set(&mut have_vdev, "vdev")?;
                vdev_value(&mut s, v);
            }
            Some(("access", v)) => {
                set(&mut have_access, "access")?;
                s.readonly = access_value(spec, v)?;
            }
            Some(("devtype", v)) => match v {
                "cdrom" => s.cdrom = true,
                "disk" | "" => {}
                _ => return Err(bad(spec, &format!("unknown devtype '{v}'"))),
            },
            Some(("backendtype", v)) => match v {
                "phy" | "tap" | "qdisk" => s.backend = Some(v.to_string()),
                "" => {}
                _ => {
                    return Err(unsupported(
                        VIR_FROM_XENXL,
                        format!("disk backend not supported: {v}"),
                    ))
                }
            },
            // Settings libvirt has no use for.
            Some(_) => {}
            None => match token {
                "cdrom" => s.cdrom = true,
                "" if next.is_none() => {}
                "direct-io-safe" | "discard" | "no-discard" | "trusted" | "untrusted" | "colo" => {}
                _ => {
                    if !have_target {
                        have_target = true;
                        s.target = Some(token.to_string());
                    } else if !have_format {
                        have_format = true;
                        s.format = format_value(spec, token)?;
                    } else if !have_vdev {
                        have_vdev = true;
                        vdev_value(&mut s, token);
                    } else if !have_access {
                        have_access = true;
                        s.readonly = access_value(spec, token)?;
                    } else {
                        return Err(bad(spec, &format!("unexpected parameter '{token}'")));
                    }
                }
            },
        }
        match next {
            Some(n) => rest = n,
            None => break,
        }
    }
    if s.vdev.is_empty() {
        return Err(bad(spec, "no vdev specified"));
    }
    Ok(s)
}

fn vdev_value(s: &mut Spec, v: &str) {
    // The deprecated `hdc:cdrom` form.
    match v.split_once(':') {
        Some((dev, "cdrom")) => {
            s.vdev = dev.to_string();
            s.cdrom = true;
        }
        _ => s.vdev = v.to_string(),
    }
}

fn format_value(spec: &str, v: &str) -> Result<Option<String>> {
    match v {
        "" => Ok(None),
        "raw" | "qcow" | "qcow2" | "vhd" | "qed" | "empty" => Ok(Some(v.to_string())),
        _ => Err(bad(spec, &format!("unknown format '{v}'"))),
    }
}

fn access_value(spec: &str, v: &str) -> Result<bool> {
    match v {
        "r" | "ro" => Ok(true),
        "w" | "rw" | "" => Ok(false),
        _ => Err(bad(spec, &format!("invalid access mode '{v}'"))),
    }
}

/// The `<disk>` XML of a specification; `hvm` chooses the bus of emulated
/// devices.
pub fn to_xml(spec: &Spec, hvm: bool) -> String {
    let path = spec.target.as_deref().filter(|t| !t.is_empty());
    let (kind, driver, format) = if spec.cdrom {
        ("file", "qemu", path.map(|_| "raw"))
    } else {
        let format = match spec.format.as_deref() {
            Some("empty") => None,
            Some(f) => Some(f),
            None => Some("raw"),
        };
        match spec.backend.as_deref() {
            Some("tap") => ("file", "tap", format),
            Some("phy") => ("block", "phy", format),
            _ => ("file", "qemu", format),
        }
    };
    let bus = if spec.vdev.starts_with("xvd") || !hvm {
        "xen"
    } else if spec.vdev.starts_with("sd") {
        "scsi"
    } else {
        "ide"
    };
    let mut x = format!(
        "<disk type='{kind}' device='{}'><driver name='{driver}'",
        if spec.cdrom { "cdrom" } else { "disk" }
    );
    if let Some(f) = format {
        x.push_str(&format!(" type='{f}'"));
    }
    x.push_str("/>");
    let attr = if kind == "block" { "dev" } else { "file" };
    match path {
        Some(p) => x.push_str(&format!("<source {attr}='{}'/>", esc(p))),
        None => x.push_str("<source/>"),
    }
    x.push_str(&format!("<target dev='{}' bus='{bus}'/>", esc(&spec.vdev)));
    if spec.readonly {
        x.push_str("<readonly/>");
    }
    x.push_str("</disk>");
    x
}

/// The xl specification of a `<disk>` element.
pub fn format(disk: &Element) -> Result<String> {
    let driver = disk.child("driver");
    let format = match driver.and_then(|d| d.attr("type")) {
        Some("vhd") => "xvhd",
        Some(f @ ("qcow" | "qcow2" | "qed")) => f,
        _ => "raw",
    };
    let mut s = format!(
        "format={format},vdev={}",
        disk.child("target").and_then(|t| t.attr("dev")).unwrap_or("")
    );
    s.push_str(if disk.child("readonly").is_some() {
        ",access=ro"
    } else if disk.child("shareable").is_some() {
        ",access=!"
    } else {
        ",access=rw"
    });
    if disk.child("transient").is_some() {
        return Err(unsupported(VIR_FROM_XENXL, "transient disks not supported yet"));
    }
    if let Some(name) = driver.and_then(|d| d.attr("name")) {
        s.push_str(",backendtype=");
        s.push_str(match name {
            "qemu" | "file" => "qdisk",
            "tap" => "tap",
            "phy" => "phy",
            _ => "",
        });
    }
    if disk.attr("device") == Some("cdrom") {
        s.push_str(",devtype=cdrom");
    }
    let source = disk.child("source");
    let path = match disk.attr("type") {
        Some("file") => source.and_then(|s| s.attr("file")),
        Some("block") => source.and_then(|s| s.attr("dev")),
        Some("dir") => source.and_then(|s| s.attr("dir")),
        Some("network") => {
            return Err(unsupported(
                VIR_FROM_XENXL,
                "network disks are not supported by xen-xl",
            ))
        }
        _ => None,
    };
    if let Some(p) = path {
        s.push_str(&format!(",target={p}"));
    }
    Ok(s)
}
