//! Reading the settings xm and xl files share into a [`DomainXml`].

use super::chardev;
use super::common::{esc, internal, syntax, unsupported, Cfg, Dialect, DomainXml};
use super::vif;
use crate::abi::*;
use crate::domain::Uuid;
use crate::error::Result;

const LIFECYCLE: &[&str] = &[
    "destroy",
    "restart",
    "rename-restart",
    "preserve",
    "coredump-destroy",
    "coredump-restart",
];

const SOUND_MODELS: &[&str] = &["sb16", "es1370", "pcspk", "ac97", "ich6", "ich9", "usb", "ich7"];

/// Reads everything the two formats share, in libvirt's order (so the first
/// error reported is the one libvirt reports).
pub fn common(c: &Cfg, dialect: Dialect) -> Result<DomainXml> {
    let mut d = DomainXml {
        name: c.required("name")?,
        ..Default::default()
    };
    if let Some(u) = c.string("uuid")? {
        if Uuid::parse(&u).is_none() {
            return Err(syntax(VIR_FROM_XEN, format!("{u} not parseable")));
        }
        d.uuid = Some(u);
    }
    d.os_type = "xen";
    match c.string("type")? {
        Some(t) => {
            d.os_type = match t.as_str() {
                "pv" => "xen",
                "pvh" => "xenpvh",
                "hvm" => "hvm",
                _ => return Err(unsupported(VIR_FROM_XEN, format!("type {t} is not supported"))),
            }
        }
        None => {
            if c.string("builder")?.as_deref() == Some("hvm") {
                d.os_type = "hvm";
            }
        }
    }

    // Memory, in MiB in the file.
    let current = c.ulong("memory", super::common::default_memory_mib())?;
    let total = c.ulong("maxmem", current)?;
    let kib = |mib: u64, name: &str| {
        mib.checked_mul(1024)
            .ok_or_else(|| internal(format!("config value {name} was malformed")))
    };
    d.current_kib = kib(current, "memory")?;
    d.memory_kib = kib(total, "maxmem")?;

    for (key, default, slot) in [
        ("on_poweroff", "destroy", 0),
        ("on_reboot", "restart", 1),
        ("on_crash", "restart", 2),
    ] {
        let v = c.string(key)?.unwrap_or_else(|| default.to_string());
        if !LIFECYCLE.contains(&v.as_str()) {
            return Err(internal(format!("unexpected value {v} for {key}")));
        }
        match slot {
            0 => d.on_poweroff = v,
            1 => d.on_reboot = v,
            _ => d.on_crash = v,
        }
    }

    // vCPUs.
    let vcpus = c.ulong("vcpus", 1)?;
    d.vcpus = vcpus;
    d.max_vcpus = vcpus;
    if c.conf.get("maxvcpus").is_some() {
        d.max_vcpus = c.ulong("maxvcpus", 0)?;
    }
    if d.max_vcpus == 0 {
        return Err(crate::error::Error::with(
            VIR_FROM_DOMAIN,
            VIR_ERR_INVALID_ARG,
            "At least one vCPU is required",
        ));
    }
    d.cpuset = c.string("cpus")?;

    features(c, &mut d)?;
    time_offset(c, &mut d)?;
    d.emulator = c.string("device_model_override")?;

    let typename = match dialect {
        Dialect::Xl => "vif",
        Dialect::Xm => "netfront",
    };
    for entry in c.list_strings("vif") {
        d.devices.push(vif::parse(&entry, typename)?);
    }
    if let Some(list) = c.string_list("pci")? {
        for entry in list {
            d.devices.push(vif::parse_pci(&entry)?);
        }
    }
    if d.hvm() {
        if let Some(s) = c.string("soundhw")? {
            sounds(&s, &mut d)?;
        }
    }
    vfb(c, &mut d)?;
    chardevs(c, &mut d, dialect)?;
    Ok(d)
}

