//! `<address>` of every type and the rest of libvirt's per-device
//! information block (`<boot>`, `<alias>`, `<master>`, `<rom>`, `<acpi>`).

use super::util::*;
use crate::abi::*;
use crate::error::{Error, Result};
use crate::xml::dom::Element;

/// A PCI address, with the optional s390 `<zpci>` identifiers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PciAddress {
    /// PCI domain (libvirt allows 32 bits).
    pub domain: u32,
    /// Bus, 0..=0xff.
    pub bus: u32,
    /// Slot, 0..=0x1f.
    pub slot: u32,
    /// Function, 0..=7.
    pub function: u32,
    /// `multifunction` on/off.
    pub multifunction: Option<bool>,
    /// `<zpci uid=...>`.
    pub zpci_uid: Option<u32>,
    /// `<zpci fid=...>`.
    pub zpci_fid: Option<u32>,
}

impl PciAddress {
    /// libvirt treats an address with zero domain, bus and slot as unset.
    pub fn is_empty(&self) -> bool {
        self.domain == 0 && self.bus == 0 && self.slot == 0
    }
}

/// A device address (`<address type=...>`).
#[derive(Debug, Clone, PartialEq)]
pub enum Address {
    /// `type='pci'`.
    Pci(PciAddress),
    /// `type='drive'`: controller, bus, target, unit.
    Drive {
        /// Controller index.
        controller: u32,
        /// Bus.
        bus: u32,
        /// Target.
        target: u32,
        /// Unit.
        unit: u32,
    },
    /// `type='virtio-serial'`.
    VirtioSerial {
        /// Controller index.
        controller: u32,
        /// Bus.
        bus: u32,
        /// Port (0 = unassigned).
        port: u32,
    },
    /// `type='ccid'`.
    Ccid {
        /// Controller index.
        controller: u32,
        /// Slot.
        slot: u32,
    },
    /// `type='usb'`: bus and a hub path of up to four ports.
    Usb {
        /// Bus.
        bus: u32,
        /// Port path, zero-terminated.
        port: [u32; 4],
    },
    /// `type='spapr-vio'`.
    SpaprVio {
        /// `reg`, when given.
        reg: Option<u64>,
    },
    /// `type='ccw'`: (cssid, ssid, devno) when given.
    Ccw(Option<(u32, u32, u32)>),
    /// `type='virtio-mmio'`.
    VirtioMmio,
    /// `type='isa'`.
    Isa {
        /// I/O base, when given.
        iobase: Option<u32>,
        /// IRQ, when given.
        irq: Option<u32>,
    },
    /// `type='dimm'`.
    Dimm {
        /// Slot.
        slot: u32,
        /// Base address, when given.
        base: Option<u64>,
    },
    /// `type='unassigned'` (host devices only).
    Unassigned,
}

/// Where a device sits and how it boots: what libvirt formats after each
/// device's own children.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeviceInfo {
    /// `<boot order=...>`.
    pub boot_order: Option<u32>,
    /// `<boot loadparm=...>` (upper-cased as libvirt stores it).
    pub loadparm: Option<String>,
    /// `<alias name=...>` (only user aliases, `ua-...`, survive a definition).
    pub alias: Option<String>,
    /// `<master startport=...>` (USB companion controllers).
    pub master_startport: Option<u32>,
    /// `<rom enabled=...>`.
    pub rom_enabled: Option<bool>,
    /// `<rom bar=...>`.
    pub rom_bar: Option<bool>,
    /// `<rom file=...>`.
    pub rom_file: Option<String>,
    /// `<acpi index=...>`.
    pub acpi_index: Option<u32>,
    /// `<address>`.
    pub address: Option<Address>,
}

/// Which parts of the information block a device kind accepts.
#[derive(Debug, Clone, Copy, Default)]
pub struct InfoFlags {
    /// `<boot>` allowed.
    pub boot: bool,
    /// `<rom>` allowed.
    pub rom: bool,
    /// `type='unassigned'` addresses allowed (host devices only).
    pub unassigned: bool,
}

