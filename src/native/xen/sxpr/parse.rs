//! `(domain ...)` → domain definition.  The document is read into libvirt's
//! domain XML (the XenD-era converter's choices plus the defaults the Xen
//! driver added to every definition: PS/2 or Xen input devices, a Xen
//! balloon, raw disk formats, the video adapter of a framebuffer), which
//! the domain model then parses with its generic defaults (disk buses and
//! drive addresses, controllers, the serial console).

use super::chardev::{self, ChrSpec};
use super::{Context, Parsed};
use crate::abi::*;
use crate::domain::devices::Mac;
use crate::domain::{self, ParseOptions, Profile, Uuid};
use crate::error::{Error, Result};
use crate::native::xen::sexpr::{self, ReadOptions, Sexpr};
use crate::xml::Writer;

fn err(detail: impl AsRef<str>) -> Error {
    Error::with(VIR_FROM_SEXPR, VIR_ERR_INTERNAL_ERROR, detail)
}

/// libvirt's lifecycle action names (`on_crash` adds the coredump ones).
const LIFECYCLE: &[&str] = &["destroy", "restart", "rename-restart", "preserve"];
const CRASH: &[&str] = &[
    "destroy",
    "restart",
    "rename-restart",
    "preserve",
    "coredump-destroy",
    "coredump-restart",
];

/// Disk image formats a `tap:` driver may name.
const FORMATS: &[&str] = &[
    "raw", "dir", "bochs", "cloop", "dmg", "iso", "vpc", "vdi", "fat", "vhd", "ploop", "cow", "qcow",
    "qcow2", "qed", "vmdk",
];

/// Sound models of the era.
const SOUND_MODELS: &[&str] = &["sb16", "es1370", "pcspk", "ac97", "ich6", "ich9", "usb"];

/// HVM boot letters and libvirt's boot device names.
const BOOT: &[(char, &str)] = &[('a', "fd"), ('c', "hd"), ('d', "cdrom"), ('n', "network")];

/// libvirt's `VIR_DOMAIN_BOOT_LAST`: at most this many boot devices.
const MAX_BOOT_DEVS: usize = 4;

struct Disk {
    kind: &'static str,
    device: &'static str,
    driver: Option<String>,
    format: Option<String>,
    source: Option<String>,
    target: String,
    bus: &'static str,
    readonly: bool,
    shareable: bool,
}

struct Net {
    kind: &'static str,
    mac: Option<String>,
    bridge: Option<String>,
    script: Option<String>,
    ip: Option<String>,
    ifname: Option<String>,
    model: Option<String>,
    rate: Option<u64>,
}

enum Graphics {
    Vnc {
        port: i32,
        autoport: bool,
        listen: Option<String>,
        passwd: Option<String>,
        keymap: Option<String>,
    },
    Sdl {
        display: Option<String>,
        xauth: Option<String>,
    },
}

