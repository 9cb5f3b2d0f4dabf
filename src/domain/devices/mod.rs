//! `<devices>`: every device kind of the model, read in libvirt's order,
//! completed with the defaults and implicit devices libvirt adds (disk
//! buses and drive addresses, controllers, serial/console pairing, video
//! for graphics) and written grouped by kind in libvirt's fixed order.

pub mod address;
pub mod chardev;
pub mod controller;
pub mod disk;
pub mod graphics;
pub mod hostdev;
pub mod interface;
pub mod misc;
mod util;
pub mod video;

pub use address::{Address, DeviceInfo, PciAddress};
pub use chardev::{Chardev, ChrKind, ChrSource};
pub use controller::Controller;
pub use disk::{Disk, DiskSource};
pub use graphics::{Graphics, Listen};
pub use hostdev::Hostdev;
pub use interface::{Interface, Mac};
pub use misc::{
    Audio, Filesystem, Input, Lease, Memballoon, MemoryDevice, Redirdev, Rng, Shmem, Simple, Smartcard,
    Sound, Tpm, UsbRule, Watchdog,
};
pub use video::Video;

pub(crate) use misc::scaled_kib;

use crate::abi::*;
use crate::domain::{FormatOptions, ParseOptions};
use crate::error::{Error, Result};
use crate::xml::dom::Element;
use crate::xml::Writer;
use util::*;

/// `<metadata_cache><max_size>` and similar byte sizes.
pub(crate) fn scaled_bytes(el: &Element) -> Result<u64> {
    misc::scaled(el, "bytes")
}

/// What the device parser needs to know about the rest of the domain.
#[derive(Debug, Clone)]
pub struct DomainCtx {
    /// `<os><type>`: `hvm`, `xen`, `linux`, `exe`.
    pub os_type: String,
    /// Number of guest NUMA cells (`<cpu><numa>`).
    pub numa_nodes: usize,
}

impl Default for DomainCtx {
    fn default() -> Self {
        DomainCtx {
            os_type: "hvm".into(),
            numa_nodes: 0,
        }
    }
}

/// The devices of a domain, grouped by kind in libvirt's order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Devices {
    /// `<emulator>`.
    pub emulator: Option<String>,
    /// Disks, in libvirt's order (grouped by bus as parsed).
    pub disks: Vec<Disk>,
    /// Controllers, sorted by type and index as libvirt keeps them.
    pub controllers: Vec<Controller>,
    /// Leases.
    pub leases: Vec<Lease>,
    /// Filesystems.
    pub filesystems: Vec<Filesystem>,
    /// Network interfaces in document order.
    pub interfaces: Vec<Interface>,
    /// Smartcards.
    pub smartcards: Vec<Smartcard>,
    /// Serial ports.
    pub serials: Vec<Chardev>,
    /// Parallel ports.
    pub parallels: Vec<Chardev>,
    /// Consoles (the first mirrors the first serial port when its target is `serial`).
    pub consoles: Vec<Chardev>,
    /// Channels.
    pub channels: Vec<Chardev>,
    /// Input devices.
    pub inputs: Vec<Input>,
    /// TPMs.
    pub tpms: Vec<Tpm>,
    /// Graphics.
    pub graphics: Vec<Graphics>,
    /// Sound cards.
    pub sounds: Vec<Sound>,
    /// Audio backends.
    pub audios: Vec<Audio>,
    /// Video adapters (the primary one first).
    pub videos: Vec<Video>,
    /// Host devices.
    pub hostdevs: Vec<Hostdev>,
    /// Redirected USB devices.
    pub redirdevs: Vec<Redirdev>,
    /// `<redirfilter>` rules, when the element is present.
    pub redirfilter: Option<Vec<UsbRule>>,
    /// USB hubs.
    pub hubs: Vec<Simple>,
    /// The watchdog.
    pub watchdog: Option<Watchdog>,
    /// The memory balloon.
    pub memballoon: Option<Memballoon>,
    /// Random number generators.
    pub rngs: Vec<Rng>,
    /// `<nvram>`.
    pub nvram: Option<Simple>,
    /// Panic devices.
    pub panics: Vec<Simple>,
    /// Shared memory devices.
    pub shmems: Vec<Shmem>,
    /// Memory devices.
    pub memories: Vec<MemoryDevice>,
    /// The IOMMU.
    pub iommu: Option<Simple>,
    /// The vsock device.
    pub vsock: Option<Simple>,
}