/// The information block every device kind reads.
pub const INFO_PLAIN: InfoFlags = InfoFlags {
    boot: false,
    rom: false,
    unassigned: false,
};
/// Devices that can boot (disks, interfaces, host devices, redirected USB).
pub const INFO_BOOT: InfoFlags = InfoFlags {
    boot: true,
    rom: false,
    unassigned: false,
};
/// Devices that can boot and carry an option ROM.
pub const INFO_BOOT_ROM: InfoFlags = InfoFlags {
    boot: true,
    rom: true,
    unassigned: false,
};
/// Host devices: boot, ROM and unassigned addresses.
pub const INFO_HOSTDEV: InfoFlags = InfoFlags {
    boot: true,
    rom: true,
    unassigned: true,
};

fn dev_internal(detail: impl AsRef<str>) -> Error {
    Error::internal(VIR_FROM_DEVICE, detail)
}

fn usb_port(el: &Element, s: &str) -> Result<[u32; 4]> {
    let err = || dev_internal("Cannot parse <address> 'port' attribute");
    let _ = el;
    let mut port = [0u32; 4];
    let mut rest = s;
    let mut i = 0;
    loop {
        if i >= 4 {
            return Err(err());
        }
        // Each level is a decimal number as strtoul reads it, stopping at '.'.
        let (num, tail) = match rest.find('.') {
            Some(p) => (&rest[..p], Some(&rest[p + 1..])),
            None => (rest, None),
        };
        port[i] = to_uint(num, 10).ok_or_else(err)?;
        i += 1;
        match tail {
            None => break,
            Some("") => return Err(err()),
            Some(t) => rest = t,
        }
    }
    Ok(port)
}

fn need_u(el: &Element, name: &str, base: u32) -> Result<u32> {
    Ok(prop_uint(el, name, base)?.unwrap_or(0))
}

/// Reads an `<address>` element.
pub fn parse_address(el: &Element) -> Result<Address> {
    let Some(kind) = el.attr("type") else {
        return Err(internal("No type specified for device address"));
    };
    Ok(match kind {
        "pci" => {
            let mut a = PciAddress {
                domain: need_u(el, "domain", 0)?,
                bus: need_u(el, "bus", 0)?,
                slot: need_u(el, "slot", 0)?,
                function: need_u(el, "function", 0)?,
                multifunction: prop_onoff(el, "multifunction")?,
                ..Default::default()
            };
            if let Some(z) = el.child("zpci") {
                a.zpci_uid = prop_uint(z, "uid", 0)?;
                a.zpci_fid = prop_uint(z, "fid", 0)?;
            }
            if !a.is_empty() {
                let bad = |what: String| xml_err(VIR_FROM_NONE, what);
                if a.bus > 0xff {
                    return Err(bad(format!(
                        "Invalid PCI address bus='0x{:x}', must be <= 0xFF",
                        a.bus
                    )));
                }
                if a.slot > 0x1f {
                    return Err(bad(format!(
                        "Invalid PCI address slot='0x{:x}', must be <= 0x1F",
                        a.slot
                    )));
                }
                if a.function > 7 {
                    return Err(bad(format!(
                        "Invalid PCI address function=0x{:x}, must be <= 7",
                        a.function
                    )));
                }
            }
            Address::Pci(a)
        }
        "drive" => Address::Drive {
            controller: need_u(el, "controller", 10)?,
            bus: need_u(el, "bus", 10)?,
            target: need_u(el, "target", 10)?,
            unit: need_u(el, "unit", 10)?,
        },
        "virtio-serial" => Address::VirtioSerial {
            controller: need_u(el, "controller", 10)?,
            bus: need_u(el, "bus", 10)?,
            port: need_u(el, "port", 10)?,
        },
        "ccid" => Address::Ccid {
            controller: need_u(el, "controller", 10)?,
            slot: need_u(el, "slot", 10)?,
        },
        "usb" => {
            let bus = need_u(el, "bus", 10)?;
            let port = match el.attr("port") {
                Some(p) => usb_port(el, p)?,
                None => [0; 4],
            };
            Address::Usb { bus, port }
        }
        "spapr-vio" => Address::SpaprVio {
            reg: prop_ull(el, "reg", 16)?,
        },
        "ccw" => {
            let cssid = prop_uint(el, "cssid", 0)?;
            let ssid = prop_uint(el, "ssid", 0)?;
            let devno = prop_uint(el, "devno", 0)?;
            match (cssid, ssid, devno) {
                (None, None, None) => Address::Ccw(None),
                (Some(c), Some(s), Some(d)) => {
                    if c > 0xfe || s > 3 || d > 0xffff {
                        return Err(dev_internal(format!(
                            "Invalid specification for virtio ccw address: cssid='0x{c:x}' ssid='0x{s:x}' devno='0x{d:04x}'"
                        )));
                    }
                    Address::Ccw(Some((c, s, d)))
                }
                _ => {
                    return Err(dev_internal(
                        "Invalid partial specification for virtio ccw address",
                    ))
                }
            }
        }
        "virtio-mmio" => Address::VirtioMmio,
        "isa" => Address::Isa {
            iobase: prop_uint(el, "iobase", 16)?,
            irq: prop_uint(el, "irq", 16)?,
        },
        "dimm" => Address::Dimm {
            slot: prop_uint(el, "slot", 10)?.ok_or_else(|| missing_attr(el, "slot"))?,
            base: prop_ull(el, "base", 16)?,
        },
        "unassigned" => Address::Unassigned,
        "virtio-s390" => return Err(dom_xml_err("virtio-s390 bus doesn't have an address")),
        other => return Err(unsupported(format!("unknown address type '{other}'"))),
    })
}

