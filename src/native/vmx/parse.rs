//! VMX → domain definition, as libvirt 9.0's `virVMXParseConfig`: the same
//! entries read in the same order with the same defaults and messages, then
//! the fix-ups libvirt's generic post-parse step applies to such a
//! definition (implicit controllers, the serial console, video defaults).
//!
//! Unknown entries are ignored.  Errors are libvirt's: syntax errors come
//! from the config-file parser (`VIR_FROM_CONF`), conversion errors are
//! internal errors without a domain (`VIR_FROM_NONE`).

mod chardevs;
mod disks;
mod encoding;
mod nets;
mod values;

use super::Context;
use crate::conf::{Conf, FLAG_VMX_FORMAT, MEMORY_CONF};
use crate::domain::devices::{Chardev, ChrKind, Filesystem, Graphics, Listen, Video};
use crate::domain::{Bitmap, Cpu, DomainDef, NamespaceData, Topology, Uuid};
use crate::error::Result;
use values::{error, strtouip_prefix, strtoull, unescape_hex, Vmx};

/// libvirt's `VIR_DOMAIN_CPUMASK_LEN`: the highest host CPU + 1 an affinity
/// may name.
const CPUMASK_LEN: u32 = 4096;

/// The largest `memsize` (MiB) whose size in KiB fits libvirt's signed
/// 64-bit arithmetic.
const MEMSIZE_MAX: i64 = i64::MAX / 1024;

/// Parses a VMX document into a `vmware` domain definition.
pub fn parse_config(ctx: &Context, vmx: &str) -> Result<DomainDef> {
    parse_config_bytes(ctx, vmx.as_bytes())
}