fn features(c: &Cfg, d: &mut DomainXml) -> Result<()> {
    if let Some(mode) = c.string("tsc_mode")? {
        let m = match mode.as_str() {
            "always_emulate" => "emulate",
            "native" => "native",
            "native_paravirt" => "paravirt",
            _ => "auto",
        };
        d.timers
            .push(format!("<timer name='tsc' present='yes' mode='{m}'/>"));
    }
    if let Some(p) = c.string("passthrough")? {
        let f = match p.as_str() {
            "disabled" => "<passthrough state='off'/>",
            "enabled" => "<passthrough state='on'/>",
            "sync_pt" => "<passthrough state='on' mode='sync_pt'/>",
            "share_pt" => "<passthrough state='on' mode='share_pt'/>",
            _ => return Err(syntax(VIR_FROM_XEN, format!("Invalid passthrough mode {p}"))),
        };
        d.xen_features.push(f.to_string());
    }
    if d.hvm() {
        for (key, default, el) in [
            ("pae", 1, "<pae/>"),
            ("acpi", 1, "<acpi/>"),
            ("apic", 1, "<apic/>"),
        ] {
            if c.bool(key, default)? != 0 {
                d.features.push(el.to_string());
            }
        }
        if c.bool("hap", 1)? == 0 {
            d.features.push("<hap state='off'/>".to_string());
        }
        if c.bool("viridian", 0)? != 0 {
            d.features.push("<viridian/>".to_string());
        }
        let hpet = c.bool("hpet", -1)?;
        if hpet != -1 {
            let p = if hpet != 0 { "yes" } else { "no" };
            d.timers.push(format!("<timer name='hpet' present='{p}'/>"));
        }
    } else if c.bool("e820_host", 0)? != 0 {
        d.xen_features.insert(0, "<e820_host state='on'/>".to_string());
    }
    Ok(())
}

fn time_offset(c: &Cfg, d: &mut DomainXml) -> Result<()> {
    let localtime = c.bool("localtime", 0)? != 0;
    if d.hvm() {
        // libvirt keeps the low 32 bits as a signed int.
        let adj = c.ulong("rtc_timeoffset", 0)? as i32;
        let basis = if localtime { "localtime" } else { "utc" };
        d.clock = format!("offset='variable' adjustment='{adj}' basis='{basis}'");
    } else {
        let offset = if localtime { "localtime" } else { "utc" };
        d.clock = format!("offset='{offset}' adjustment='reset'");
    }
    Ok(())
}

fn sounds(s: &str, d: &mut DomainXml) -> Result<()> {
    // "all" historically meant the two cards Xen's QEMU had.
    let models: Vec<&str> = if s == "all" {
        vec!["sb16", "es1370"]
    } else {
        s.split(',').collect()
    };
    for m in models {
        if m.len() >= 10 {
            return Err(internal(format!("Sound model {m} too big for destination")));
        }
        if !SOUND_MODELS.contains(&m) {
            return Err(internal(format!("unknown sound model '{m}'")));
        }
        d.devices.push(format!("<sound model='{m}'/>"));
    }
    Ok(())
}

fn listen_xml(addr: Option<&str>) -> (String, String) {
    match addr {
        Some(a) => (
            format!(" listen='{}'", esc(a)),
            format!("<listen type='address' address='{}'/>", esc(a)),
        ),
        None => (String::new(), "<listen type='address'/>".to_string()),
    }
}

fn vnc_xml(
    autoport: bool,
    port: i64,
    listen: Option<&str>,
    passwd: Option<&str>,
    keymap: Option<&str>,
) -> String {
    let (attr, child) = listen_xml(listen);
    let mut x = format!(
        "<graphics type='vnc' port='{}' autoport='{}'{attr}",
        if autoport { -1 } else { port },
        if autoport { "yes" } else { "no" }
    );
    if let Some(p) = passwd {
        x.push_str(&format!(" passwd='{}'", esc(p)));
    }
    if let Some(k) = keymap {
        x.push_str(&format!(" keymap='{}'", esc(k)));
    }
    x.push_str(&format!(">{child}</graphics>"));
    x
}

fn sdl_xml(display: Option<&str>, xauth: Option<&str>) -> String {
    let mut x = String::from("<graphics type='sdl'");
    if let Some(v) = display {
        x.push_str(&format!(" display='{}'", esc(v)));
    }
    if let Some(v) = xauth {
        x.push_str(&format!(" xauth='{}'", esc(v)));
    }
    x.push_str("/>");
    x
}