/// The `<address>` element for output.
pub fn format_address(a: &Address) -> Out<'_> {
    let mut o = Out::new("address");
    match a {
        Address::Pci(p) => {
            o.a("type", "pci");
            if !p.is_empty() {
                o.a("domain", format!("0x{:04x}", p.domain))
                    .a("bus", format!("0x{:02x}", p.bus))
                    .a("slot", format!("0x{:02x}", p.slot))
                    .a("function", format!("0x{:x}", p.function));
            }
            o.o("multifunction", p.multifunction.map(onoff));
            if p.zpci_uid.is_some() || p.zpci_fid.is_some() {
                let mut z = Out::new("zpci");
                z.a("uid", format!("0x{:04x}", p.zpci_uid.unwrap_or(0)))
                    .a("fid", format!("0x{:08x}", p.zpci_fid.unwrap_or(0)));
                o.push(z);
            }
        }
        Address::Drive {
            controller,
            bus,
            target,
            unit,
        } => {
            o.a("type", "drive")
                .a("controller", controller)
                .a("bus", bus)
                .a("target", target)
                .a("unit", unit);
        }
        Address::VirtioSerial {
            controller,
            bus,
            port,
        } => {
            o.a("type", "virtio-serial")
                .a("controller", controller)
                .a("bus", bus)
                .a("port", port);
        }
        Address::Ccid { controller, slot } => {
            o.a("type", "ccid").a("controller", controller).a("slot", slot);
        }
        Address::Usb { bus, port } => {
            o.a("type", "usb").a("bus", bus);
            if port[0] != 0 {
                let mut s = port[0].to_string();
                for p in port[1..].iter().take_while(|p| **p != 0) {
                    s.push('.');
                    s.push_str(&p.to_string());
                }
                o.a("port", s);
            }
        }
        Address::SpaprVio { reg } => {
            o.a("type", "spapr-vio");
            o.o("reg", reg.map(|r| format!("0x{r:08x}")));
        }
        Address::Ccw(v) => {
            o.a("type", "ccw");
            let (c, s, d) = v.unwrap_or((0, 0, 0));
            o.a("cssid", format!("0x{c:x}"))
                .a("ssid", format!("0x{s:x}"))
                .a("devno", format!("0x{d:04x}"));
        }
        Address::VirtioMmio => {
            o.a("type", "virtio-mmio");
        }
        Address::Isa { iobase, irq } => {
            o.a("type", "isa");
            o.o("iobase", iobase.filter(|v| *v != 0).map(|v| format!("0x{v:x}")));
            o.o("irq", irq.filter(|v| *v != 0).map(|v| format!("0x{v:x}")));
        }
        Address::Dimm { slot, base } => {
            o.a("type", "dimm").a("slot", slot);
            o.o("base", base.filter(|v| *v != 0).map(|v| format!("0x{v:x}")));
        }
        Address::Unassigned => {
            o.a("type", "unassigned");
        }
    }
    o
}

