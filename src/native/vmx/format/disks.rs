//! Disks, CD-ROMs, LUNs, floppies and the SCSI controllers they hang on.
//!
//! VMX names a drive by its slot (`scsi1:0`, `ide0:1`, `floppy0`), which
//! libvirt derives from the target name; an explicit `<address>` must agree
//! with that name, so both are checked before anything is written.

use super::{internal, unsupported, Vmx};
use crate::domain::devices::controller::SCSI_MODELS;
use crate::domain::devices::disk::disk_name_index;
use crate::domain::devices::{Address, Disk};
use crate::domain::DomainDef;
use crate::error::Result;
use crate::native::vmx::{Context, FormatFileName};

/// VMware's four SCSI controllers.
const SCSI_CONTROLLERS: usize = 4;

/// Devices per SCSI controller: a wide bus has 16 units and the controller
/// itself sits at unit 7.
const SCSI_UNITS: u32 = 15;

/// Writes the SCSI controllers, every disk and the floppy presence flags;
/// true when there is a SCSI controller.
pub(super) fn format(
    vmx: &mut Vmx,
    ctx: &Context,
    format_file_name: &FormatFileName,
    def: &DomainDef,
) -> Result<bool> {
    let disks = &def.devices.disks;
    for disk in disks {
        verify_address(disk)?;
    }
    let models = scsi_models(ctx, def)?;
    for (i, model) in models.iter().enumerate() {
        let Some(model) = model else { continue };
        vmx.set(format!("scsi{i}.present"), "true");
        if let Some(model) = model {
            let name = if model == "vmpvscsi" {
                "pvscsi"
            } else {
                model.as_str()
            };
            vmx.set(format!("scsi{i}.virtualDev"), name);
        }
    }

    let mut floppies = [false; 2];
    for disk in disks {
        match disk.device.as_str() {
            "disk" | "cdrom" | "lun" => format_drive(vmx, format_file_name, disk)?,
            "floppy" => format_floppy(vmx, format_file_name, disk, &mut floppies)?,
            other => return Err(unsupported(format!("Unsupported disk device type '{other}'"))),
        }
    }
    // A floppy drive VMX does not mention is present: say it is not.
    for (unit, present) in floppies.iter().enumerate() {
        if !present {
            vmx.set(format!("floppy{unit}.present"), "false");
        }
    }
    Ok(models.iter().any(Option::is_some))
}

fn address_type(address: Option<&Address>) -> &'static str {
    match address {
        None => "none",
        Some(Address::Pci(_)) => "pci",
        Some(Address::Drive { .. }) => "drive",
        Some(Address::VirtioSerial { .. }) => "virtio-serial",
        Some(Address::Ccid { .. }) => "ccid",
        Some(Address::Usb { .. }) => "usb",
        Some(Address::SpaprVio { .. }) => "spapr-vio",
        Some(Address::Ccw(_)) => "ccw",
        Some(Address::VirtioMmio) => "virtio-mmio",
        Some(Address::Isa { .. }) => "isa",
        Some(Address::Dimm { .. }) => "dimm",
        Some(Address::Unassigned) => "unassigned",
    }
}

/// The (controller, bus, unit) libvirt assigns a target name on `bus`
/// (zeros on buses it assigns nothing on); None when the name has no index.
fn expected_address(target: &str, bus: &str) -> Option<(u32, u32, u32)> {
    let idx = disk_name_index(target)?;
    Some(match bus {
        "scsi" => {
            let unit = idx % SCSI_UNITS;
            (idx / SCSI_UNITS, 0, unit + u32::from(unit >= 7))
        }
        "ide" => (idx / 4, (idx % 4) / 2, idx % 2),
        "sata" => (idx / 6, 0, idx % 6),
        "fdc" => (idx / 2, 0, idx % 2),
        _ => (0, 0, 0),
    })
}

