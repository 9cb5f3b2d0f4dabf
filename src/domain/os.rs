//! `<os>`, `<bootloader>` and `<bootloader_args>`.

use std::collections::BTreeMap;

use super::util::*;
use crate::error::Result;
use crate::xml::dom::Element;
use crate::xml::Writer;

/// Guest OS types libvirt knows.
pub const OS_TYPES: &[&str] = &["hvm", "xen", "linux", "exe", "uml", "xenpvh"];

/// libvirt's architecture names.
pub const ARCHES: &[&str] = &[
    "none",
    "alpha",
    "armv6l",
    "armv7l",
    "armv7b",
    "aarch64",
    "cris",
    "i686",
    "ia64",
    "lm32",
    "loongarch64",
    "m68k",
    "microblaze",
    "microblazeel",
    "mips",
    "mipsel",
    "mips64",
    "mips64el",
    "openrisc",
    "parisc",
    "parisc64",
    "ppc",
    "ppcle",
    "ppc64",
    "ppc64le",
    "ppcemb",
    "riscv32",
    "riscv64",
    "s390",
    "s390x",
    "sh4",
    "sh4eb",
    "sparc",
    "sparc64",
    "unicore32",
    "x86_64",
    "xtensa",
    "xtensaeb",
];

const FIRMWARE_FEATURES: &[&str] = &["enrolled-keys", "secure-boot"];

/// `<loader>`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Loader {
    /// The firmware path (text).
    pub path: Option<String>,
    /// `readonly` yes/no.
    pub readonly: Option<bool>,
    /// `secure` yes/no.
    pub secure: Option<bool>,
    /// `type` (rom/pflash).
    pub kind: Option<String>,
    /// `stateless` yes/no.
    pub stateless: Option<bool>,
}

/// `<nvram>`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Nvram {
    /// `template` attribute.
    pub template: Option<String>,
    /// The path (text) of a local file.
    pub path: Option<String>,
    /// `type` (file/block/network) when given with a `<source>`.
    pub kind: Option<String>,
    /// `<source>` attributes in document order.
    pub source: Vec<(String, String)>,
}

/// `<os>`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Os {
    /// `hvm`, `xen`, `linux`, `exe`, `uml`, `xenpvh`.
    pub os_type: String,
    /// `arch` attribute.
    pub arch: Option<String>,
    /// `machine` attribute.
    pub machine: Option<String>,
    /// `<boot dev=...>` in order.
    pub boot: Vec<String>,
    /// `<os firmware=...>` (efi/bios).
    pub firmware: Option<String>,
    /// `<firmware><feature>` by index: enabled.
    pub firmware_features: BTreeMap<usize, bool>,
    /// `<loader>`.
    pub loader: Option<Loader>,
    /// `<nvram>`.
    pub nvram: Option<Nvram>,
    /// `<kernel>`.
    pub kernel: Option<String>,
    /// `<initrd>`.
    pub initrd: Option<String>,
    /// `<cmdline>`.
    pub cmdline: Option<String>,
    /// `<dtb>`.
    pub dtb: Option<String>,
    /// `<root>`.
    pub root: Option<String>,
    /// `<init>` (os type exe).
    pub init: Option<String>,
    /// `<initarg>`s.
    pub initargs: Vec<String>,
    /// `<initenv name=...>`s.
    pub initenv: Vec<(String, String)>,
    /// `<initdir>`.
    pub initdir: Option<String>,
    /// `<inituser>`.
    pub inituser: Option<String>,
    /// `<initgroup>`.
    pub initgroup: Option<String>,
    /// `<acpi><table type=...>`: (type, path).
    pub acpi_table: Option<(String, String)>,
    /// `<bootmenu enable timeout>`.
    pub bootmenu: Option<(bool, Option<u32>)>,
    /// `<bios useserial>`.
    pub bios_useserial: Option<bool>,
    /// `<bios rebootTimeout>`.
    pub bios_reboot_timeout: Option<i32>,
    /// `<smbios mode>`.
    pub smbios: Option<String>,
}