impl Devices {
    /// Whether any device carries a `<boot order>` (then libvirt adds no
    /// default `<os><boot dev='hd'/>`, and refuses one given).
    pub fn has_boot_order(&self) -> bool {
        self.disks.iter().any(|d| d.info.boot_order.is_some())
            || self.interfaces.iter().any(|n| n.info.boot_order.is_some())
            || self.hostdevs.iter().any(|h| h.info.boot_order.is_some())
            || self.redirdevs.iter().any(|r| r.info.boot_order.is_some())
    }

    /// The summed target size of memory devices, in KiB.
    pub fn memory_devices_kib(&self) -> u64 {
        self.memories.iter().map(|m| m.size).sum()
    }

    /// The disk with target `dev`.
    pub fn disk_by_target(&self, dev: &str) -> Option<&Disk> {
        self.disks.iter().find(|d| d.target == dev)
    }

    /// The interface with target `dev` or MAC address `mac` (any case).
    pub fn interface_by(&self, key: &str) -> Option<&Interface> {
        let mac = Mac::parse(key).map(|m| m.to_string());
        self.interfaces
            .iter()
            .find(|n| n.target_dev.as_deref() == Some(key) || (mac.is_some() && n.mac == mac))
    }
}

/// Reads `<devices>` of an HVM guest without NUMA cells.
pub fn parse(el: &Element, opts: &ParseOptions) -> Result<Devices> {
    parse_in(el, opts, &DomainCtx::default())
}

fn insert_disk(list: &mut Vec<Disk>, d: Disk) {
    let idx = |t: &str| disk::disk_name_index(t).map(i64::from).unwrap_or(-1);
    let new_idx = idx(&d.target);
    let mut at: Option<usize> = None;
    for i in (0..list.len()).rev() {
        if list[i].bus != d.bus {
            continue;
        }
        if idx(&list[i].target) > new_idx {
            at = Some(i);
        } else if at.is_none() {
            at = Some(i + 1);
        }
    }
    match at {
        Some(i) => list.insert(i, d),
        None => list.push(d),
    }
}

fn next_port(list: &[Chardev]) -> i32 {
    list.iter()
        .filter_map(|c| c.target_port)
        .max()
        .map(|m| m + 1)
        .unwrap_or(0)
}

