//! Domain definition → VMX, key for key as libvirt 9.0 writes it.
//!
//! The order of the keys is part of the format's contract with libvirt's
//! users (tools diff the files), so every section below writes in libvirt's
//! order: identity, memory and CPUs, graphics, disks, shared folders,
//! network cards, video, serial and parallel ports, firmware, and the
//! hardware-version dependent extras.

mod chardev;
mod disks;
mod escape;
mod ethernet;

use std::fmt::Display;

use super::Context;
use crate::abi::{VIR_ERR_CONFIG_UNSUPPORTED, VIR_ERR_INTERNAL_ERROR, VIR_FROM_NONE};
use crate::domain::devices::{Filesystem, Graphics, Video};
use crate::domain::{Bitmap, DomainDef, Topology};
use crate::error::{Error, Result};

/// The oldest virtual hardware this converter writes for (ESX 3.5).
const MIN_VIRTUAL_HW_VERSION: i32 = 4;

/// Formats a definition as a VMX document for `virtual_hw_version`.
pub fn format_config(ctx: &Context, def: &DomainDef, virtual_hw_version: i32) -> Result<String> {
    let format_file_name = ctx
        .format_file_name
        .ok_or_else(|| internal("virVMXContext has no formatFileName function set"))?;
    if def.virt_type != "vmware" {
        return Err(internal(format!(
            "Expecting virt type to be 'vmware' but found '{}'",
            def.virt_type
        )));
    }
    if virtual_hw_version < MIN_VIRTUAL_HW_VERSION {
        return Err(unsupported(format!(
            "Expecting virtualHW.version to be {MIN_VIRTUAL_HW_VERSION} or higher but found {virtual_hw_version}"
        )));
    }

    let mut vmx = Vmx::default();
    vmx.set(".encoding", "UTF-8");
    vmx.set("config.version", "8");
    vmx.set("virtualHW.version", virtual_hw_version);

    let arch = def.os.arch.as_deref().unwrap_or("");
    match arch {
        "i686" => vmx.set("guestOS", "other"),
        "x86_64" => vmx.set("guestOS", "other-64"),
        _ => {
            return Err(internal(format!(
                "Expecting domain XML attribute 'arch' of entry 'os/type' to be 'i686' or 'x86_64' but found '{arch}'"
            )))
        }
    }
    match def.os.smbios.as_deref() {
        None | Some("emulate") => {}
        Some("host") => vmx.set("smbios.reflecthost", "true"),
        Some(mode) => return Err(unsupported(format!("Unsupported SMBIOS mode '{mode}'"))),
    }

    let uuid = def.uuid.0;
    if uuid == [0; 16] {
        vmx.set("uuid.action", "create");
    } else {
        vmx.set("uuid.bios", spaced_uuid(&uuid));
    }
    vmx.set("displayName", escape::percent(&escape::pipe(&def.name)));
    if let Some(description) = &def.description {
        vmx.set("annotation", escape::pipe(description));
    }

    format_memory(&mut vmx, def);
    format_cpus(&mut vmx, def)?;

    for g in &def.devices.graphics {
        format_graphics(&mut vmx, g)?;
    }
    let has_scsi = disks::format(&mut vmx, ctx, format_file_name, def)?;

    let shared = &def.devices.filesystems;
    if !shared.is_empty() {
        vmx.set("isolation.tools.hgfs.disable", "false");
        vmx.set("sharedFolder.maxNum", shared.len());
    }
    for (i, fs) in shared.iter().enumerate() {
        format_shared_folder(&mut vmx, i, fs)?;
    }
    for (i, net) in def.devices.interfaces.iter().enumerate() {
        ethernet::format(&mut vmx, i, net, virtual_hw_version)?;
    }
    match def.devices.videos.as_slice() {
        [] => {}
        [video] => format_svga(&mut vmx, video)?,
        _ => return Err(internal("No support for multiple video devices")),
    }
    for serial in &def.devices.serials {
        chardev::format_serial(&mut vmx, format_file_name, serial)?;
    }
    for parallel in &def.devices.parallels {
        chardev::format_parallel(&mut vmx, format_file_name, parallel)?;
    }

    if def.os.firmware.as_deref() == Some("efi") {
        vmx.set("firmware", "efi");
    }
    if virtual_hw_version >= 7 {
        // The PCIe root ports VMware's own tools write: SCSI controllers of
        // newer hardware sit behind them.
        if has_scsi {
            vmx.set("pciBridge0.present", "true");
            for bridge in 4..8 {
                vmx.set(format!("pciBridge{bridge}.present"), "true");
                vmx.set(format!("pciBridge{bridge}.virtualDev"), "pcieRootPort");
                vmx.set(format!("pciBridge{bridge}.functions"), "8");
            }
        }
        vmx.set("vmci0.present", "true");
    }
    Ok(vmx.out)
}