/// Reads a `(domain ...)` document.
pub fn parse(text: &str, ctx: &Context) -> Result<Parsed> {
    let root = sexpr::read_with(text, ReadOptions { lenient_end: true })?;
    let id = match root.node_i64("domain/domid")? {
        Some(v) => Some(i32::try_from(v).map_err(|_| err(format!("invalid domain id '{v}'")))?),
        None => None,
    };
    let active = id.is_some_and(|i| i != -1);
    let not_dom0 = id != Some(0);
    let name = root
        .node("domain/name")
        .ok_or_else(|| err("domain information incomplete, missing name"))?;
    let uuid_text = root
        .node("domain/uuid")
        .ok_or_else(|| err("domain information incomplete, missing uuid"))?;
    let uuid = Uuid::parse(uuid_text).ok_or_else(|| err(format!("malformed uuid '{uuid_text}'")))?;
    let hvm = root.has("domain/image/hvm");
    let image = if hvm { "hvm" } else { "linux" };

    let mut w = Writer::new();
    w.open("domain", &[("type", "xen")]);
    w.text("name", &[], name);
    w.text("uuid", &[], &uuid.to_string());
    if let Some(d) = root.node("domain/description") {
        w.text("description", &[], d);
    }

    // Memory: XenD counts MiB; `maxmem` is the ceiling, `memory` the balloon.
    let mib = |path: &str| -> Result<u64> {
        let v = root.node_u64(path)?.unwrap_or(0);
        v.checked_mul(1024)
            .ok_or_else(|| err(format!("memory size {v} MiB of {path} is too large")))
    };
    let total = mib("domain/maxmem")?;
    let current = mib("domain/memory")?.min(total);
    w.text("memory", &[("unit", "KiB")], &total.to_string());
    w.text("currentMemory", &[("unit", "KiB")], &current.to_string());

    let max_vcpus = match root.node_i64("domain/vcpus")? {
        None => return Err(err("domain information incomplete, missing vcpus")),
        Some(v) if !(1..=i64::from(u16::MAX)).contains(&v) => {
            return Err(err(format!("invalid vcpus count '{v}'")))
        }
        Some(v) => v as u32,
    };
    let avail = root.node_u64("domain/vcpu_avail")?.unwrap_or(0).count_ones();
    let vcpus = if avail == 0 || avail > max_vcpus {
        max_vcpus
    } else {
        avail
    };
    let current_attr = vcpus.to_string();
    let vcpu_attrs: Vec<(&str, &str)> = if vcpus < max_vcpus {
        vec![("current", current_attr.as_str())]
    } else {
        Vec::new()
    };
    w.text("vcpu", &vcpu_attrs, &max_vcpus.to_string());

    // Only paravirtual guests boot through a bootloader.
    if !hvm {
        let bootloader = root
            .node("domain/bootloader")
            .or_else(|| root.has("domain/bootloader").then_some(""));
        if let Some(b) = bootloader {
            w.text("bootloader", &[], b);
            if let Some(args) = root.node("domain/bootloader_args") {
                w.text("bootloader_args", &[], args);
            }
        }
    }

    w.open("os", &[]);
    w.text("type", &[], if hvm { "hvm" } else { "linux" });
    if not_dom0 && root.has("domain/image") {
        write_os(&root, hvm, &mut w)?;
    }
    w.close("os");

    if hvm {
        let mut features = Vec::new();
        for f in ["acpi", "apic", "pae", "hap", "viridian"] {
            if root.node_i64(&format!("domain/image/hvm/{f}"))?.unwrap_or(0) != 0 {
                features.push(f);
            }
        }
        if !features.is_empty() {
            w.open("features", &[]);
            for f in features {
                w.empty(f, &[]);
            }
            w.close("features");
        }
    }
    write_clock(&root, hvm, &mut w)?;
    for (event, allowed, default) in [
        ("on_poweroff", LIFECYCLE, "destroy"),
        ("on_reboot", LIFECYCLE, "restart"),
        ("on_crash", CRASH, "destroy"),
    ] {
        let action = root.node(&format!("domain/{event}")).unwrap_or(default);
        if !allowed.contains(&action) {
            return Err(err(format!("unknown lifecycle type {action}")));
        }
        w.text(event, &[], action);
    }

    w.open("devices", &[]);
    if let Some(e) = root.node(&format!("domain/image/{image}/device_model")) {
        w.text("emulator", &[], e);
    }
    for disk in disks(&root, hvm)? {
        write_disk(&disk, &mut w);
    }
    for net in nets(&root, active.then_some(id.unwrap_or(-1)))? {
        write_net(&net, &mut w);
    }
    write_pci(&root, &mut w)?;
    let graphics = match graphics_new(&root, ctx)? {
        Some(g) => Some(g),
        None => graphics_old(&root, image, ctx),
    };
    if hvm {
        for child in root
            .lookup("domain/image/hvm")
            .map(Sexpr::rest)
            .unwrap_or_default()
        {
            if child.key() == Some("usbdevice") {
                if let Some(kind) = child.rest().first().and_then(Sexpr::as_atom) {
                    if matches!(kind, "tablet" | "mouse" | "keyboard") {
                        w.empty("input", &[("type", kind), ("bus", "usb")]);
                    }
                }
            }
        }
        write_hvm_chardevs(&root, ctx, &mut w)?;
    } else if not_dom0 {
        // XenD does not describe the paravirtual console: every PV guest has one.
        let console = chardev::parse("pty", ctx.tty)?;
        write_chr("console", &console, None, &mut w);
    }
    // The Xen driver's implicit input devices.
    let input_bus = if hvm { "ps2" } else { "xen" };
    w.empty("input", &[("type", "mouse"), ("bus", input_bus)]);
    w.empty("input", &[("type", "keyboard"), ("bus", input_bus)]);
    if let Some(g) = &graphics {
        write_graphics(g, &mut w);
    }
    if hvm {
        if let Some(models) = root.node("domain/image/hvm/soundhw").filter(|s| !s.is_empty()) {
            for model in sound_models(models)? {
                w.empty("sound", &[("model", model)]);
            }
        }
    }
    if graphics.is_some() {
        // The adapter a framebuffer implies: Xen's own for PV guests, qemu's
        // Cirrus with its 8 MiB for HVM ones.
        let (model, vram) = if hvm { ("cirrus", "8192") } else { ("xen", "4096") };
        w.open("video", &[]);
        w.empty(
            "model",
            &[
                ("type", model),
                ("vram", vram),
                ("heads", "1"),
                ("primary", "yes"),
            ],
        );
        w.close("video");
    }
    w.empty("memballoon", &[("model", "xen")]);
    w.close("devices");
    w.close("domain");

    let xml = w.finish();
    // A running domain's description: graphics ports chosen by autoport
    // are kept, as libvirt's live definitions keep them.
    let def = domain::parse(
        &xml,
        &ParseOptions {
            profile: &Profile::XEN_SXPR,
            inactive: false,
        },
    )?;
    Ok(Parsed { def, id })
}