fn verify_address(disk: &Disk) -> Result<()> {
    let Some(Address::Drive {
        controller,
        bus,
        unit,
        ..
    }) = disk.info.address
    else {
        return Err(unsupported(format!(
            "Unsupported disk address type '{}'",
            address_type(disk.info.address.as_ref())
        )));
    };
    let bus_name = disk.bus.as_deref().unwrap_or("none");
    let expected =
        expected_address(&disk.target, bus_name).ok_or_else(|| internal("Could not verify disk address"))?;
    if expected != (controller, bus, unit) {
        return Err(internal(format!(
            "Disk address {controller}:{bus}:{unit} doesn't match target device '{}'",
            disk.target
        )));
    }
    match bus_name {
        "scsi" => {
            if controller > 3 {
                return Err(internal(format!(
                    "SCSI controller index {controller} out of [0..3] range"
                )));
            }
            if bus != 0 {
                return Err(internal(format!("SCSI bus index {bus} out of [0] range")));
            }
            if unit > 15 || unit == 7 {
                return Err(internal(format!(
                    "SCSI unit index {unit} out of [0..6,8..15] range"
                )));
            }
        }
        "ide" => {
            if controller != 0 {
                return Err(internal(format!(
                    "IDE controller index {controller} out of [0] range"
                )));
            }
            if bus > 1 {
                return Err(internal(format!("IDE bus index {bus} out of [0..1] range")));
            }
            if unit > 1 {
                return Err(internal(format!("IDE unit index {unit} out of [0..1] range")));
            }
        }
        "fdc" => {
            if controller != 0 {
                return Err(internal(format!(
                    "FDC controller index {controller} out of [0] range"
                )));
            }
            if bus != 0 {
                return Err(internal(format!("FDC bus index {bus} out of [0] range")));
            }
            if unit > 1 {
                return Err(internal(format!("FDC unit index {unit} out of [0..1] range")));
            }
        }
        other => return Err(unsupported(format!("Unsupported bus type '{other}'"))),
    }
    Ok(())
}

fn drive_controller(disk: &Disk) -> u32 {
    match disk.info.address {
        Some(Address::Drive { controller, .. }) => controller,
        _ => 0,
    }
}

fn is_scsi(disk: &Disk) -> bool {
    disk.bus.as_deref() == Some("scsi")
}

/// Per SCSI controller slot: None when absent, Some(model) when present
/// (model None: VMware's default).  Legacy `<driver name>` models of the
/// disks fill in controllers without one; `auto` asks the context.
fn scsi_models(ctx: &Context, def: &DomainDef) -> Result<[Option<Option<String>>; SCSI_CONTROLLERS]> {
    let controllers: Vec<_> = def
        .devices
        .controllers
        .iter()
        .filter(|c| c.kind == "scsi")
        .collect();
    let mut models: Vec<Option<String>> = controllers.iter().map(|c| c.model.clone()).collect();

    for disk in def.devices.disks.iter().filter(|d| is_scsi(d)) {
        let Some(driver) = disk.driver.get("name") else {
            continue;
        };
        let model = driver.to_ascii_lowercase();
        if !SCSI_MODELS.contains(&model.as_str()) {
            return Err(internal(format!("Unknown driver name '{driver}'")));
        }
        let index = drive_controller(disk);
        let Some(slot) = controllers
            .iter()
            .position(|c| c.index.is_some_and(|i| i64::from(i) == i64::from(index)))
        else {
            return Err(internal(format!("Missing SCSI controller for index {index}")));
        };
        match &models[slot] {
            None => models[slot] = Some(model),
            Some(current) if *current != model => {
                return Err(internal(format!(
                    "Inconsistent SCSI controller model ('{driver}' is not '{current}') for SCSI controller index {index}"
                )))
            }
            Some(_) => {}
        }
    }

    let mut out: [Option<Option<String>>; SCSI_CONTROLLERS] = Default::default();
    for (controller, model) in controllers.iter().zip(models) {
        let index = controller.index.unwrap_or(0);
        let attached: Vec<&Disk> = def
            .devices
            .disks
            .iter()
            .filter(|d| is_scsi(d) && i64::from(drive_controller(d)) == i64::from(index))
            .collect();
        // A controller without disks is not worth a VMX entry.
        if attached.is_empty() {
            continue;
        }
        let model = match (model, ctx.autodetect_scsi_model) {
            (Some(m), Some(detect)) if m == "auto" => Some(autodetect(detect, index, &attached)?),
            (m, _) => m,
        };
        if let Some(m) = &model {
            if !["buslogic", "lsilogic", "lsisas1068", "vmpvscsi"].contains(&m.as_str()) {
                return Err(internal(format!(
                    "Expecting domain XML attribute 'model' of entry 'controller' to be 'buslogic' or 'lsilogic' or 'lsisas1068' or 'vmpvscsi' but found '{m}'"
                )));
            }
        }
        let slot = usize::try_from(index)
            .ok()
            .filter(|i| *i < SCSI_CONTROLLERS)
            .ok_or_else(|| internal(format!("SCSI controller index {index} out of [0..3] range")))?;
        out[slot] = Some(model);
    }
    Ok(out)
}