fn text_of(os: &Element, name: &str) -> Option<String> {
    child_text_nonempty(os, name)
}

/// Reads the `<os>` element's contents that depend on the OS type (the type
/// itself, arch and machine are read by the caller).
pub fn parse_body(os_el: &Element, os: &mut Os, has_bootloader: bool) -> Result<()> {
    let t = os.os_type.as_str();
    if matches!(t, "hvm" | "xen" | "xenpvh" | "uml") {
        os.kernel = text_of(os_el, "kernel");
        os.initrd = text_of(os_el, "initrd");
        os.cmdline = text_of(os_el, "cmdline");
        os.dtb = text_of(os_el, "dtb");
        os.root = text_of(os_el, "root");
    }
    if t == "hvm" {
        os.firmware = match os_el.attr("firmware").filter(|f| !f.is_empty()) {
            None => None,
            Some(f @ ("efi" | "bios")) => Some(f.to_string()),
            Some(f) => return Err(xml_error(format!("unknown firmware value {f}"))),
        };
        if os.firmware.is_some() {
            if let Some(fw) = os_el.child("firmware") {
                for f in fw.children_named("feature") {
                    let enabled = prop_yes_no(f, "enabled", true)?.unwrap_or(false);
                    let name = prop_enum(f, "name", FIRMWARE_FEATURES, true)?.unwrap_or(0);
                    os.firmware_features.insert(name, enabled);
                }
            }
        }
    }
    if matches!(t, "hvm" | "xen" | "xenpvh" | "uml") {
        let loader_el = os_el.child("loader");
        let nvram_el = os_el.child("nvram");
        if let Some(l) = loader_el {
            let readonly = prop_yes_no(l, "readonly", false)?;
            let secure = prop_yes_no(l, "secure", false)?;
            let mut kind = prop_enum_str(l, "type", &["rom", "pflash"], false)?.map(str::to_string);
            let stateless = prop_yes_no(l, "stateless", false)?;
            let path = Some(l.text()).filter(|p| !p.is_empty());
            if path.is_some() && kind.is_none() {
                kind = Some("rom".into());
            }
            os.loader = Some(Loader {
                path,
                readonly,
                secure,
                kind,
                stateless,
            });
        }
        if let Some(n) = nvram_el {
            let kind = prop_enum_str(
                n,
                "type",
                &[
                    "file",
                    "block",
                    "dir",
                    "network",
                    "volume",
                    "nvme",
                    "vhostuser",
                    "vhostvdpa",
                ],
                false,
            )?;
            let template = n.attr("template").map(str::to_string);
            let mut nv = Nvram {
                template,
                ..Default::default()
            };
            match kind {
                Some(k) => {
                    let src = n.child("source").ok_or_else(crate::error::Error::unknown_cause)?;
                    nv.kind = Some(k.to_string());
                    nv.source = src.attrs.clone();
                }
                None => nv.path = Some(n.text()).filter(|p| !p.is_empty()),
            }
            if nv.template.is_some() || nv.path.is_some() || nv.kind.is_some() {
                os.nvram = Some(nv);
            }
            if os.loader.is_none() {
                os.loader = Some(Loader::default());
            }
        }
    }
    if t == "hvm" {
        if let Some(acpi) = os_el.child("acpi") {
            let tables: Vec<&Element> = acpi.children_named("table").collect();
            if tables.len() > 1 {
                return Err(xml_error("Only one acpi table is supported"));
            }
            if let Some(tb) = tables.first() {
                let ty = tb
                    .attr("type")
                    .ok_or_else(|| xml_error("Missing acpi table type"))?;
                if ty != "slic" {
                    return Err(xml_error(format!("Unknown acpi table type: {ty}")));
                }
                os.acpi_table = Some((ty.to_string(), tb.text()));
            }
        }
        if !has_bootloader {
            for b in os_el.children_named("boot").take(4) {
                let dev =
                    prop_enum_str(b, "dev", &["fd", "cdrom", "hd", "network"], true)?.unwrap_or_default();
                os.boot.push(dev.to_string());
            }
            if let Some(bm) = os_el.child("bootmenu") {
                if let Some(enable) = prop_yes_no(bm, "enable", false)? {
                    let mut timeout = None;
                    if enable {
                        timeout = prop_u32(bm, "timeout", false, false)?;
                        if timeout.is_some_and(|t| t > 65535) {
                            return Err(unsupported(
                                "invalid value for boot menu timeout, must be in range [0,65535]",
                            ));
                        }
                    }
                    os.bootmenu = Some((enable, timeout));
                }
            }
            if let Some(b) = os_el.child("bios") {
                if let Some(u) = b.attr("useserial") {
                    os.bios_useserial = Some(u == "yes");
                }
                if let Some(rt) = prop_i32(b, "rebootTimeout", false)? {
                    if !(-1..=65535).contains(&rt) {
                        return Err(unsupported(
                            "invalid value for rebootTimeout, must be in range [-1,65535]",
                        ));
                    }
                    os.bios_reboot_timeout = Some(rt);
                }
            }
        }
    }
    if t == "exe" {
        os.init = text_of(os_el, "init");
        for a in os_el.children_named("initarg") {
            let v = a.text();
            if v.is_empty() {
                return Err(xml_error("No data supplied for <initarg> element"));
            }
            os.initargs.push(v);
        }
        for e in os_el.children_named("initenv") {
            let name = e
                .attr("name")
                .ok_or_else(|| xml_error("No name supplied for <initenv> element"))?;
            let v = e.text();
            if v.is_empty() {
                return Err(xml_error(format!(
                    "No value supplied for <initenv name='{name}'> element"
                )));
            }
            os.initenv.push((name.to_string(), v));
        }
        os.initdir = text_of(os_el, "initdir");
        os.inituser = text_of(os_el, "inituser");
        os.initgroup = text_of(os_el, "initgroup");
    }
    if let Some(mode) = os_el
        .child("smbios")
        .and_then(|s| s.attr("mode"))
        .filter(|m| !m.is_empty())
    {
        if !matches!(mode, "emulate" | "host" | "sysinfo") {
            return Err(unsupported(format!("unknown smbios mode '{mode}'")));
        }
        os.smbios = Some(mode.to_string());
    }
    Ok(())
}