/// `<os>`'s kernel, loader and boot order from `(image (hvm|linux ...))`.
fn write_os(root: &Sexpr, hvm: bool, w: &mut Writer) -> Result<()> {
    let node = |key: &str| {
        root.node(&format!(
            "domain/image/{}/{key}",
            if hvm { "hvm" } else { "linux" }
        ))
    };
    let (loader, mut kernel, initrd, cmdline, root_dev) = if !hvm {
        (None, node("kernel"), node("ramdisk"), node("args"), node("root"))
    } else if let Some(l) = node("loader") {
        (
            Some(l),
            node("kernel"),
            node("ramdisk"),
            node("args"),
            node("root"),
        )
    } else {
        // Old XenD put hvmloader in `kernel` and had no direct kernel boot.
        let l = node("kernel").ok_or_else(|| err("domain information incomplete, missing HVM loader"))?;
        (Some(l), None, None, None, None)
    };
    if hvm && (kernel == loader || kernel == Some("")) {
        kernel = None;
    }
    if !hvm && kernel.is_none() && !root.has("domain/bootloader") {
        return Err(err("domain information incomplete, missing kernel & bootloader"));
    }
    if let Some(l) = loader {
        w.text("loader", &[], l);
    }
    if let Some(k) = kernel {
        w.text("kernel", &[], k);
    }
    if let Some(i) = initrd {
        w.text("initrd", &[], i);
    }
    if let Some(c) = cmdline {
        w.text("cmdline", &[], c);
    }
    if let Some(r) = root_dev {
        w.text("root", &[], r);
    }
    if hvm && kernel.is_none() {
        let boot = node("boot").unwrap_or("");
        for dev in boot
            .chars()
            .filter_map(|c| BOOT.iter().find(|(l, _)| *l == c).map(|(_, d)| *d))
            .take(MAX_BOOT_DEVS)
        {
            w.empty("boot", &[("dev", dev)]);
        }
    }
    Ok(())
}