/// Reads `<devices>` with knowledge of the rest of the domain.
pub fn parse_in(el: &Element, opts: &ParseOptions, ctx: &DomainCtx) -> Result<Devices> {
    let inactive = opts.inactive;
    let mut d = Devices {
        emulator: el.child_text("emulator"),
        ..Default::default()
    };
    for x in el.children_named("disk") {
        let disk = disk::parse(x, inactive)?;
        insert_disk(&mut d.disks, disk);
    }
    for x in el.children_named("controller") {
        let c = controller::parse(x)?;
        controller::insert_sorted(&mut d.controllers, c);
    }
    for x in el.children_named("lease") {
        d.leases.push(misc::parse_lease(x)?);
    }
    for x in el.children_named("filesystem") {
        d.filesystems.push(misc::parse_filesystem(x)?);
    }
    for x in el.children_named("interface") {
        d.interfaces
            .push(interface::parse(x, opts.profile.mac_prefix, inactive)?);
    }
    for x in el.children_named("smartcard") {
        d.smartcards.push(misc::parse_smartcard(x)?);
    }
    for x in el.children_named("parallel") {
        let mut c = chardev::parse(x, ChrKind::Parallel, inactive)?;
        if c.target_port.is_none() {
            c.target_port = Some(next_port(&d.parallels));
        }
        d.parallels.push(c);
    }
    for x in el.children_named("serial") {
        d.serials.push(chardev::parse(x, ChrKind::Serial, inactive)?);
    }
    for x in el.children_named("console") {
        let mut c = chardev::parse(x, ChrKind::Console, inactive)?;
        if c.target_type.is_none() && ctx.os_type == "hvm" {
            c.target_type = Some("serial".into());
        }
        // A console's port is its position among the consoles.
        c.target_port = Some(d.consoles.len() as i32);
        d.consoles.push(c);
    }
    for x in el.children_named("channel") {
        d.channels.push(chardev::parse(x, ChrKind::Channel, inactive)?);
    }
    for x in el.children_named("input") {
        d.inputs.push(misc::parse_input(x, &ctx.os_type)?);
    }
    for x in el.children_named("graphics") {
        d.graphics.push(graphics::parse(x, inactive)?);
    }
    for x in el.children_named("sound") {
        d.sounds.push(misc::parse_sound(x)?);
    }
    for x in el.children_named("audio") {
        d.audios.push(misc::parse_audio(x)?);
    }
    for x in el.children_named("video") {
        let v = video::parse(x, opts.profile.default_video)?;
        if v.primary {
            if d.videos.iter().any(|o| o.primary) {
                return Err(unsupported("Only one primary video device is supported"));
            }
            d.videos.insert(0, v);
        } else {
            d.videos.push(v);
        }
    }
    if let Some(first) = d.videos.first_mut() {
        first.primary = first.model != "none";
    }
    for x in el.children_named("hostdev") {
        d.hostdevs.push(hostdev::parse(x)?);
    }
    let mut watchdogs = el.children_named("watchdog");
    if let Some(x) = watchdogs.next() {
        if watchdogs.next().is_some() {
            return Err(internal("only a single watchdog device is supported"));
        }
        d.watchdog = Some(misc::parse_watchdog(x)?);
    }
    let mut balloons = el.children_named("memballoon");
    if let Some(x) = balloons.next() {
        if balloons.next().is_some() {
            return Err(internal("only a single memory balloon device is supported"));
        }
        d.memballoon = Some(misc::parse_memballoon(x)?);
    }
    for x in el.children_named("rng") {
        d.rngs.push(misc::parse_rng(x)?);
    }
    for x in el.children_named("tpm") {
        d.tpms.push(misc::parse_tpm(x)?);
    }
    let mut nvrams = el.children_named("nvram");
    if let Some(x) = nvrams.next() {
        if nvrams.next().is_some() {
            return Err(internal("only a single nvram device is supported"));
        }
        d.nvram = Some(misc::parse_nvram(x)?);
    }
    for x in el.children_named("hub") {
        d.hubs.push(misc::parse_hub(x)?);
    }
    for x in el.children_named("redirdev") {
        d.redirdevs.push(misc::parse_redirdev(x)?);
    }
    let mut filters = el.children_named("redirfilter");
    if let Some(x) = filters.next() {
        if filters.next().is_some() {
            return Err(internal("only one set of redirection filter rule is supported"));
        }
        d.redirfilter = Some(misc::parse_redirfilter(x)?);
    }
    for x in el.children_named("panic") {
        d.panics.push(misc::parse_panic(x)?);
    }
    for x in el.children_named("shmem") {
        d.shmems.push(misc::parse_shmem(x)?);
    }
    for x in el.children_named("memory") {
        d.memories.push(misc::parse_memory(x, ctx.numa_nodes)?);
    }
    let mut iommus = el.children_named("iommu");
    if let Some(x) = iommus.next() {
        if iommus.next().is_some() {
            return Err(dom_xml_err("only a single IOMMU device is supported"));
        }
        d.iommu = Some(misc::parse_iommu(x)?);
    }
    let mut vsocks = el.children_named("vsock");
    if let Some(x) = vsocks.next() {
        if vsocks.next().is_some() {
            return Err(dom_xml_err("only a single vsock device is supported"));
        }
        d.vsock = Some(misc::parse_vsock(x)?);
    }
    post_parse(&mut d, ctx, opts.profile)?;
    Ok(d)
}