/// libvirt's firmware/loader consistency checks.
pub fn validate(os: &Os) -> Result<()> {
    if let Some(l) = &os.loader {
        if l.stateless == Some(true) && os.nvram.is_some() {
            return Err(detail_error("NVRAM is not permitted when loader is stateless"));
        }
        if l.stateless == Some(false) && l.kind.as_deref() == Some("rom") {
            return Err(detail_error("Only pflash loader type permits NVRAM"));
        }
    }
    if let Some(fw) = &os.firmware {
        if os.firmware_features.get(&0) == Some(&true) && os.firmware_features.get(&1) == Some(&false) {
            return Err(detail_error(
                "firmware feature 'enrolled-keys' cannot be enabled when firmware feature 'secure-boot' is disabled",
            ));
        }
        let Some(l) = &os.loader else {
            return Ok(());
        };
        if os.nvram.is_some() && fw != "efi" {
            return Err(detail_error(format!(
                "firmware type '{fw}' does not support nvram"
            )));
        }
        let cannot = |what: &str| {
            detail_error(format!(
                "loader attribute '{what}' cannot be specified when firmware autoselection is enabled"
            ))
        };
        if l.readonly.is_some() {
            return Err(cannot("readonly"));
        }
        if l.kind.is_some() {
            return Err(cannot("type"));
        }
        if l.secure.is_some() && os.firmware_features.is_empty() {
            if let Some(false) = l.secure {
                return Err(cannot("secure"));
            }
        }
        if l.path.is_some() {
            return Err(cannot("path"));
        }
        if os.nvram.as_ref().is_some_and(|n| n.template.is_some()) {
            return Err(detail_error(
                "nvram attribute 'template' cannot be specified when firmware autoselection is enabled",
            ));
        }
    } else if let Some(l) = &os.loader {
        if l.path.is_none() {
            return Err(detail_error(
                "no loader path specified and firmware auto selection disabled",
            ));
        }
    }
    Ok(())
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

/// Writes `<os>`; `type_text` is the OS type as libvirt prints it.
pub fn format(os: &Os, type_text: &str, has_bootloader: bool, w: &mut Writer) {
    match &os.firmware {
        Some(f) => w.open("os", &[("firmware", f)]),
        None => w.open("os", &[]),
    }
    let mut ta = Vec::new();
    if let Some(a) = &os.arch {
        ta.push(("arch", a.as_str()));
    }
    if let Some(m) = &os.machine {
        ta.push(("machine", m.as_str()));
    }
    w.text("type", &ta, type_text);
    if !os.firmware_features.is_empty() {
        w.open("firmware", &[]);
        for (i, en) in &os.firmware_features {
            w.empty(
                "feature",
                &[("enabled", yes_no(*en)), ("name", FIRMWARE_FEATURES[*i])],
            );
        }
        w.close("firmware");
    }
    if let Some(i) = &os.init {
        w.text("init", &[], i);
    }
    for a in &os.initargs {
        w.text("initarg", &[], a);
    }
    for (k, v) in &os.initenv {
        w.text("initenv", &[("name", k)], v);
    }
    for (n, v) in [
        ("initdir", &os.initdir),
        ("inituser", &os.inituser),
        ("initgroup", &os.initgroup),
    ] {
        if let Some(v) = v {
            w.text(n, &[], v);
        }
    }
    if let Some(l) = &os.loader {
        let mut a = Vec::new();
        if let Some(r) = l.readonly {
            a.push(("readonly", yes_no(r)));
        }
        if let Some(s) = l.secure {
            a.push(("secure", yes_no(s)));
        }
        if let Some(k) = &l.kind {
            a.push(("type", k.as_str()));
        }
        if let Some(s) = l.stateless {
            a.push(("stateless", yes_no(s)));
        }
        match &l.path {
            Some(p) => w.text("loader", &a, p),
            None if !a.is_empty() => w.empty("loader", &a),
            None => {}
        }
    }
    if let Some(n) = &os.nvram {
        let mut a = Vec::new();
        if let Some(k) = &n.kind {
            a.push(("type", k.as_str()));
        }
        if let Some(t) = &n.template {
            a.push(("template", t.as_str()));
        }
        if n.kind.is_some() {
            w.open("nvram", &a);
            let sa: Vec<(&str, &str)> = n.source.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            w.empty("source", &sa);
            w.close("nvram");
        } else {
            match &n.path {
                Some(p) => w.text("nvram", &a, p),
                None => w.empty("nvram", &a),
            }
        }
    }
    for (n, v) in [
        ("kernel", &os.kernel),
        ("initrd", &os.initrd),
        ("cmdline", &os.cmdline),
        ("dtb", &os.dtb),
        ("root", &os.root),
    ] {
        if let Some(v) = v {
            w.text(n, &[], v);
        }
    }
    if let Some((t, p)) = &os.acpi_table {
        w.open("acpi", &[]);
        w.text("table", &[("type", t)], p);
        w.close("acpi");
    }
    if !has_bootloader {
        for b in &os.boot {
            w.empty("boot", &[("dev", b)]);
        }
        if let Some((enable, timeout)) = os.bootmenu {
            let t = timeout.map(|t| t.to_string());
            let mut a = vec![("enable", yes_no(enable))];
            if let Some(t) = &t {
                a.push(("timeout", t));
            }
            w.empty("bootmenu", &a);
        }
        let rt = os.bios_reboot_timeout.map(|r| r.to_string());
        if os.bios_useserial.is_some() || rt.is_some() {
            let mut a = Vec::new();
            if let Some(u) = os.bios_useserial {
                a.push(("useserial", yes_no(u)));
            }
            if let Some(r) = &rt {
                a.push(("rebootTimeout", r.as_str()));
            }
            w.empty("bios", &a);
        }
    }
    if let Some(s) = &os.smbios {
        w.empty("smbios", &[("mode", s)]);
    }
    w.close("os");
}