/// `<clock>`: HVM guests have an emulated RTC with an offset, PV guests
/// follow the host (UTC or local time, reset at boot).
fn write_clock(root: &Sexpr, hvm: bool, w: &mut Writer) -> Result<()> {
    let mut localtime = root.node_i64("domain/localtime")?.unwrap_or(0);
    let image = if hvm { "hvm" } else { "linux" };
    if let Some(v) = root.node(&format!("domain/image/{image}/localtime")) {
        localtime = sexpr::parse_c_integer(v).ok_or_else(|| err(format!("unknown localtime offset {v}")))?;
    }
    if !hvm {
        let offset = if localtime != 0 { "localtime" } else { "utc" };
        w.empty("clock", &[("offset", offset), ("adjustment", "reset")]);
        return Ok(());
    }
    let adjustment = root
        .node_i64("domain/image/hvm/rtc_timeoffset")?
        .unwrap_or(0)
        .to_string();
    let basis = if localtime != 0 { "localtime" } else { "utc" };
    let attrs = [
        ("offset", "variable"),
        ("adjustment", adjustment.as_str()),
        ("basis", basis),
    ];
    if root.has("domain/image/hvm/hpet") {
        let present = root.node_i64("domain/image/hvm/hpet")?.unwrap_or(0) != 0;
        w.open("clock", &attrs);
        w.empty(
            "timer",
            &[("name", "hpet"), ("present", if present { "yes" } else { "no" })],
        );
        w.close("clock");
    } else {
        w.empty("clock", &attrs);
    }
    Ok(())
}

/// The `(device (vbd|tap|tap2 ...))` disks, a bootable one first.
fn disks(root: &Sexpr, hvm: bool) -> Result<Vec<Disk>> {
    let mut out: Vec<Disk> = Vec::new();
    for dev in root.children_named("device") {
        let Some(kind) = ["vbd", "tap2", "tap"]
            .into_iter()
            .find(|k| dev.has(&format!("device/{k}")))
        else {
            continue;
        };
        let get = |key: &str| dev.node(&format!("device/{kind}/{key}"));
        let dst = get("dev").ok_or_else(|| err("domain information incomplete, vbd has no dev"))?;
        let src = get("uname");
        let mut disk = Disk {
            kind: "file",
            device: "disk",
            driver: None,
            format: None,
            source: None,
            target: String::new(),
            bus: "ide",
            readonly: false,
            shareable: false,
        };
        match src {
            None => {
                // Only an HVM CD-ROM drive may be empty.
                let cdrom = dst.find(':').is_some_and(|i| &dst[i..] == ":cdrom");
                if !cdrom || !hvm {
                    return Err(err("domain information incomplete, vbd has no src"));
                }
            }
            Some(src) => {
                let (driver, rest) = src
                    .split_once(':')
                    .ok_or_else(|| err("cannot parse vbd filename, missing driver name"))?;
                let driver = if kind == "tap2" && driver == "tap" {
                    "tap2"
                } else {
                    driver
                };
                let mut path = rest;
                match driver {
                    "tap" | "tap2" => {
                        let (format, p) = rest
                            .split_once(':')
                            .ok_or_else(|| err("cannot parse vbd filename, missing driver type"))?;
                        let format = if format == "aio" { "raw" } else { format };
                        if !FORMATS.contains(&format) {
                            return Err(err(format!("Unknown driver type {rest}")));
                        }
                        disk.format = Some(format.into());
                        path = p;
                    }
                    "phy" => disk.kind = "block",
                    _ => {}
                }
                disk.driver = Some(driver.into());
                disk.source = Some(path.into());
            }
        }
        let dst = dst.strip_prefix("ioemu:").unwrap_or(dst);
        let dst = match dst.rfind(':') {
            Some(i) => {
                if &dst[i..] == ":cdrom" {
                    disk.device = "cdrom";
                }
                &dst[..i]
            }
            None => dst,
        };
        check_target(dst)?;
        disk.target = dst.into();
        disk.bus = if dst.starts_with("xvd") {
            "xen"
        } else if dst.starts_with("sd") {
            "scsi"
        } else {
            "ide"
        };
        let mode = get("mode").unwrap_or("");
        disk.readonly = mode.contains('r');
        disk.shareable = mode.contains('!');
        if get("bootable") == Some("1") && !out.is_empty() {
            let first = std::mem::replace(&mut out[0], disk);
            out.push(first);
        } else {
            out.push(disk);
        }
    }
    Ok(out)
}