fn post_parse(d: &mut Devices, ctx: &DomainCtx, profile: &crate::domain::Profile) -> Result<()> {
    for disk in &mut d.disks {
        disk::post_parse(disk, profile.wide_scsi)?;
    }
    controller::assign_indexes(&mut d.controllers);
    controller::assign_usb_masters(&mut d.controllers)?;
    assign_serial_ports(&mut d.serials);
    assign_hostdev_scsi(d);
    validate(d)?;
    if ctx.os_type == "hvm" {
        console_compat(d)?;
    }
    // Checked after the console pairing: a console that mirrors the first
    // serial port is not checked on its own.
    for c in d
        .serials
        .iter()
        .chain(&d.parallels)
        .chain(&d.consoles)
        .chain(&d.channels)
    {
        // libvirt picks the socket path of virtio channels itself.
        let auto_path = c.dev == ChrKind::Channel
            && c.target_type.as_deref() == Some("virtio")
            && c.source.kind == "unix"
            && c.source.path.is_none();
        if !auto_path {
            chardev::validate_source(&c.source)?;
        }
    }

    implicit_controllers(d);
    if !d.graphics.is_empty() && d.videos.is_empty() {
        d.videos
            .push(if !matches!(ctx.os_type.as_str(), "xen" | "linux") {
                Video::default_for_graphics(profile.default_video)
            } else {
                Video {
                    model: "xen".into(),
                    vram: 4096,
                    heads: 1,
                    primary: true,
                    ..Default::default()
                }
            });
    }
    Ok(())
}

/// ISA serial ports take the first port no other ISA port uses; the rest
/// continue after the highest port in use.
fn assign_serial_ports(serials: &mut [Chardev]) {
    let isa = |c: &Chardev| c.target_type.as_deref() == Some("isa-serial");
    for i in 0..serials.len() {
        if isa(&serials[i]) && serials[i].target_port.is_none() {
            let mut p = 0;
            while serials.iter().any(|c| isa(c) && c.target_port == Some(p)) {
                p += 1;
            }
            serials[i].target_port = Some(p);
        }
    }
    for i in 0..serials.len() {
        if serials[i].target_port.is_none() {
            serials[i].target_port = Some(next_port(serials));
        }
    }
}

fn drive_used(d: &Devices, controller: u32, unit: u32) -> bool {
    let hit = |a: &Option<Address>| matches!(a, Some(Address::Drive { controller: c, bus: 0, target: 0, unit: u }) if *c == controller && *u == unit);
    d.disks
        .iter()
        .any(|x| x.bus.as_deref() == Some("scsi") && hit(&x.info.address))
        || d.hostdevs.iter().any(|h| hit(&h.info.address))
}

fn assign_hostdev_scsi(d: &mut Devices) {
    for i in 0..d.hostdevs.len() {
        if d.hostdevs[i].kind != "scsi" || d.hostdevs[i].mode != "subsystem" {
            continue;
        }
        if d.hostdevs[i].info.address.is_some() {
            continue;
        }
        let mut controller = 0;
        let unit = loop {
            if let Some(u) = (0..7).find(|u| !drive_used(d, controller, *u)) {
                break u;
            }
            controller += 1;
        };
        d.hostdevs[i].info.address = Some(Address::Drive {
            controller,
            bus: 0,
            target: 0,
            unit,
        });
    }
}