fn vfb(c: &Cfg, d: &mut DomainXml) -> Result<()> {
    if d.hvm() {
        if c.bool("vnc", 0)? != 0 {
            let autoport = c.bool("vncunused", 1)? != 0;
            let mut port = 0;
            if !autoport {
                port = c.ulong("vncdisplay", 0)? as i32 as i64 + 5900;
            }
            let listen = c.string("vnclisten")?;
            let passwd = c.string("vncpasswd")?;
            let keymap = c.string("keymap")?;
            d.devices.push(vnc_xml(
                autoport,
                port,
                listen.as_deref(),
                passwd.as_deref(),
                keymap.as_deref(),
            ));
            d.has_graphics = true;
        } else if c.bool("sdl", 0)? != 0 {
            let display = c.string("display")?;
            let xauth = c.string("xauthority")?;
            d.devices.push(sdl_xml(display.as_deref(), xauth.as_deref()));
            d.has_graphics = true;
        }
        return Ok(());
    }
    // Paravirtual guests: the first `vfb` entry.
    let Some(list) = c.string_list("vfb")? else {
        return Ok(());
    };
    let Some(first) = list.first() else {
        return Ok(());
    };
    if first.len() >= 1024 {
        return Err(internal(format!("VFB {first} too big for destination")));
    }
    let sdl = first.contains("type=sdl");
    let (mut autoport, mut port) = (false, 0i64);
    let (mut listen, mut passwd, mut keymap, mut display, mut xauth) = (None, None, None, None, None);
    for (k, v) in vif::key_values(first) {
        match (sdl, k) {
            (false, "vncunused") => autoport |= v == "1",
            (false, "vnclisten") => listen = Some(v),
            (false, "vncpasswd") => passwd = Some(v),
            (false, "keymap") => keymap = Some(v),
            (false, "vncdisplay") => {
                port = super::common::parse_c_int(v, 10)
                    .ok_or_else(|| internal(format!("invalid vncdisplay value '{v}'")))?
                    + 5900;
            }
            (true, "display") => display = Some(v),
            (true, "xauthority") => xauth = Some(v),
            _ => {}
        }
    }
    d.devices.push(if sdl {
        sdl_xml(display, xauth)
    } else {
        vnc_xml(autoport, port, listen, passwd, keymap)
    });
    d.has_graphics = true;
    Ok(())
}

fn chardevs(c: &Cfg, d: &mut DomainXml, dialect: Dialect) -> Result<()> {
    if !d.hvm() {
        d.devices
            .push("<console type='pty'><target type='xen' port='0'/></console>".to_string());
        return Ok(());
    }
    if let Some(p) = c.string("parallel")? {
        if p != "none" {
            d.devices.push(chardev::parse(&p, "parallel", 0)?);
        }
    }
    match c.string_list("serial")? {
        Some(list) => {
            if dialect == Dialect::Xm {
                return Err(unsupported(
                    VIR_FROM_XEN,
                    "Multiple serial devices are not supported by xen-xm",
                ));
            }
            for (port, s) in list.iter().enumerate() {
                if s != "none" {
                    d.devices.push(chardev::parse(s, "serial", port)?);
                }
            }
        }
        None => {
            if let Some(s) = c.string("serial")? {
                if s != "none" {
                    d.devices.push(chardev::parse(&s, "serial", 0)?);
                }
            }
        }
    }
    Ok(())
}

/// `boot = "dc"` as `<boot dev>` values (at most four).
pub fn boot_devices(boot: &str) -> Vec<&'static str> {
    boot.chars()
        .take(4)
        .map(|ch| match ch {
            'a' => "fd",
            'd' => "cdrom",
            'n' => "network",
            _ => "hd",
        })
        .collect()
}

/// The kernel command line from `root` and `extra`.
pub fn root_extra(root: Option<String>, extra: Option<String>) -> Option<String> {
    match (root, extra) {
        (Some(r), Some(e)) => Some(format!("root={r} {e}")),
        (Some(r), None) => Some(format!("root={r}")),
        (None, e) => e,
    }
}