/// The VMX document being written: `key = "value"` lines.
#[derive(Default)]
struct Vmx {
    out: String,
}

impl Vmx {
    /// Appends one entry; values are written as given (escaped by the caller
    /// where VMX needs it).
    fn set(&mut self, key: impl Display, value: impl Display) {
        use std::fmt::Write;
        // Writing to a String cannot fail.
        let _ = writeln!(self.out, "{key} = \"{value}\"");
    }
}

fn internal(message: impl AsRef<str>) -> Error {
    Error::with(VIR_FROM_NONE, VIR_ERR_INTERNAL_ERROR, message)
}

fn unsupported(message: impl AsRef<str>) -> Error {
    Error::with(VIR_FROM_NONE, VIR_ERR_CONFIG_UNSUPPORTED, message)
}

/// VMware's UUID spelling: `56 4d 9b ef ac d9 b4 e0-c8 f0 ae a8 b9 10 35 15`.
fn spaced_uuid(uuid: &[u8; 16]) -> String {
    let half = |bytes: &[u8]| {
        bytes
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    format!("{}-{}", half(&uuid[..8]), half(&uuid[8..]))
}

/// KiB to MiB, rounding up.
fn mib(kib: u64) -> u64 {
    kib.div_ceil(1024)
}

fn format_memory(vmx: &mut Vmx, def: &DomainDef) {
    // VMware wants whole multiples of 4 MiB: round up rather than refuse.
    let max_kib = def.memory.total.div_ceil(4096) * 4096;
    vmx.set("memsize", max_kib / 1024);
    if def.memory.current < max_kib {
        vmx.set("sched.mem.max", mib(def.memory.current));
    }
    if def.memtune.min_guarantee > 0 {
        vmx.set("sched.mem.minsize", mib(def.memtune.min_guarantee));
    }
}

fn format_cpus(vmx: &mut Vmx, def: &DomainDef) -> Result<()> {
    let max = def.vcpu.max;
    if def.vcpu.current.is_some_and(|c| c != max) {
        return Err(unsupported(
            "No support for domain XML entry 'vcpu' attribute 'current'",
        ));
    }
    // Any positive count: ESX has taken odd vCPU counts since 5.x.
    if max == 0 {
        return Err(internal("Expecting domain XML entry 'vcpu' to be greater than 0"));
    }
    vmx.set("numvcpus", max);

    if let Some(cpu) = &def.cpu {
        // libvirt checks any <cpu>, reading a missing <topology> as zeros
        // (so it is refused for its thread count).
        let none = Topology {
            sockets: 0,
            dies: 1,
            cores: 0,
            threads: 0,
        };
        format_topology(vmx, &cpu.mode, cpu.topology.as_ref().unwrap_or(&none), max)?;
    }

    if let Some(cpuset) = def.vcpu.cpuset.as_deref() {
        let cpus = Bitmap::parse(cpuset)?;
        if !cpus.is_empty() {
            if cpus.count() < max as usize {
                return Err(internal(format!(
                    "Expecting domain XML attribute 'cpuset' of entry 'vcpu' to contain at least {max} CPU(s)"
                )));
            }
            let list: Vec<String> = cpus.iter().map(|c| c.to_string()).collect();
            vmx.set("sched.cpu.affinity", list.join(","));
        }
    }

    if let Some(shares) = def.cputune.shares {
        // The share levels VMware names are per vCPU.
        let online = u64::from(def.vcpu.current.unwrap_or(max));
        let level = match shares {
            s if s == online * 500 => "low".to_string(),
            s if s == online * 1000 => "normal".to_string(),
            s if s == online * 2000 => "high".to_string(),
            s => s.to_string(),
        };
        vmx.set("sched.cpu.shares", level);
    }
    Ok(())
}

fn format_topology(vmx: &mut Vmx, mode: &str, topology: &Topology, vcpus: u32) -> Result<()> {
    if mode != "custom" {
        return Err(internal(format!(
            "Expecting domain XML CPU mode 'custom' but found '{mode}'"
        )));
    }
    if topology.threads != 1 {
        return Err(unsupported("Only 1 thread per core is supported"));
    }
    if topology.dies != 1 {
        return Err(unsupported("Only 1 die per socket is supported"));
    }
    let total = u64::from(topology.sockets) * u64::from(topology.cores);
    if total != u64::from(vcpus) {
        return Err(internal(format!(
            "Expecting domain XML CPU sockets per core as {vcpus} but found {total}"
        )));
    }
    vmx.set("cpuid.coresPerSocket", topology.cores);
    Ok(())
}

fn format_graphics(vmx: &mut Vmx, g: &Graphics) -> Result<()> {
    if g.kind != "vnc" {
        return Err(unsupported(format!("Unsupported graphics type '{}'", g.kind)));
    }
    vmx.set("RemoteDisplay.vnc.enabled", "true");
    // An automatic port cannot be written: the server picks it at start.
    if !g.autoport {
        vmx.set("RemoteDisplay.vnc.port", g.port);
    }
    if let Some(address) = g.listens.first().and_then(|l| l.address.as_deref()) {
        vmx.set("RemoteDisplay.vnc.ip", address);
    }
    if let Some(keymap) = &g.keymap {
        vmx.set("RemoteDisplay.vnc.keymap", keymap);
    }
    if let Some(passwd) = &g.passwd {
        vmx.set("RemoteDisplay.vnc.password", passwd);
    }
    Ok(())
}

fn format_shared_folder(vmx: &mut Vmx, number: usize, fs: &Filesystem) -> Result<()> {
    if fs.kind != "mount" {
        return Err(unsupported("Only 'mount' filesystem type is supported"));
    }
    let prefix = format!("sharedFolder{number}");
    vmx.set(format!("{prefix}.present"), "true");
    vmx.set(format!("{prefix}.enabled"), "true");
    vmx.set(format!("{prefix}.readAccess"), "true");
    vmx.set(
        format!("{prefix}.writeAccess"),
        if fs.readonly { "false" } else { "true" },
    );
    vmx.set(format!("{prefix}.hostPath"), fs.source.get("dir").unwrap_or(""));
    vmx.set(format!("{prefix}.guestName"), &fs.target);
    Ok(())
}

fn format_svga(vmx: &mut Vmx, video: &Video) -> Result<()> {
    if video.model != "vmvga" {
        return Err(unsupported(format!(
            "Unsupported video device type '{}'",
            video.model
        )));
    }
    if video.heads > 1 {
        return Err(unsupported("Multi-head video devices are unsupported"));
    }
    // Windows guests need whole multiples of 64 KiB of video memory.
    let vram_kib = u64::from(video.vram).div_ceil(64) * 64;
    vmx.set("svga.vramSize", vram_kib * 1024);
    Ok(())
}