/// Refuses disk names beyond `zzz` (disk 18277 of a bus): the domain model,
/// as libvirt, adds every drive controller up to the disk's, so a mangled
/// name such as `hdadisk` would make it add hundreds of thousands.
fn check_target(dst: &str) -> Result<()> {
    let Some(rest) = ["xvd", "hd", "sd", "vd", "fd", "ubd"]
        .iter()
        .find_map(|p| dst.strip_prefix(p))
    else {
        return Ok(());
    };
    if rest.chars().take_while(char::is_ascii_lowercase).count() > 3 {
        return Err(err(format!("invalid disk target '{dst}'")));
    }
    Ok(())
}

fn write_disk(d: &Disk, w: &mut Writer) {
    w.open("disk", &[("type", d.kind), ("device", d.device)]);
    // The Xen driver reads images as raw unless told otherwise.
    let format = d.format.as_deref().unwrap_or("raw");
    match &d.driver {
        Some(name) => w.empty("driver", &[("name", name), ("type", format)]),
        None => w.empty("driver", &[("type", format)]),
    }
    if let Some(src) = &d.source {
        let attr = if d.kind == "block" { "dev" } else { "file" };
        w.empty("source", &[(attr, src)]);
    }
    w.empty("target", &[("dev", &d.target), ("bus", d.bus)]);
    if d.readonly {
        w.empty("readonly", &[]);
    }
    if d.shareable {
        w.empty("shareable", &[]);
    }
    w.close("disk");
}

/// The `(device (vif ...))` interfaces; `id` names them `vif<id>.<n>`.
fn nets(root: &Sexpr, id: Option<i32>) -> Result<Vec<Net>> {
    let mut out = Vec::new();
    for dev in root.children_named("device") {
        if !dev.has("device/vif") {
            continue;
        }
        let get = |key: &str| dev.node(&format!("device/vif/{key}")).map(str::to_string);
        let script = get("script");
        let bridge = get("bridge");
        let is_bridge = bridge.is_some() || script.as_deref() == Some("vif-bridge");
        let mac = match get("mac") {
            Some(m) => Some(
                Mac::parse(&m)
                    .ok_or_else(|| err(format!("malformed mac address '{m}'")))?
                    .to_string(),
            ),
            None => None,
        };
        let ifname = get("vifname").or_else(|| id.map(|i| format!("vif{i}.{}", out.len())));
        let model =
            get("model").or_else(|| (get("type").as_deref() == Some("netfront")).then(|| "netfront".into()));
        let rate = get("rate").map(|r| vif_rate(&r)).transpose()?;
        out.push(Net {
            kind: if is_bridge { "bridge" } else { "ethernet" },
            mac,
            bridge,
            script,
            ip: get("ip"),
            ifname,
            model,
            rate,
        });
    }
    Ok(out)
}

