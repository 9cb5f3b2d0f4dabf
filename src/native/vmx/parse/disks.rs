//! Disks, CD-ROMs and floppies (`scsiX:Y`, `sataX:Y`, `ideX:Y`, `floppyN`)
//! and the controllers they imply.

use super::values::{error, index_to_disk_name, Vmx};
use crate::abi::{VIR_ERR_CONFIG_UNSUPPORTED, VIR_FROM_NONE};
use crate::domain::devices::controller;
use crate::domain::devices::{Address, Controller, Disk};
use crate::error::{Error, Result};
use crate::native::vmx::Context;

/// The bus a VMX disk sits on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bus {
    Scsi,
    Sata,
    Ide,
    Fdc,
}

impl Bus {
    fn name(self) -> &'static str {
        match self {
            Bus::Scsi => "scsi",
            Bus::Sata => "sata",
            Bus::Ide => "ide",
            Bus::Fdc => "fdc",
        }
    }
}

/// What a VMX entry was parsed as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Device {
    Disk,
    Cdrom,
    Floppy,
}

/// The SCSI controller models VMX knows, as libvirt names them.
fn scsi_model(virtual_dev: &str) -> Option<&'static str> {
    match virtual_dev {
        "buslogic" => Some("buslogic"),
        "lsilogic" => Some("lsilogic"),
        "lsisas1068" => Some("lsisas1068"),
        "pvscsi" => Some("vmpvscsi"),
        _ => None,
    }
}

/// `scsiN.present` and `scsiN.virtualDev`: whether the controller exists and
/// its model.
fn scsi_controller(vmx: &Vmx, controller: u32) -> Result<(bool, Option<&'static str>)> {
    let present = vmx.boolean(&format!("scsi{controller}.present"), false, true)?;
    if !present {
        return Ok((false, None));
    }
    let name = format!("scsi{controller}.virtualDev");
    let Some(dev) = vmx.string(&name, true)? else {
        return Ok((true, None));
    };
    let dev = dev.to_ascii_lowercase();
    match scsi_model(&dev) {
        Some(m) => Ok((true, Some(m))),
        None => Err(error(format!(
            "Expecting VMX entry '{name}' to be 'buslogic' or 'lsilogic' or 'lsisas1068' or 'pvscsi' but found '{dev}'"
        ))),
    }
}