/// The one model the images on a controller agree on.
fn autodetect(
    detect: &crate::native::vmx::AutodetectScsiModel,
    index: i32,
    attached: &[&Disk],
) -> Result<String> {
    let mut found: Option<String> = None;
    for disk in attached {
        let model = detect(disk)?;
        match &found {
            None => found = Some(model),
            Some(first) if *first != model => {
                return Err(internal(format!(
                    "Disks on SCSI controller {index} have inconsistent controller models, cannot autodetect model"
                )))
            }
            Some(_) => {}
        }
    }
    // `attached` is never empty here.
    Ok(found.unwrap_or_default())
}

/// (first number, unit) of the VMX slot a target name stands for:
/// controller and unit on SCSI, bus and unit on IDE.
fn slot_of(disk: &Disk, bus: &str) -> Result<(u32, u32)> {
    let (prefix, upper) = match bus {
        "scsi" => ("sd", "SCSI"),
        "ide" => ("hd", "IDE"),
        _ => {
            return Err(unsupported(format!(
                "Unsupported bus type '{bus}' for {}",
                disk.device
            )))
        }
    };
    let idx = name_index(&disk.target, prefix)?;
    match bus {
        "scsi" => {
            if idx >= SCSI_CONTROLLERS as u32 * SCSI_UNITS {
                return Err(internal(format!(
                    "{upper} disk index (parsed from '{}') is too large",
                    disk.target
                )));
            }
            let unit = idx % SCSI_UNITS;
            Ok((idx / SCSI_UNITS, unit + u32::from(unit >= 7)))
        }
        _ => {
            if idx >= 4 {
                return Err(internal(format!(
                    "{upper} disk index (parsed from '{}') is too large",
                    disk.target
                )));
            }
            Ok((idx / 2, idx % 2))
        }
    }
}

fn name_index(target: &str, prefix: &str) -> Result<u32> {
    if !target.starts_with(prefix) {
        return Err(internal(format!(
            "Expecting domain XML attribute 'dev' of entry 'devices/disk/target' to start with '{prefix}'"
        )));
    }
    disk_name_index(target)
        .ok_or_else(|| internal(format!("Could not parse valid disk index from '{target}'")))
}