fn validate(d: &Devices) -> Result<()> {
    for disk in &d.disks {
        disk::validate(disk)?;
    }
    for (i, a) in d.disks.iter().enumerate() {
        for b in &d.disks[i + 1..] {
            if a.target == b.target {
                return Err(dom_xml_err(format!(
                    "target '{}' duplicated for disk sources '{}' and '{}'",
                    a.target,
                    a.source_name().as_deref().unwrap_or("<null>"),
                    b.source_name().as_deref().unwrap_or("<null>")
                )));
            }
        }
    }
    if !d.redirdevs.is_empty() {
        let usb: Vec<&Controller> = d.controllers.iter().filter(|c| c.kind == "usb").collect();
        if usb.is_empty() || usb.iter().any(|c| c.model.as_deref() == Some("none")) {
            return Err(unsupported(
                "cannot add redirected USB device: USB is disabled for this domain",
            ));
        }
    }
    let usb_none = d
        .controllers
        .iter()
        .any(|c| c.kind == "usb" && c.model.as_deref() == Some("none"));
    if usb_none && d.controllers.iter().filter(|c| c.kind == "usb").count() > 1 {
        return Err(Error::with(
            VIR_FROM_DOMAIN,
            VIR_ERR_XML_DETAIL,
            "Can't add another USB controller: USB is disabled for this domain",
        ));
    }
    for (i, c) in d.controllers.iter().enumerate() {
        // USB companions share their master's index.
        if c.kind != "usb"
            && d.controllers[..i]
                .iter()
                .any(|o| o.kind == c.kind && o.index == c.index)
        {
            return Err(dom_xml_err(format!(
                "Multiple '{}' controllers with index '{}'",
                c.kind,
                c.index.unwrap_or(0)
            )));
        }
        for (attr, lo, hi) in [
            ("busNr", 1, 254),
            ("chassisNr", 1, 255),
            ("chassis", 0, 255),
            ("port", 0, 255),
        ] {
            if let Some(v) = c.target.get(attr).and_then(|v| v.parse::<i64>().ok()) {
                if v < lo || v > hi {
                    return Err(unsupported(format!(
                        "PCI controller {attr} '{v}' out of range - must be {lo}-{hi}"
                    )));
                }
            }
        }
    }
    for (i, a) in d.disks.iter().enumerate() {
        if let Some(Address::Drive {
            controller,
            bus,
            target,
            unit,
        }) = a.info.address
        {
            if let Some(b) = d.disks[..i]
                .iter()
                .find(|b| b.bus == a.bus && b.info.address == a.info.address)
            {
                return Err(unsupported(format!(
                    "Found duplicate drive address for disk with target name '{}' controller='{controller}' bus='{bus}' target='{target}' unit='{unit}'",
                    b.target
                )));
            }
        }
    }
    for (i, h) in d.hostdevs.iter().enumerate() {
        let same = |o: &Hostdev| {
            o.mode == h.mode
                && o.kind == h.kind
                && o.pci == h.pci
                && o.vendor == h.vendor
                && o.product == h.product
                && o.usb_addr == h.usb_addr
                && o.adapter == h.adapter
                && o.scsi_addr == h.scsi_addr
                && o.mdev_uuid == h.mdev_uuid
                && o.source_attrs == h.source_attrs
                && o.caps_source == h.caps_source
        };
        if d.hostdevs[..i].iter().any(same) {
            return Err(dom_xml_err("Hostdev already exists in the domain configuration"));
        }
    }
    for (i, p) in d.panics.iter().enumerate() {
        let model = p.attrs.get("model").unwrap_or("default");
        if d.panics[..i]
            .iter()
            .any(|q| q.attrs.get("model").unwrap_or("default") == model)
        {
            return Err(dom_xml_err(format!(
                "Multiple panic devices with model '{model}'"
            )));
        }
    }
    let mut seen: Vec<u32> = Vec::new();
    let infos = d
        .disks
        .iter()
        .map(|x| &x.info)
        .chain(d.interfaces.iter().map(|x| &x.info))
        .chain(d.hostdevs.iter().map(|x| &x.info))
        .chain(d.redirdevs.iter().map(|x| &x.info));
    for info in infos {
        if let Some(b) = info.boot_order {
            if seen.contains(&b) {
                return Err(unsupported(format!(
                    "boot order '{b}' used for more than one device"
                )));
            }
            seen.push(b);
        }
    }
    Ok(())
}

fn console_compat(d: &mut Devices) -> Result<()> {
    let first_serialish = d
        .consoles
        .first()
        .is_some_and(|c| matches!(c.target_type.as_deref(), None | Some("serial")));
    if d.consoles.len() > 1
        && d.consoles[1..]
            .iter()
            .any(|c| c.target_type.as_deref() == Some("serial"))
    {
        return Err(unsupported("Only the first console can be a serial port"));
    }
    if first_serialish {
        if d.serials.is_empty() {
            let mut s = d.consoles[0].clone();
            s.dev = ChrKind::Serial;
            s.target_type = None;
            s.target_port = Some(0);
            s.target_model = None;
            d.serials.push(s);
        }
        d.consoles[0] = Chardev {
            dev: ChrKind::Console,
            target_type: Some("serial".into()),
            ..Default::default()
        };
    } else if d
        .serials
        .first()
        .is_some_and(|s| matches!(s.target_type.as_deref(), None | Some("isa-serial")))
    {
        d.consoles.insert(
            0,
            Chardev {
                dev: ChrKind::Console,
                target_type: Some("serial".into()),
                ..Default::default()
            },
        );
    }
    Ok(())
}