/// Reads the information block from a device element.
pub fn parse_info(el: &Element, flags: InfoFlags) -> Result<DeviceInfo> {
    let mut info = DeviceInfo::default();
    if let Some(a) = el.child("alias") {
        info.alias = a
            .attr("name")
            .filter(|n| n.starts_with("ua-"))
            .map(str::to_string);
    }
    if let Some(m) = el.child("master") {
        info.master_startport = prop_uint(m, "startport", 10)?;
    }
    if flags.boot {
        if let Some(b) = el.child("boot") {
            let n = prop_uint_nonzero(b, "order", 10)?.ok_or_else(|| missing_attr(b, "order"))?;
            info.boot_order = Some(n);
            if let Some(lp) = b.attr("loadparm") {
                if lp.is_empty() || lp.chars().count() > 8 {
                    return Err(internal(format!(
                        "loadparm value '{lp}' must be between 1 and 8 characters"
                    )));
                }
                if !lp
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == ' ')
                {
                    return Err(internal(format!(
                        "invalid loadparm value '{}', expecting chars in set of [a-zA-Z0-9.] and blank spaces", lp.to_uppercase()
                    )));
                }
                info.loadparm = Some(lp.to_uppercase());
            }
        }
    }
    if flags.rom {
        if let Some(r) = el.child("rom") {
            info.rom_enabled = prop_yesno(r, "enabled")?;
            info.rom_bar = prop_onoff(r, "bar")?;
            info.rom_file = attr(r, "file");
        }
    }
    if let Some(a) = el.child("acpi") {
        info.acpi_index = prop_uint_nonzero(a, "index", 10)?;
    }
    if let Some(a) = el.child("address") {
        let addr = parse_address(a)?;
        if addr == Address::Unassigned && !flags.unassigned {
            return Err(unsupported(
                "address of type 'unassigned' is supported only for hostdevs",
            ));
        }
        info.address = Some(addr);
    }
    Ok(info)
}

/// Appends the information block to a device's output.
pub fn format_info<'a>(o: &mut Out<'a>, info: &'a DeviceInfo) {
    if let Some(b) = info.boot_order {
        let mut e = Out::new("boot");
        e.a("order", b).o("loadparm", info.loadparm.as_ref());
        o.push(e);
    }
    if let Some(a) = &info.alias {
        let mut e = Out::new("alias");
        e.a("name", a);
        o.push(e);
    }
    if let Some(sp) = info.master_startport {
        let mut e = Out::new("master");
        e.a("startport", sp);
        o.push(e);
    }
    if info.rom_enabled.is_some() || info.rom_bar.is_some() || info.rom_file.is_some() {
        let mut e = Out::new("rom");
        e.o("enabled", info.rom_enabled.map(yesno))
            .o("bar", info.rom_bar.map(onoff))
            .o("file", info.rom_file.as_ref());
        o.push(e);
    }
    if let Some(i) = info.acpi_index {
        let mut e = Out::new("acpi");
        e.a("index", i);
        o.push(e);
    }
    if let Some(a) = &info.address {
        o.push(format_address(a));
    }
}