/// XenD's `rate` (`<n>[GMK]<B|b>/s[@<interval>]`) in KiB per second.
fn vif_rate(rate: &str) -> Result<u64> {
    let invalid = || err(format!("Invalid rate '{rate}' specified"));
    let value = rate.split('@').next().unwrap_or("");
    let digits = value.chars().take_while(char::is_ascii_digit).count();
    let (number, suffix) = value.split_at(digits);
    let (scale, unit) = match suffix.chars().next() {
        Some('G') => (1024 * 1024, &suffix[1..]),
        Some('M') => (1024, &suffix[1..]),
        Some('K') => (1, &suffix[1..]),
        _ => (1, suffix),
    };
    if number.is_empty() || !matches!(unit, "B/s" | "b/s") {
        return Err(invalid());
    }
    let n: u64 = number
        .parse()
        .map_err(|_| err(format!("Failed to parse rate '{rate}'")))?;
    let kib = n
        .checked_mul(scale)
        .ok_or_else(|| err(format!("Failed to parse rate '{rate}'")))?;
    Ok(if unit == "b/s" { kib / 8 } else { kib })
}

fn write_net(n: &Net, w: &mut Writer) {
    w.open("interface", &[("type", n.kind)]);
    if let Some(mac) = &n.mac {
        w.empty("mac", &[("address", mac)]);
    }
    if let Some(b) = &n.bridge {
        w.empty("source", &[("bridge", b)]);
    }
    if let Some(ip) = &n.ip {
        w.empty("ip", &[("address", ip)]);
    }
    if let Some(s) = &n.script {
        w.empty("script", &[("path", s)]);
    }
    if let Some(t) = &n.ifname {
        w.empty("target", &[("dev", t)]);
    }
    if let Some(m) = &n.model {
        w.empty("model", &[("type", m)]);
    }
    if let Some(r) = n.rate {
        w.open("bandwidth", &[]);
        w.empty("outbound", &[("average", &r.to_string())]);
        w.close("bandwidth");
    }
    w.close("interface");
}

/// The host PCI devices of the first `(device (pci (dev ...) ...))`.
fn write_pci(root: &Sexpr, w: &mut Writer) -> Result<()> {
    let Some(pci) = root.children_named("device").find_map(|d| d.lookup("device/pci")) else {
        return Ok(());
    };
    for dev in pci.children_named("dev") {
        let mut values = Vec::new();
        for (key, what) in [
            ("domain", "domain"),
            ("bus", "bus"),
            ("slot", "slot"),
            ("func", "func"),
        ] {
            let v = dev
                .node(&format!("dev/{key}"))
                .ok_or_else(|| err(format!("missing PCI {what}")))?;
            let n = sexpr::parse_c_integer(v)
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| err(format!("cannot parse PCI {what} '{v}'")))?;
            values.push(n);
        }
        let domain = format!("0x{:04x}", values[0]);
        let bus = format!("0x{:02x}", values[1]);
        let slot = format!("0x{:02x}", values[2]);
        let function = format!("0x{:x}", values[3]);
        w.open(
            "hostdev",
            &[("mode", "subsystem"), ("type", "pci"), ("managed", "no")],
        );
        // The Xen driver assigns host devices through its own PCI backend.
        w.empty("driver", &[("name", "xen")]);
        w.open("source", &[]);
        w.empty(
            "address",
            &[
                ("domain", &domain),
                ("bus", &bus),
                ("slot", &slot),
                ("function", &function),
            ],
        );
        w.close("source");
        w.close("hostdev");
    }
    Ok(())
}