fn implicit_controllers(d: &mut Devices) {
    for (ctype, bus) in [("scsi", "scsi"), ("fdc", "fdc"), ("ide", "ide"), ("sata", "sata")] {
        let max = d
            .disks
            .iter()
            .filter(|x| x.bus.as_deref() == Some(bus))
            .filter_map(|x| match x.info.address {
                Some(Address::Drive { controller, .. }) => Some(controller as i64),
                _ => None,
            })
            .max();
        if let Some(max) = max {
            for i in 0..=max {
                controller::ensure(&mut d.controllers, ctype, i as i32);
            }
        }
    }
    let vs_index = |c: &Chardev| match c.info.address {
        Some(Address::VirtioSerial { controller, .. }) => controller as i32,
        _ => 0,
    };
    let mut wanted = Vec::new();
    for c in &d.channels {
        if c.target_type.as_deref() == Some("virtio") {
            wanted.push(vs_index(c));
        }
    }
    for c in &d.consoles {
        if c.target_type.as_deref() == Some("virtio") {
            wanted.push(vs_index(c));
        }
    }
    for i in wanted {
        controller::ensure(&mut d.controllers, "virtio-serial", i);
    }
    for i in 0..d.smartcards.len() {
        let idx = match d.smartcards[i].info.address {
            Some(Address::Ccid { controller, .. }) => controller as i32,
            _ => {
                let max = d
                    .smartcards
                    .iter()
                    .filter_map(|s| match s.info.address {
                        Some(Address::Ccid { controller: 0, slot }) => Some(slot as i64),
                        _ => None,
                    })
                    .max()
                    .unwrap_or(-1);
                d.smartcards[i].info.address = Some(Address::Ccid {
                    controller: 0,
                    slot: (max + 1) as u32,
                });
                0
            }
        };
        controller::ensure(&mut d.controllers, "ccid", idx);
    }
    let max = d
        .hostdevs
        .iter()
        .filter(|h| h.mode == "subsystem" && h.kind == "scsi")
        .filter_map(|h| match h.info.address {
            Some(Address::Drive { controller, .. }) => Some(controller as i64),
            _ => None,
        })
        .max();
    if let Some(max) = max {
        for i in 0..=max {
            controller::ensure(&mut d.controllers, "scsi", i as i32);
        }
    }
}

