//! `xen-xm`: the xm tool's config files.

use super::common::{self, canonical, esc, unsupported, Cfg, Dialect, DomainXml, Out};
use super::format::{self as fmt, Dom};
use super::parse;
use crate::abi::*;
use crate::domain::DomainDef;
use crate::error::Result;

/// Parses a xm config file into a `xen` domain definition.
pub fn parse(config: &str) -> Result<DomainDef> {
    let conf = common::read_conf(config)?;
    let c = Cfg { conf: &conf };
    let mut d = parse::common(&c, Dialect::Xm)?;
    os(&c, &mut d)?;
    for entry in c.string_list("disk")?.unwrap_or_default() {
        // libvirt skips entries it cannot make sense of.
        if let Some(disk) = disk(&entry, d.hvm())? {
            d.devices.push(disk);
        }
    }
    if d.hvm() {
        if let Some(dev) = c.string("usbdevice")? {
            if matches!(dev.as_str(), "tablet" | "mouse" | "keyboard") {
                d.devices.push(format!("<input type='{dev}' bus='usb'/>"));
            }
        }
    }
    d.finish()
}

fn os(c: &Cfg, d: &mut DomainXml) -> Result<()> {
    if d.hvm() {
        let loader = c.required("kernel")?;
        d.loader = Some(format!("<loader type='rom'>{}</loader>", esc(&loader)));
        let boot = c.string("boot")?.unwrap_or_else(|| "c".to_string());
        d.boot = parse::boot_devices(&boot);
    } else {
        d.bootloader = c.string("bootloader")?;
        d.bootloader_args = c.string("bootargs")?;
        d.kernel = c.string("kernel")?;
        d.initrd = c.string("ramdisk")?;
        let extra = c.string("extra")?;
        let root = c.string("root")?;
        d.cmdline = parse::root_extra(root, extra);
    }
    Ok(())
}

/// The `<disk>` XML of an xm disk entry (`SOURCE,TARGET[:cdrom],MODE`), or
/// `None` for an entry libvirt skips.
fn disk(entry: &str, hvm: bool) -> Result<Option<String>> {
    let Some((src, rest)) = entry.split_once(',') else {
        return Ok(None);
    };
    let rest = rest.strip_prefix("ioemu:").unwrap_or(rest);
    let Some((target, mode)) = rest.split_once(',') else {
        return Ok(None);
    };
    let mut driver = None;
    let mut format = None;
    let mut path = (!src.is_empty()).then(|| src.to_string());
    if let Some(p) = path.clone() {
        let mut p = p.as_str();
        if let Some((drv, tail)) = p.split_once(':') {
            driver = Some(drv.to_string());
            p = tail;
        }
        if matches!(driver.as_deref(), Some("tap" | "tap2")) {
            let Some((sub, tail)) = p.split_once(':') else {
                return Ok(None);
            };
            format = Some(match sub {
                "aio" => "raw".to_string(),
                f if crate::domain::devices::disk::FORMATS.contains(&f) && f != "none" => f.to_string(),
                // libvirt reports the driver type and skips the disk.
                _ => return Ok(None),
            });
            p = tail;
        }
        path = Some(p.to_string());
    }
    let driver = driver.unwrap_or_else(|| "phy".to_string());
    let kind = if driver == "phy" { "block" } else { "file" };
    let (dst, device) = match target.split_once(':') {
        Some((t, suffix)) => (t, if suffix == "cdrom" { "cdrom" } else { "disk" }),
        None => (target, "disk"),
    };
    let bus = if dst.starts_with("xvd") || !hvm {
        "xen"
    } else if dst.starts_with("sd") {
        "scsi"
    } else {
        "ide"
    };
    let mut x = format!(
        "<disk type='{kind}' device='{device}'><driver name='{}'",
        esc(&driver)
    );
    // libxl's post-parse makes images of unknown format raw.
    let format = format.unwrap_or_else(|| "raw".to_string());
    x.push_str(&format!(" type='{format}'/>"));
    let attr = if kind == "block" { "dev" } else { "file" };
    match &path {
        Some(p) => x.push_str(&format!("<source {attr}='{}'/>", esc(p))),
        // An empty <source/> keeps the disk's type (the XML parser makes a
        // disk without any source a file disk; libvirt's converter does not).
        None => x.push_str("<source/>"),
    }
    x.push_str(&format!("<target dev='{}' bus='{bus}'/>", esc(dst)));
    match mode {
        "r" | "ro" => x.push_str("<readonly/>"),
        "w!" | "!" => x.push_str("<shareable/>"),
        _ => {}
    }
    x.push_str("</disk>");
    Ok(Some(x))
}

/// Formats a definition as a xm config file.
pub fn format(def: &DomainDef) -> Result<String> {
    let root = canonical(def)?;
    let d = Dom { root: &root };
    let mut out = Out::new();
    fmt::common(&d, &mut out, Dialect::Xm)?;
    if d.hvm() {
        out.str("builder", "hvm");
        if let Some(l) = d.os_text("loader") {
            out.str("kernel", l);
        }
        out.str("boot", fmt::boot_string(&d));
    } else {
        for (key, el) in [("bootloader", "bootloader"), ("bootargs", "bootloader_args")] {
            if let Some(v) = d.text(el) {
                out.str(key, v);
            }
        }
        for (key, el) in [("kernel", "kernel"), ("ramdisk", "initrd"), ("extra", "cmdline")] {
            if let Some(v) = d.os_text(el) {
                out.str(key, v);
            }
        }
    }
    let mut disks = Vec::new();
    for disk in d.devices("disk") {
        if disk.attr("device") == Some("floppy") {
            continue;
        }
        disks.push(format_disk(disk)?);
    }
    out.list("disk", disks);
    if d.hvm() {
        if let Some(first) = fmt::usb_inputs(&d).first() {
            out.int("usb", 1);
            out.str("usbdevice", first.clone());
        }
    }
    Ok(out.text())
}

fn format_disk(disk: &crate::xml::dom::Element) -> Result<String> {
    let source = disk
        .child("source")
        .and_then(|s| s.attr("file").or(s.attr("dev")));
    let driver = disk.child("driver");
    let name = driver.and_then(|d| d.attr("name"));
    let format = driver.and_then(|d| d.attr("type"));
    let mut s = String::new();
    if let Some(src) = source {
        match format {
            Some(f) => {
                if let Some(n) = name {
                    s.push_str(&format!("{n}:"));
                    if n == "tap" || n == "tap2" {
                        let sub = if f == "raw" { "aio" } else { f };
                        s.push_str(&format!("{sub}:"));
                    }
                }
            }
            None => match disk.attr("type") {
                Some("file") => s.push_str("file:"),
                Some("block") => s.push_str("phy:"),
                other => {
                    return Err(crate::error::Error::internal(
                        VIR_FROM_XENXM,
                        format!("unsupported disk type {}", other.unwrap_or("")),
                    ))
                }
            },
        }
        s.push_str(src);
    }
    s.push(',');
    s.push_str(disk.child("target").and_then(|t| t.attr("dev")).unwrap_or(""));
    if disk.attr("device") == Some("cdrom") {
        s.push_str(":cdrom");
    }
    if disk.child("readonly").is_some() {
        s.push_str(",r");
    } else if disk.child("shareable").is_some() {
        s.push_str(",!");
    } else {
        s.push_str(",w");
    }
    if disk.child("transient").is_some() {
        return Err(unsupported(VIR_FROM_XENXM, "transient disks not supported yet"));
    }
    Ok(s)
}