/// The framebuffer of the first `(device (vfb ...))` (XenD 3.0.4 on).
fn graphics_new(root: &Sexpr, ctx: &Context) -> Result<Option<Graphics>> {
    let Some(dev) = root.children_named("device").find(|d| d.has("device/vfb")) else {
        return Ok(None);
    };
    let get = |key: &str| dev.node(&format!("device/vfb/{key}")).map(str::to_string);
    let kind = match get("type") {
        Some(t) => t,
        None if get("vnc").is_some() => "vnc".into(),
        None if get("sdl").is_some() => "sdl".into(),
        None => "unknown".into(),
    };
    match kind.as_str() {
        "sdl" => Ok(Some(Graphics::Sdl {
            display: get("display"),
            xauth: get("xauthority"),
        })),
        "vnc" => {
            let mut port = ctx.vnc_port;
            if port == -1 {
                if let Some(p) = get("vncdisplay")
                    .and_then(|d| sexpr::parse_c_integer(&d))
                    .and_then(|p| i32::try_from(p).ok())
                {
                    port = p;
                }
            }
            let autoport = get("vncunused").as_deref() == Some("1") || port == -1;
            if (0..5900).contains(&port) {
                port += 5900;
            }
            Ok(Some(Graphics::Vnc {
                port,
                autoport,
                listen: get("vnclisten"),
                passwd: get("vncpasswd"),
                keymap: get("keymap"),
            }))
        }
        other => Err(err(format!("unknown graphics type '{other}'"))),
    }
}

/// VNC or SDL set in the image (HVM before XenD 3.0.5, PV before 3.0.4).
fn graphics_old(root: &Sexpr, image: &str, ctx: &Context) -> Option<Graphics> {
    let get = |key: &str| {
        root.node(&format!("domain/image/{image}/{key}"))
            .map(str::to_string)
    };
    if get("vnc").is_some_and(|v| v.starts_with('1')) {
        let port = ctx.vnc_port;
        Some(Graphics::Vnc {
            port,
            autoport: get("vncunused").as_deref() == Some("1") || port == -1,
            listen: get("vnclisten"),
            passwd: get("vncpasswd"),
            keymap: get("keymap"),
        })
    } else if get("sdl").is_some_and(|v| v.starts_with('1')) {
        Some(Graphics::Sdl {
            display: get("display"),
            xauth: get("xauthority"),
        })
    } else {
        None
    }
}

fn write_graphics(g: &Graphics, w: &mut Writer) {
    match g {
        Graphics::Vnc {
            port,
            autoport,
            listen,
            passwd,
            keymap,
        } => {
            let port = port.to_string();
            let mut attrs = vec![
                ("type", "vnc"),
                ("port", port.as_str()),
                ("autoport", if *autoport { "yes" } else { "no" }),
            ];
            if let Some(k) = keymap {
                attrs.push(("keymap", k));
            }
            if let Some(p) = passwd {
                attrs.push(("passwd", p));
            }
            w.open("graphics", &attrs);
            match listen {
                Some(a) => w.empty("listen", &[("type", "address"), ("address", a)]),
                None => w.empty("listen", &[("type", "address")]),
            }
            w.close("graphics");
        }
        Graphics::Sdl { display, xauth } => {
            let mut attrs = vec![("type", "sdl")];
            if let Some(d) = display {
                attrs.push(("display", d));
            }
            if let Some(x) = xauth {
                attrs.push(("xauth", x));
            }
            w.empty("graphics", &attrs);
        }
    }
}

/// HVM serial ports (one, or a list with `none` for unused ports) and the
/// parallel port.
fn write_hvm_chardevs(root: &Sexpr, ctx: &Context, w: &mut Writer) -> Result<()> {
    let mut serials: Vec<(ChrSpec, i32)> = Vec::new();
    let mut listed = false;
    if let Some(serial) = root.lookup("domain/image/hvm/serial") {
        let mut skipped = 0;
        for list in serial.rest().iter().filter_map(Sexpr::as_list) {
            for item in list {
                listed = true;
                let value = item.as_atom().ok_or_else(|| err("malformed serial port list"))?;
                if value == "none" {
                    skipped += 1;
                } else {
                    let port = serials.len() as i32 + skipped;
                    serials.push((chardev::parse(value, ctx.tty)?, port));
                }
            }
        }
    }
    if !listed {
        if let Some(value) = root.node("domain/image/hvm/serial").filter(|v| *v != "none") {
            serials.push((chardev::parse(value, ctx.tty)?, 0));
        }
    }
    for (chr, port) in &serials {
        write_chr("serial", chr, Some(*port), w);
    }
    if let Some(value) = root.node("domain/image/hvm/parallel").filter(|v| *v != "none") {
        write_chr("parallel", &chardev::parse(value, None)?, Some(0), w);
    }
    Ok(())
}