/// Every disk of the file in libvirt's order (SCSI, SATA, IDE, floppy), with
/// the controllers they use, the SCSI ones carrying their VMX model.
pub(crate) fn parse_all(ctx: &Context, vmx: &Vmx) -> Result<(Vec<Disk>, Vec<Controller>)> {
    let mut disks = Vec::new();
    let mut scsi_models: [Option<&'static str>; 4] = [None; 4];

    for ctrl in 0..4u32 {
        let (present, model) = scsi_controller(vmx, ctrl)?;
        scsi_models[ctrl as usize] = model;
        if !present {
            continue;
        }
        for unit in 0..16u32 {
            // Unit 7 is the controller itself.
            if unit == 7 {
                continue;
            }
            if let Some(d) = parse_disk_or_cdrom(ctx, vmx, Bus::Scsi, ctrl, unit)? {
                disks.push(d);
            }
        }
    }

    for ctrl in 0..4u32 {
        if !vmx.boolean(&format!("sata{ctrl}.present"), false, true)? {
            continue;
        }
        for unit in 0..30u32 {
            if let Some(d) = parse_disk_or_cdrom(ctx, vmx, Bus::Sata, ctrl, unit)? {
                disks.push(d);
            }
        }
    }

    for bus in 0..2u32 {
        for unit in 0..2u32 {
            if let Some(d) = parse_disk_or_cdrom(ctx, vmx, Bus::Ide, bus, unit)? {
                disks.push(d);
            }
        }
    }

    for unit in 0..2u32 {
        if let Some(d) = parse_disk(ctx, vmx, Device::Floppy, Bus::Fdc, 0, unit)? {
            disks.push(d);
        }
    }

    let controllers = implicit_controllers(&disks, &scsi_models)?;
    Ok((disks, controllers))
}

fn parse_disk_or_cdrom(ctx: &Context, vmx: &Vmx, bus: Bus, ctrl: u32, unit: u32) -> Result<Option<Disk>> {
    match parse_disk(ctx, vmx, Device::Disk, bus, ctrl, unit)? {
        Some(d) => Ok(Some(d)),
        None => parse_disk(ctx, vmx, Device::Cdrom, bus, ctrl, unit),
    }
}

/// The controllers for the disks' addresses, indexes 0 up to the highest in
/// use, SCSI ones with their model.  libvirt adds the SCSI and then the SATA
/// ones right after reading those disks; the floppy and IDE ones come from
/// its generic post-parse step, in that order.
fn implicit_controllers(disks: &[Disk], scsi_models: &[Option<&'static str>; 4]) -> Result<Vec<Controller>> {
    let mut list: Vec<Controller> = Vec::new();
    for kind in ["scsi", "sata", "fdc", "ide"] {
        let max = disks
            .iter()
            .filter(|d| d.bus.as_deref() == Some(kind))
            .filter_map(|d| match d.info.address {
                Some(Address::Drive { controller, .. }) => Some(controller),
                _ => None,
            })
            .max();
        if let Some(max) = max {
            for i in 0..=max {
                let index = i32::try_from(i)
                    .map_err(|_| error(format!("{kind} controller index {i} is too large")))?;
                controller::ensure(&mut list, kind, index);
            }
        }
    }
    for c in list.iter_mut().filter(|c| c.kind == "scsi") {
        let idx = c.index.unwrap_or(0);
        if !(0..=3).contains(&idx) {
            return Err(error(format!("SCSI controller index {idx} out of [0..3] range")));
        }
        c.model = scsi_models[idx as usize].map(str::to_string);
    }
    Ok(list)
}

/// libvirt's default drive address for a target name on a bus (VMware's
/// wide SCSI bus: 15 units per controller, unit 7 skipped).
fn drive_address(bus: Bus, index: u32) -> Address {
    let (controller, bus_nr, unit) = match bus {
        Bus::Scsi => {
            let unit = index % 15;
            (index / 15, 0, if unit >= 7 { unit + 1 } else { unit })
        }
        Bus::Sata => (index / 6, 0, index % 6),
        Bus::Ide => (index / 4, (index % 4) / 2, index % 2),
        Bus::Fdc => (index / 2, 0, index % 2),
    };
    Address::Drive {
        controller,
        bus: bus_nr,
        target: 0,
        unit,
    }
}

fn has_suffix_ci(s: &str, suffix: &str) -> bool {
    s.len() >= suffix.len() && s.as_bytes()[s.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
}

fn eq_ci(a: Option<&str>, b: &str) -> bool {
    a.is_some_and(|a| a.eq_ignore_ascii_case(b))
}

fn map_file(ctx: &Context, name: &str, allow_missing: bool) -> Result<Option<String>> {
    match ctx.parse_file_name {
        Some(f) => f(name, allow_missing),
        None => Err(error("virVMXContext has no parseFileName function set")),
    }
}

/// One VMX disk entry read as `device`; `None` when it is absent, not
/// present, connected on the client side, or (for disk and CD-ROM) of the
/// other kind.
pub(crate) fn parse_disk(
    ctx: &Context,
    vmx: &Vmx,
    device: Device,
    bus: Bus,
    ctrl: u32,
    unit: u32,
) -> Result<Option<Disk>> {
    let (prefix, index, dst_prefix) = match (device, bus) {
        (Device::Disk | Device::Cdrom, Bus::Scsi) => {
            if ctrl > 3 {
                return Err(error(format!("SCSI controller index {ctrl} out of [0..3] range")));
            }
            if unit > 15 || unit == 7 {
                return Err(error(format!("SCSI unit index {unit} out of [0..6,8..15] range")));
            }
            let idx = ctrl * 15 + if unit < 7 { unit } else { unit - 1 };
            (format!("scsi{ctrl}:{unit}"), idx, "sd")
        }
        (Device::Disk | Device::Cdrom, Bus::Sata) => {
            if ctrl > 3 {
                return Err(error(format!("SATA controller index {ctrl} out of [0..3] range")));
            }
            if unit >= 30 {
                return Err(error(format!("SATA unit index {unit} out of [0..29] range")));
            }
            (format!("sata{ctrl}:{unit}"), ctrl * 30 + unit, "sd")
        }
        (Device::Disk | Device::Cdrom, Bus::Ide) => {
            if ctrl > 1 {
                return Err(error(format!("IDE bus index {ctrl} out of [0..1] range")));
            }
            if unit > 1 {
                return Err(error(format!("IDE unit index {unit} out of [0..1] range")));
            }
            (format!("ide{ctrl}:{unit}"), ctrl * 2 + unit, "hd")
        }
        (Device::Floppy, Bus::Fdc) => {
            if ctrl != 0 {
                return Err(error(format!("FDC controller index {ctrl} out of [0] range")));
            }
            if unit > 1 {
                return Err(error(format!("FDC unit index {unit} out of [0..1] range")));
            }
            (format!("floppy{unit}"), unit, "fd")
        }
        (device, bus) => {
            let dev = match device {
                Device::Disk => "disk",
                Device::Cdrom => "cdrom",
                Device::Floppy => "floppy",
            };
            return Err(Error::with(
                VIR_FROM_NONE,
                VIR_ERR_CONFIG_UNSUPPORTED,
                format!("Unsupported bus type '{}' for device type '{dev}'", bus.name()),
            ));
        }
    };
    let key = |suffix: &str| format!("{prefix}.{suffix}");

    let present = vmx.boolean(&key("present"), false, true)?;
    vmx.boolean(&key("startConnected"), true, true)?;
    if !present {
        return Ok(None);
    }
    let device_type_name = key("deviceType");
    let device_type = vmx.string(&device_type_name, true)?;
    let client_device = vmx.boolean(&key("clientDevice"), false, true)?;
    let mode = vmx.string(&key("mode"), true)?;
    if client_device {
        // Devices connected through the client cannot be represented.
        return Ok(None);
    }
    let file_type = vmx.string(&key("fileType"), true)?;
    let file_name_name = key("fileName");
    let file_name = vmx.string(&file_name_name, true)?;
    let write_through = vmx.boolean(&key("writeThrough"), false, true)?;

    let dt = device_type.as_deref();
    let fname = file_name.as_deref();
    let not_handled = || {
        error(format!(
            "Invalid or not yet handled value '{}' for VMX entry '{file_name_name}' for device type '{}'",
            fname.unwrap_or("<null>"),
            dt.unwrap_or("unknown")
        ))
    };

    let mut disk = Disk {
        device: match device {
            Device::Disk => "disk",
            Device::Cdrom => "cdrom",
            Device::Floppy => "floppy",
        }
        .to_string(),
        target: index_to_disk_name(index, dst_prefix),
        bus: Some(bus.name().to_string()),
        ..Default::default()
    };

    match device {
        Device::Disk => {
            let cdrom_like = match fname {
                None => true,
                Some(f) => {
                    has_suffix_ci(f, ".iso")
                        || f == "emptyBackingString"
                        || eq_ci(dt, "atapi-cdrom")
                        || eq_ci(dt, "cdrom-raw")
                        || eq_ci(dt, "cdrom-image")
                        || (eq_ci(dt, "scsi-passthru") && f.starts_with("/vmfs/devices/cdrom/"))
                }
            };
            if cdrom_like {
                // Left to the CD-ROM pass.
                return Ok(None);
            }
            let f = fname.unwrap_or_default();
            if !has_suffix_ci(f, ".vmdk") {
                return Err(not_handled());
            }
            if let Some(t) = dt {
                if bus == Bus::Scsi
                    && !t.eq_ignore_ascii_case("scsi-hardDisk")
                    && !t.eq_ignore_ascii_case("disk")
                {
                    return Err(error(format!(
                        "Expecting VMX entry '{device_type_name}' to be 'scsi-hardDisk' or 'disk' but found '{t}'"
                    )));
                }
                if bus == Bus::Ide
                    && !t.eq_ignore_ascii_case("ata-hardDisk")
                    && !t.eq_ignore_ascii_case("disk")
                {
                    return Err(error(format!(
                        "Expecting VMX entry '{device_type_name}' to be 'ata-hardDisk' or 'disk' but found '{t}'"
                    )));
                }
            }
            disk.source.kind = "file".into();
            disk.source.path = map_file(ctx, f, false)?;
            if write_through {
                disk.driver.0.push(("cache".into(), "writethrough".into()));
            }
            if let Some(m) = &mode {
                disk.transient = m.eq_ignore_ascii_case("independent-nonpersistent");
            }
        }
        Device::Cdrom => {
            disk.readonly = true;
            match fname {
                Some(f) if has_suffix_ci(f, ".vmdk") => return Ok(None),
                Some(f) if has_suffix_ci(f, ".iso") => {
                    if let Some(t) = dt.filter(|t| !t.eq_ignore_ascii_case("cdrom-image")) {
                        return Err(error(format!(
                            "Expecting VMX entry '{device_type_name}' to be 'cdrom-image' but found '{t}'"
                        )));
                    }
                    disk.source.kind = "file".into();
                    disk.source.path = map_file(ctx, f, true)?;
                }
                _ if eq_ci(dt, "atapi-cdrom") || eq_ci(dt, "cdrom-raw") => {
                    if eq_ci(dt, "cdrom-raw") {
                        // Raw access CD-ROMs are LUNs.
                        disk.device = "lun".into();
                    }
                    disk.source.kind = "block".into();
                    if eq_ci(fname, "auto detect") {
                        disk.source.startup_policy = Some("optional".into());
                    } else {
                        disk.source.path = file_name.clone();
                    }
                }
                _ if bus == Bus::Scsi && eq_ci(dt, "scsi-passthru") => match fname {
                    Some(f) if f.starts_with("/vmfs/devices/cdrom/") => {
                        disk.device = "lun".into();
                        disk.source.kind = "block".into();
                        disk.source.path = Some(f.to_string());
                    }
                    // Not a CD-ROM: a disk pass may take it.
                    _ => return Ok(None),
                },
                Some("emptyBackingString") => {
                    if let Some(t) = dt.filter(|t| !t.eq_ignore_ascii_case("cdrom-image")) {
                        return Err(error(format!(
                            "Expecting VMX entry '{device_type_name}' to be 'cdrom-image' but found '{t}'"
                        )));
                    }
                    disk.source.kind = "file".into();
                }
                _ => return Err(not_handled()),
            }
        }
        Device::Floppy => {
            if eq_ci(file_type.as_deref(), "device") {
                disk.source.kind = "block".into();
                disk.source.path = file_name.clone();
            } else if eq_ci(file_type.as_deref(), "file") {
                disk.source.kind = "file".into();
                if let Some(f) = fname {
                    disk.source.path = map_file(ctx, f, false)?;
                }
            } else {
                return Err(not_handled());
            }
        }
    }

    disk.has_source = disk.source.path.is_some() || disk.source.startup_policy.is_some();
    if disk.readonly {
        // libvirt takes no snapshots of read-only disks.
        disk.snapshot = Some("no".into());
    }
    disk.info.address = Some(drive_address(bus, index));
    Ok(Some(disk))
}