/// [`parse_config`] for a file's raw content, which may be in the legacy
/// character set its `.encoding` entry names.  Like libvirt's C string, the
/// text ends at its first NUL byte.
pub fn parse_config_bytes(ctx: &Context, vmx: &[u8]) -> Result<DomainDef> {
    if ctx.parse_file_name.is_none() {
        return Err(error("virVMXContext has no parseFileName function set"));
    }
    let text = vmx.split(|&b| b == 0).next().unwrap_or_default();
    let mut conf = Conf::parse_bytes(text, MEMORY_CONF, FLAG_VMX_FORMAT)?;
    let mut vmx = Vmx::new(&conf);

    if let Some(enc) = vmx.string(".encoding", true)? {
        if !enc.eq_ignore_ascii_case("UTF-8") {
            let utf8 = encoding::to_utf8(&enc, text)?;
            let utf8 = utf8.split(|&b| b == 0).next().unwrap_or_default();
            conf = Conf::parse_bytes(utf8, MEMORY_CONF, FLAG_VMX_FORMAT)?;
            vmx = Vmx::new(&conf);
        }
    }
    let nic_indexes = nets::indexes(&vmx)?;

    let mut def = DomainDef {
        virt_type: "vmware".into(),
        ..Default::default()
    };

    let config_version = vmx.long("config.version", 0, false)?;
    if config_version != 8 {
        return Err(error(format!(
            "Expecting VMX entry 'config.version' to be 8 but found {config_version}"
        )));
    }

    let hw_version = vmx.long("virtualHW.version", 0, false)?;
    if hw_version < 4 {
        return Err(error(format!(
            "Expecting VMX entry 'virtualHW.version' to be 4 or higher but found {hw_version}"
        )));
    }

    // all zero when absent
    def.uuid = vmx.uuid("uuid.bios", true)?.unwrap_or_default();

    if let Some(name) = vmx.string("displayName", true)? {
        let unescaped = unescape_hex(name.as_bytes(), b'%')
            .and_then(|n| unescape_hex(&n, b'|'))
            .ok_or_else(|| error("VMX entry 'name' contains invalid escape sequence"))?;
        def.name = String::from_utf8_lossy(&unescaped).into_owned();
    }

    let genid = vmx.long("vm.genid", 0, true)?;
    let genid_x = vmx.long("vm.genidX", 0, true)?;
    if genid != 0 || genid_x != 0 {
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&(genid as u64).to_be_bytes());
        bytes[8..].copy_from_slice(&(genid_x as u64).to_be_bytes());
        def.genid = Some(Uuid(bytes));
    }

    if let Some(annotation) = vmx.string("annotation", true)? {
        let unescaped = unescape_hex(annotation.as_bytes(), b'|')
            .ok_or_else(|| error("VMX entry 'annotation' contains invalid escape sequence"))?;
        def.description = Some(String::from_utf8_lossy(&unescaped).into_owned());
    }

    parse_memory(&vmx, &mut def)?;
    let numvcpus = parse_vcpus(&vmx, &mut def)?;
    parse_affinity(&vmx, &mut def, numvcpus)?;
    parse_shares(&vmx, &mut def)?;

    def.on_reboot = "restart".into();
    def.on_poweroff = "destroy".into();
    def.on_crash = "destroy".into();

    def.os.os_type = "hvm".into();
    let guest_os = vmx.string("guestOS", true)?;
    let arch = if guest_os.as_deref().is_some_and(|g| g.ends_with("-64")) {
        "x86_64"
    } else {
        "i686"
    };
    def.os.arch = Some(arch.into());

    if vmx.boolean("smbios.reflecthost", false, true)? {
        def.os.smbios = Some("host".into());
    }

    if let Some(g) = parse_vnc(&vmx)? {
        def.devices.graphics.push(g);
    }

    let (disks, controllers) = disks::parse_all(ctx, &vmx)?;
    def.devices.disks = disks;
    def.devices.controllers = controllers;

    if !vmx.boolean("isolation.tools.hgfs.disable", true, true)? {
        let max = vmx.long("sharedFolder.maxNum", 0, true)?;
        for number in shared_folder_indexes(&vmx, max) {
            if let Some(fs) = parse_shared_folder(&vmx, number)? {
                def.devices.filesystems.push(fs);
            }
        }
    }

    for idx in nic_indexes {
        if let Some(net) = nets::parse_ethernet(&vmx, idx)? {
            def.devices.interfaces.push(net);
        }
    }

    def.devices.videos.push(parse_svga(&vmx)?);

    for port in 0..4 {
        if let Some(c) = chardevs::parse_serial(ctx, &vmx, port)? {
            def.devices.serials.push(c);
        }
    }
    for port in 0..3 {
        if let Some(c) = chardevs::parse_parallel(ctx, &vmx, port)? {
            def.devices.parallels.push(c);
        }
    }

    // ctx:datacenterPath -> def:namespaceData
    if let Some(path) = ctx.datacenter_path {
        def.namespace = Some(NamespaceData::Vmware(path.to_string()));
    }

    if let Some(fw) = vmx.string("firmware", true)? {
        if fw == "efi" {
            def.os.firmware = Some("efi".into());
        } else {
            return Err(error(format!("VMX entry 'firmware' has unknown value '{fw}'")));
        }
    }

    post_parse(&mut def);
    Ok(def)
}

/// memsize, sched.mem.max and sched.mem.minsize (MiB) as the domain's
/// memory sizes (KiB).
fn parse_memory(vmx: &Vmx, def: &mut DomainDef) -> Result<()> {
    let memsize = vmx.long("memsize", 32, true)?;
    if memsize <= 0 || memsize % 4 != 0 {
        return Err(error(format!(
            "Expecting VMX entry 'memsize' to be an unsigned integer (multiple of 4) but found {memsize}"
        )));
    }
    if memsize > MEMSIZE_MAX {
        return Err(error(format!(
            "Expecting VMX entry 'memsize' to be at most {MEMSIZE_MAX} but found {memsize}"
        )));
    }
    let total = memsize as u64 * 1024;
    def.memory.total = total;

    let mut max = vmx.long("sched.mem.max", memsize, true)?;
    if max < 0 {
        max = memsize;
    }
    // Anything that does not fit is larger than the total anyway.
    def.memory.current = (max as u64).saturating_mul(1024).min(total);

    let mut minsize = vmx.long("sched.mem.minsize", 0, true)?;
    if minsize < 0 {
        minsize = 0;
    }
    def.memtune.min_guarantee = (minsize as u64).saturating_mul(1024).min(total);
    Ok(())
}