fn format_drive(vmx: &mut Vmx, format_file_name: &FormatFileName, disk: &Disk) -> Result<()> {
    let kind = disk.kind();
    let bus = disk.bus.as_deref().unwrap_or("none");
    let device = disk.device.as_str();
    if kind != "file" && kind != "block" {
        return Err(unsupported(format!(
            "{bus} {device} '{}' has unsupported type '{kind}', expecting 'file' or 'block'",
            disk.target
        )));
    }
    let (first, unit) = slot_of(disk, bus)?;
    let prefix = format!("{bus}{first}:{unit}");
    let path = disk.path();

    let device_type = match (device, kind) {
        ("disk", "file") if bus == "scsi" => "scsi-hardDisk",
        ("disk", "file") => "ata-hardDisk",
        ("cdrom", "file") => "cdrom-image",
        ("cdrom", _) => "atapi-cdrom",
        // A host CD-ROM handed to the guest as a SCSI device.
        ("lun", _) if bus == "scsi" && path.is_some_and(|p| p.starts_with("/vmfs/devices/cdrom/")) => {
            "scsi-passthru"
        }
        ("lun", _) => "cdrom-raw",
        _ => {
            return Err(unsupported(format!(
                "{bus} {device} '{}' has an unsupported type '{kind}'",
                disk.target
            )))
        }
    };
    vmx.set(format!("{prefix}.present"), "true");
    vmx.set(format!("{prefix}.deviceType"), device_type);

    if kind == "file" {
        let file = match path {
            Some(p) => {
                let suffix = if device == "disk" { ".vmdk" } else { ".iso" };
                if !ends_with_ignore_case(p, suffix) {
                    return Err(internal(format!(
                        "Image file for {bus} {device} '{}' has unsupported suffix, expecting '{suffix}'",
                        disk.target
                    )));
                }
                format_file_name(p)?
            }
            // VMware's spelling of an empty drive.
            None if device == "cdrom" => "emptyBackingString".to_string(),
            // libvirt fails here too, though without saying why.
            None => {
                return Err(internal(format!(
                    "{bus} {device} '{}' has no source file",
                    disk.target
                )))
            }
        };
        vmx.set(format!("{prefix}.fileName"), file);
    } else if path.is_none() && disk.source.startup_policy.as_deref() == Some("optional") {
        vmx.set(format!("{prefix}.autodetect"), "true");
        vmx.set(format!("{prefix}.fileName"), "auto detect");
    } else if let Some(p) = path {
        vmx.set(format!("{prefix}.fileName"), p);
    }

    if bus == "scsi" {
        match disk.driver.get("cache") {
            None | Some("default") => {}
            Some("writethrough") => vmx.set(format!("{prefix}.writeThrough"), "true"),
            Some(mode) => {
                return Err(unsupported(format!(
                    "{bus} harddisk '{}' has unsupported cache mode '{mode}'",
                    disk.target
                )))
            }
        }
    }
    if disk.transient {
        vmx.set(format!("{prefix}.mode"), "independent-nonpersistent");
    }
    Ok(())
}

fn ends_with_ignore_case(text: &str, suffix: &str) -> bool {
    text.len() >= suffix.len()
        && text.is_char_boundary(text.len() - suffix.len())
        && text[text.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
}

fn format_floppy(
    vmx: &mut Vmx,
    format_file_name: &FormatFileName,
    disk: &Disk,
    present: &mut [bool; 2],
) -> Result<()> {
    let idx = name_index(&disk.target, "fd")?;
    if idx >= 2 {
        return Err(internal(format!(
            "Floppy disk index (parsed from '{}') is too large",
            disk.target
        )));
    }
    let prefix = format!("floppy{idx}");
    let file_type = match disk.kind() {
        "file" => "file",
        "block" => "device",
        other => {
            return Err(unsupported(format!(
                "Floppy '{}' has unsupported type '{other}', expecting 'file' or 'block'",
                disk.target
            )))
        }
    };
    present[idx as usize] = true;
    vmx.set(format!("{prefix}.present"), "true");
    vmx.set(format!("{prefix}.fileType"), file_type);
    if let Some(path) = disk.path() {
        let name = if file_type == "file" {
            format_file_name(path)?
        } else {
            path.to_string()
        };
        vmx.set(format!("{prefix}.fileName"), name);
    }
    Ok(())
}