/// Writes `<devices>`.
pub fn format(devs: &Devices, w: &mut Writer, opts: &FormatOptions) {
    w.open("devices", &[]);
    if let Some(e) = &devs.emulator {
        w.text("emulator", &[], e);
    }
    let mut out: Vec<Out> = Vec::new();
    out.extend(devs.disks.iter().map(|x| disk::format(x, opts)));
    out.extend(devs.controllers.iter().map(controller::format));
    out.extend(devs.leases.iter().map(misc::format_lease));
    out.extend(devs.filesystems.iter().map(misc::format_filesystem));
    out.extend(devs.interfaces.iter().map(|n| interface::format(n, opts)));
    out.extend(devs.smartcards.iter().map(misc::format_smartcard));
    out.extend(devs.serials.iter().map(chardev::format));
    out.extend(devs.parallels.iter().map(chardev::format));
    for (i, c) in devs.consoles.iter().enumerate() {
        if i == 0 && c.target_type.as_deref() == Some("serial") && !devs.serials.is_empty() {
            let mut mirror = devs.serials[0].clone();
            mirror.dev = ChrKind::Console;
            mirror.target_type = Some("serial".into());
            mirror.target_model = None;
            out.push(chardev::format(&mirror).into_owned());
        } else {
            out.push(chardev::format(c));
        }
    }
    out.extend(devs.channels.iter().map(chardev::format));
    // Migratable output leaves out the keyboards every PS/2 or Xen guest has implicitly.
    out.extend(
        devs.inputs
            .iter()
            .filter(|i| {
                !(opts.migratable
                    && i.kind == "keyboard"
                    && matches!(i.bus.as_deref(), Some("ps2") | Some("xen")))
            })
            .map(misc::format_input),
    );
    out.extend(devs.tpms.iter().map(misc::format_tpm));
    out.extend(devs.graphics.iter().map(|g| graphics::format(g, opts)));
    out.extend(devs.sounds.iter().map(misc::format_sound));
    out.extend(devs.audios.iter().map(misc::format_audio));
    out.extend(devs.videos.iter().map(video::format));
    out.extend(devs.hostdevs.iter().map(hostdev::format));
    out.extend(devs.redirdevs.iter().map(misc::format_redirdev));
    if let Some(f) = devs.redirfilter.as_ref().filter(|f| !f.is_empty()) {
        out.push(misc::format_redirfilter(f));
    }
    out.extend(devs.hubs.iter().map(|h| misc::format_simple("hub", h)));
    out.extend(devs.watchdog.iter().map(misc::format_watchdog));
    out.extend(devs.memballoon.iter().map(misc::format_memballoon));
    out.extend(devs.rngs.iter().map(misc::format_rng));
    out.extend(devs.nvram.iter().map(|n| {
        let mut o = misc::format_simple("nvram", n);
        // libvirt writes an address-less nvram open and closed.
        o.keep_open();
        o
    }));
    for p in &devs.panics {
        let o = misc::format_simple("panic", p);
        if !o.is_bare() {
            out.push(o);
        }
    }
    out.extend(devs.shmems.iter().map(misc::format_shmem));
    out.extend(devs.memories.iter().map(misc::format_memory));
    out.extend(devs.iommu.iter().map(|x| misc::format_simple("iommu", x)));
    out.extend(devs.vsock.iter().map(|x| misc::format_simple("vsock", x)));
    for o in &out {
        o.write(w);
    }
    w.close("devices");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Profile;
    use crate::xml::dom;

    fn devices(xml: &str, profile: &Profile, inactive: bool) -> Result<Devices> {
        let el = dom::parse(&format!("<devices>{xml}</devices>")).expect("well-formed");
        parse(&el, &ParseOptions { profile, inactive })
    }

    fn render(d: &Devices, opts: &FormatOptions) -> String {
        let mut w = Writer::new();
        format(d, &mut w, opts);
        w.finish()
    }

    fn drive_of(d: &Disk) -> (u32, u32) {
        match d.info.address {
            Some(Address::Drive { controller, unit, .. }) => (controller, unit),
            ref a => panic!("no drive address: {a:?}"),
        }
    }

    #[test]
    fn vmware_scsi_buses_are_wide() {
        let xml = "<disk type='file' device='disk'><source file='/a.vmdk'/><target dev='sdh' bus='scsi'/></disk>\
                   <disk type='file' device='disk'><source file='/b.vmdk'/><target dev='sdp' bus='scsi'/></disk>";
        let wide = devices(xml, &Profile::VMWARE, true).unwrap();
        // sdh is index 7: unit 7 is the controller's own, so unit 8.
        assert_eq!(drive_of(&wide.disks[0]), (0, 8));
        assert_eq!(drive_of(&wide.disks[1]), (1, 0));
        let scsi = wide.controllers.iter().filter(|c| c.kind == "scsi").count();
        assert_eq!(scsi, 2);
        let narrow = devices(xml, &Profile::TEST, true).unwrap();
        assert_eq!(drive_of(&narrow.disks[0]), (1, 0));
        assert_eq!(drive_of(&narrow.disks[1]), (2, 1));
    }

    #[test]
    fn vmware_video_defaults_to_vmvga_with_4_mib() {
        let vnc = "<graphics type='vnc'/>";
        let d = devices(vnc, &Profile::VMWARE, true).unwrap();
        assert_eq!((d.videos[0].model.as_str(), d.videos[0].vram), ("vmvga", 4096));
        let d = devices(
            "<video/><video><model type='vga'/></video>",
            &Profile::VMWARE,
            true,
        )
        .unwrap();
        assert_eq!((d.videos[0].model.as_str(), d.videos[0].vram), ("vmvga", 4096));
        assert_eq!((d.videos[1].model.as_str(), d.videos[1].vram), ("vga", 4096));
        let d = devices(vnc, &Profile::TEST, true).unwrap();
        assert_eq!((d.videos[0].model.as_str(), d.videos[0].vram), ("cirrus", 16384));
    }

    #[test]
    fn generated_macs_use_the_profile_prefix_and_differ() {
        let d = devices(
            "<interface type='user'/><interface type='network'><source network='n'/></interface>",
            &Profile::TEST,
            true,
        )
        .unwrap();
        let macs: Vec<&str> = d.interfaces.iter().map(|n| n.mac.as_deref().unwrap()).collect();
        assert!(macs
            .iter()
            .all(|m| m.starts_with("52:54:00:") && Mac::parse(m).is_some()));
        assert_ne!(macs[0], macs[1]);
        let xen = Profile {
            mac_prefix: [0x00, 0x16, 0x3e],
            ..Profile::TEST
        };
        let d = devices("<interface type='user'/>", &xen, true).unwrap();
        assert!(d.interfaces[0].mac.as_deref().unwrap().starts_with("00:16:3e:"));
    }

    #[test]
    fn given_macs_are_normalised_not_replaced() {
        let d = devices(
            "<interface type='user'><mac address='52:54:0:AB:c:1'/></interface>",
            &Profile::TEST,
            true,
        )
        .unwrap();
        assert_eq!(d.interfaces[0].mac.as_deref(), Some("52:54:00:ab:0c:01"));
    }

    #[test]
    fn generated_tap_names_do_not_survive_a_definition() {
        let xml = "<interface type='ethernet'><mac address='52:54:00:00:00:01'/><target dev='vnet3'/></interface>\
                   <interface type='ethernet'><mac address='52:54:00:00:00:02'/><target dev='macvtap0'/></interface>\
                   <interface type='ethernet'><mac address='52:54:00:00:00:03'/><target dev='vnet4' managed='no'/></interface>\
                   <interface type='ethernet'><mac address='52:54:00:00:00:04'/><target dev='mytap'/></interface>";
        let inactive = devices(xml, &Profile::TEST, true).unwrap();
        let names: Vec<Option<&str>> = inactive
            .interfaces
            .iter()
            .map(|n| n.target_dev.as_deref())
            .collect();
        assert_eq!(names, [None, None, Some("vnet4"), Some("mytap")]);
        // A running domain keeps them, and only inactive output hides them.
        let live = devices(xml, &Profile::TEST, false).unwrap();
        assert_eq!(live.interfaces[0].target_dev.as_deref(), Some("vnet3"));
        let shown = render(&live, &FormatOptions::default());
        assert!(shown.contains("<target dev='vnet3'/>"));
        let hidden = render(
            &live,
            &FormatOptions {
                inactive: true,
                ..Default::default()
            },
        );
        assert!(!hidden.contains("vnet3") && hidden.contains("<target dev='vnet4' managed='no'/>"));
    }

    #[test]
    fn untyped_virtual_ports_get_random_identifiers() {
        let xml = "<interface type='network'><mac address='52:54:00:00:00:01'/><source network='n'/><virtualport/></interface>";
        let a = devices(xml, &Profile::TEST, true).unwrap();
        let b = devices(xml, &Profile::TEST, true).unwrap();
        let params = |d: &Devices| d.interfaces[0].virtualport.clone().unwrap().params;
        for key in ["instanceid", "interfaceid"] {
            let x = params(&a).get(key).map(str::to_string).unwrap();
            assert!(crate::domain::Uuid::parse(&x).is_some());
            assert_ne!(Some(x.as_str()), params(&b).get(key));
        }
        let ovs = "<interface type='bridge'><mac address='52:54:00:00:00:01'/><source bridge='b'/><virtualport type='openvswitch'/></interface>";
        let d = devices(ovs, &Profile::TEST, true).unwrap();
        assert!(params(&d).get("interfaceid").is_some() && params(&d).get("instanceid").is_none());
    }

    #[test]
    fn lookups_find_disks_and_interfaces() {
        let d = devices(
            "<disk type='file'><source file='/a'/><target dev='vda'/></disk>\
             <interface type='user'><mac address='52:54:00:00:00:01'/><target dev='t0'/></interface>",
            &Profile::TEST,
            true,
        )
        .unwrap();
        assert_eq!(d.disk_by_target("vda").and_then(Disk::path), Some("/a"));
        assert!(d.interface_by("t0").is_some());
        assert!(d.interface_by("52:54:00:00:00:01").is_some());
        assert!(d.interface_by("52:54:00:00:00:02").is_none());
    }

    #[test]
    fn boot_orders_and_memory_devices_are_visible_to_the_domain() {
        let d = devices(
            "<disk type='file'><source file='/a'/><target dev='vda'/><boot order='1'/></disk>\
             <memory model='dimm'><target><size unit='MiB'>2</size></target></memory>",
            &Profile::TEST,
            true,
        )
        .unwrap();
        assert!(d.has_boot_order());
        assert_eq!(d.memory_devices_kib(), 2048);
    }
}