/// numvcpus and cpuid.coresPerSocket; returns the vCPU count.
fn parse_vcpus(vmx: &Vmx, def: &mut DomainDef) -> Result<u32> {
    let numvcpus = vmx.long("numvcpus", 1, true)?;
    if numvcpus <= 0 {
        return Err(error(format!(
            "Expecting VMX entry 'numvcpus' to be an unsigned integer greater than 0 but found {numvcpus}"
        )));
    }
    let vcpus = u32::try_from(numvcpus).map_err(|_| {
        error(format!(
            "Expecting VMX entry 'numvcpus' to be at most {} but found {numvcpus}",
            u32::MAX
        ))
    })?;
    def.vcpu.max = vcpus;
    def.vcpu.placement = Some("static".into());

    let cores = vmx.long("cpuid.coresPerSocket", 1, true)?;
    if cores > 1 {
        let sockets = numvcpus / cores;
        if sockets <= 0 {
            return Err(error("VMX entry 'cpuid.coresPerSocket' smaller than 'numvcpus'"));
        }
        def.cpu = Some(Cpu {
            mode: "custom".into(),
            fallback: "allow".into(),
            topology: Some(Topology {
                sockets: sockets as u32,
                dies: 1,
                // Fits: it is at most numvcpus here.
                cores: cores as u32,
                threads: 1,
            }),
            ..Default::default()
        });
    }
    Ok(vcpus)
}

/// sched.cpu.affinity: the host CPUs the vCPUs may run on.
fn parse_affinity(vmx: &Vmx, def: &mut DomainDef, numvcpus: u32) -> Result<()> {
    let Some(affinity) = vmx.string("sched.cpu.affinity", true)? else {
        return Ok(());
    };
    if affinity.eq_ignore_ascii_case("all") {
        return Ok(());
    }
    let items: Vec<&str> = if affinity.is_empty() {
        Vec::new()
    } else {
        affinity.split(',').collect()
    };
    if items.len() < numvcpus as usize {
        return Err(error(format!(
            "Expecting VMX entry 'sched.cpu.affinity' to contain at least as many values as 'numvcpus' ({numvcpus}) but found only {} value(s)",
            items.len()
        )));
    }
    let mut cpus = Vec::new();
    for item in items {
        let trimmed = item.trim_start_matches(|c: char| c.is_ascii() && values::is_c_space(c as u8));
        let number = match strtouip_prefix(trimmed) {
            Some((n, rest)) if rest.bytes().all(values::is_c_space) => n,
            _ => {
                return Err(error(format!(
                    "Expecting VMX entry 'sched.cpu.affinity' to be a comma separated list of unsigned integers but found '{affinity}'"
                )))
            }
        };
        if number >= CPUMASK_LEN {
            return Err(error(format!(
                "VMX entry 'sched.cpu.affinity' contains a {number}, this value is too large"
            )));
        }
        cpus.push(number as usize);
    }
    let mask = Bitmap::from_members(cpus);
    // A mask of every CPU is no restriction.
    if mask.count() < CPUMASK_LEN as usize {
        def.vcpu.cpuset = Some(mask.to_string());
    }
    Ok(())
}

/// sched.cpu.shares: a number, or a level scaled by the vCPU count.
fn parse_shares(vmx: &Vmx, def: &mut DomainDef) -> Result<()> {
    let Some(shares) = vmx.string("sched.cpu.shares", true)? else {
        return Ok(());
    };
    let vcpus = def.vcpu.max;
    // libvirt multiplies in unsigned int.
    let level = |per: u32| u64::from(vcpus.wrapping_mul(per));
    let value = if shares.eq_ignore_ascii_case("low") {
        level(500)
    } else if shares.eq_ignore_ascii_case("normal") {
        level(1000)
    } else if shares.eq_ignore_ascii_case("high") {
        level(2000)
    } else {
        strtoull(&shares).ok_or_else(|| {
            error(format!(
                "Expecting VMX entry 'sched.cpu.shares' to be an unsigned integer or 'low', 'normal' or 'high' but found '{shares}'"
            ))
        })?
    };
    def.cputune.shares = Some(value);
    Ok(())
}