/// A character device element; `port` None makes it the Xen PV console.
fn write_chr(element: &str, c: &ChrSpec, port: Option<i32>, w: &mut Writer) {
    w.open(element, &[("type", &c.kind)]);
    let mode = if c.listen { "bind" } else { "connect" };
    match c.kind.as_str() {
        "tcp" => {
            let mut attrs = vec![("mode", mode)];
            if let Some(h) = &c.host {
                attrs.push(("host", h));
            }
            if let Some(s) = &c.service {
                attrs.push(("service", s));
            }
            w.empty("source", &attrs);
            w.empty("protocol", &[("type", if c.telnet { "telnet" } else { "raw" })]);
        }
        "udp" => {
            if c.bind_host.is_some() || c.bind_service.is_some() {
                let mut attrs = vec![("mode", "bind")];
                if let Some(h) = &c.bind_host {
                    attrs.push(("host", h));
                }
                if let Some(s) = &c.bind_service {
                    attrs.push(("service", s));
                }
                w.empty("source", &attrs);
            }
            let mut attrs = vec![("mode", "connect")];
            if let Some(h) = &c.host {
                attrs.push(("host", h));
            }
            if let Some(s) = &c.service {
                attrs.push(("service", s));
            }
            w.empty("source", &attrs);
        }
        "unix" => {
            if let Some(p) = &c.path {
                w.empty("source", &[("mode", mode), ("path", p)]);
            }
        }
        _ => {
            if let Some(p) = &c.path {
                w.empty("source", &[("path", p)]);
            }
        }
    }
    match port {
        Some(p) => w.empty("target", &[("port", &p.to_string())]),
        None => w.empty("target", &[("type", "xen"), ("port", "0")]),
    }
    w.close(element);
}

/// `soundhw`: a comma-separated list of models, or `all` (the two cards
/// Xen's qemu historically had).
fn sound_models(list: &str) -> Result<Vec<&str>> {
    if list == "all" {
        return Ok(vec!["sb16", "es1370"]);
    }
    let mut out = Vec::new();
    for (i, model) in list.split(',').enumerate() {
        // libvirt copied each name into a 10-byte buffer.
        if model.len() >= 10 {
            let rest: Vec<&str> = list.split(',').skip(i).collect();
            return Err(err(format!(
                "Sound model {} too big for destination",
                rest.join(",")
            )));
        }
        if !SOUND_MODELS.contains(&model) {
            return Err(err(format!("unknown sound model '{model}'")));
        }
        out.push(model);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vif_rates() {
        assert_eq!(vif_rate("10240KB/s").unwrap(), 10240);
        assert_eq!(vif_rate("10MB/s@20ms").unwrap(), 10240);
        assert_eq!(vif_rate("1Gb/s").unwrap(), 131072);
        assert!(vif_rate("fast")
            .unwrap_err()
            .message
            .contains("Invalid rate 'fast' specified"));
        assert!(vif_rate("99999999999999999999999KB/s").is_err());
    }

    #[test]
    fn sound_lists() {
        assert_eq!(sound_models("all").unwrap(), ["sb16", "es1370"]);
        assert_eq!(sound_models("sb16,ac97").unwrap(), ["sb16", "ac97"]);
        assert!(sound_models("sb16,bogus").is_err());
        assert!(sound_models("averyveryverylongmodel")
            .unwrap_err()
            .message
            .contains("too big"));
    }
}