/// RemoteDisplay.vnc.*: a VNC display when enabled.
fn parse_vnc(vmx: &Vmx) -> Result<Option<Graphics>> {
    if !vmx.boolean("RemoteDisplay.vnc.enabled", false, true)? {
        return Ok(None);
    }
    let port = vmx.long("RemoteDisplay.vnc.port", -1, true)?;
    let listen = vmx.string("RemoteDisplay.vnc.ip", true)?;
    let keymap = vmx.string("RemoteDisplay.vnc.keymap", true)?;
    let passwd = vmx.string("RemoteDisplay.vnc.password", true)?;
    let mut g = Graphics {
        kind: "vnc".into(),
        keymap,
        passwd,
        listens: vec![Listen {
            kind: "address".into(),
            address: listen,
            ..Default::default()
        }],
        ..Default::default()
    };
    if port < 0 {
        // The port is unknown: let the server pick one.
        g.port = 0;
        g.autoport = true;
    } else {
        // libvirt keeps the port in an int.
        g.port = port as i32;
        g.autoport = false;
    }
    Ok(Some(g))
}

/// svga.vramSize (bytes) as the video adapter (KiB).
fn parse_svga(vmx: &Vmx) -> Result<Video> {
    let size = vmx.long("svga.vramSize", 4 * 1024 * 1024, true)?;
    // VIR_DIV_UP in long long, stored in an unsigned int.
    let kib = (i128::from(size) + 1023) / 1024;
    Ok(Video {
        model: "vmvga".into(),
        vram: kib as i64 as u32,
        ..Default::default()
    })
}

/// The shared folder numbers below `max` that have entries (the others
/// cannot be present).
fn shared_folder_indexes(vmx: &Vmx, max: i64) -> Vec<i64> {
    let mut found: Vec<i64> = vmx
        .names()
        .iter()
        .filter_map(|name| {
            let head = name.get(..12)?;
            if !head.eq_ignore_ascii_case("sharedFolder") {
                return None;
            }
            let rest = &name[12..];
            let digits = rest.split('.').next()?;
            let n: i64 = digits.parse().ok()?;
            (n.to_string() == digits && n < max).then_some(n)
        })
        .collect();
    found.sort_unstable();
    found.dedup();
    found
}

/// sharedFolderN as a filesystem; `None` unless present and enabled.
fn parse_shared_folder(vmx: &Vmx, number: i64) -> Result<Option<Filesystem>> {
    let key = |suffix: &str| format!("sharedFolder{number}.{suffix}");
    let present = vmx.boolean(&key("present"), false, true)?;
    let enabled = vmx.boolean(&key("enabled"), false, true)?;
    if !(present && enabled) {
        return Ok(None);
    }
    let host_path = vmx.string(&key("hostPath"), false)?.unwrap_or_default();
    let guest_name = vmx.string(&key("guestName"), false)?.unwrap_or_default();
    let write_access = vmx.boolean(&key("writeAccess"), false, true)?;
    let mut fs = Filesystem {
        kind: "mount".into(),
        target: guest_name,
        readonly: !write_access,
        ..Default::default()
    };
    fs.source.0.push(("dir".into(), host_path));
    Ok(Some(fs))
}

/// libvirt's generic post-parse step as it applies to a converted VMX
/// definition.
fn post_parse(def: &mut DomainDef) {
    if def.memory.current == 0 || def.memory.current > def.memory.total {
        def.memory.current = def.memory.total;
    }
    let d = &mut def.devices;
    for fs in &mut d.filesystems {
        if fs.accessmode.is_empty() {
            fs.accessmode = "passthrough".into();
        }
    }
    for (i, v) in d.videos.iter_mut().enumerate() {
        // vmvga's default size for VMware guests, rounded up to a power of
        // two in 32 bits (an overflow gives 0).
        if v.vram == 0 {
            v.vram = 4096;
        }
        v.vram = v.vram.checked_next_power_of_two().unwrap_or(0);
        if i == 0 {
            v.primary = true;
        }
    }
    // The first serial port doubles as the console.
    if d.consoles.is_empty()
        && d.serials
            .first()
            .is_some_and(|s| matches!(s.target_type.as_deref(), None | Some("isa-serial")))
    {
        d.consoles.push(Chardev {
            dev: ChrKind::Console,
            target_type: Some("serial".into()),
            ..Default::default()
        });
    }
}
