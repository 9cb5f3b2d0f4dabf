//! libvirt's domain XML: the model every driver and native-format converter
//! shares.  [`parse`] reads a document into a [`DomainDef`] (with libvirt's
//! defaults and checks), [`format`] writes it back exactly as libvirt 9.0
//! formats it.  No I/O here.
//!
//! Everything outside `<devices>` is modelled here (identity, metadata,
//! memory and its tuning, vCPUs, iothreads, cputune, numatune, resource,
//! sysinfo, os and boot, idmap, features, cpu, clock, lifecycle actions, pm,
//! perf, seclabels, keywrap, launchSecurity and the drivers' namespaces);
//! [`devices`] holds the rest, and [`snapshot`] the `<domainsnapshot>`
//! documents that embed a domain.  Behaviour is pinned by the differential
//! tests under tests/ (libvirt's own test driver is the reference).

pub mod checkpoint;
pub mod clock;
pub mod cpu;
pub mod devices;
pub mod features;
pub mod listing;
pub mod metadata;
pub mod moment;
pub mod namespace;
pub mod os;
pub mod seclabel;
pub mod snapshot;
pub mod sysinfo;
pub mod tune;
pub(crate) mod util;
mod uuid;

pub use clock::{Clock, Offset, Timer};
pub use cpu::{Cpu, CpuFeature, NumaCell, Topology};
pub use features::{Feature, Features};
pub use metadata::Metadata;
pub use namespace::{Namespace, NamespaceData};
pub use os::{Loader, Nvram, Os};
pub use seclabel::{Keywrap, SecLabel};
pub use snapshot::{
    format_snapshot, parse_snapshot, SnapshotDef, SnapshotDisk, SnapshotFormatOptions, SnapshotParseOptions,
};
pub use sysinfo::{Idmap, LaunchSecurity, Sysinfo};
pub use tune::{Blkiotune, Cputune, IothreadId, MemoryBacking, Memtune, Numatune, Resource};
pub use util::Bitmap;
pub use uuid::{fill_random, Uuid};

use crate::abi::*;
use crate::error::{Error, Result};
use crate::xml::dom::{self, Element, Node};
use crate::xml::Writer;
use util::*;

/// What a driver contributes to parsing: the defaults libvirt takes from the
/// driver's capabilities and XML options.
#[derive(Debug, Clone)]
pub struct Profile {
    /// Architecture filled into `<os><type arch=...>` when absent (empty:
    /// leave it absent).
    pub default_arch: &'static str,
    /// First three bytes of generated MAC addresses.
    pub mac_prefix: [u8; 3],
    /// The driver's own XML namespace (`<test:...>`, `<xen:...>`, ...).
    pub namespace: Option<Namespace>,
    /// `<maxMemory>` (memory hotplug) is accepted.
    pub memory_hotplug: bool,
    /// `<os firmware=...>` (firmware auto-selection) is accepted.
    pub fw_autoselect: bool,
    /// SCSI disks without an address get wide-bus addresses (15 units per
    /// controller, unit 7 being the controller itself), as VMware's are.
    pub wide_scsi: bool,
    /// The video model of a `<video>` without one (and of the adapter added
    /// for graphics), and the default vram of vga, cirrus and vmvga in KiB.
    pub default_video: (&'static str, u32),
}

impl Profile {
    /// The test driver's (libvirt's test capabilities: i686; MACs 52:54:00).
    pub const TEST: Profile = Profile {
        default_arch: "i686",
        mac_prefix: [0x52, 0x54, 0x00],
        namespace: Some(Namespace::Test),
        memory_hotplug: true,
        fw_autoselect: true,
        wide_scsi: false,
        default_video: ("cirrus", 16 * 1024),
    };

    /// The VMware/ESX drivers' (hvm guests i686 and x86_64; MACs 00:0c:29).
    pub const VMWARE: Profile = Profile {
        default_arch: "i686",
        mac_prefix: [0x00, 0x0c, 0x29],
        namespace: Some(Namespace::Vmware),
        memory_hotplug: false,
        fw_autoselect: true,
        wide_scsi: true,
        default_video: ("vmvga", 4 * 1024),
    };

    /// The Xen drivers' (x86_64 guests; MACs 00:16:3e).
    pub const XEN: Profile = Profile {
        default_arch: "x86_64",
        mac_prefix: [0x00, 0x16, 0x3e],
        namespace: Some(Namespace::Xen),
        memory_hotplug: false,
        fw_autoselect: false,
        wide_scsi: false,
        default_video: ("cirrus", 16 * 1024),
    };

    /// XenD's s-expression era (libvirt 4.5): no architecture filled in.
    pub const XEN_SXPR: Profile = Profile {
        default_arch: "",
        mac_prefix: [0x00, 0x16, 0x3e],
        namespace: None,
        memory_hotplug: false,
        fw_autoselect: false,
        wide_scsi: false,
        default_video: ("cirrus", 16 * 1024),
    };
}

/// How to parse.
#[derive(Debug, Clone)]
pub struct ParseOptions<'a> {
    /// Driver defaults.
    pub profile: &'a Profile,
    /// Ignore runtime-only state (a definition, not a running domain's status).
    pub inactive: bool,
}

/// How to format (the `VIR_DOMAIN_XML_*` flags and the runtime id).
#[derive(Debug, Clone, Default)]
pub struct FormatOptions {
    /// The id of a running domain (`<domain id=...>`); None when inactive.
    pub id: Option<i32>,
    /// `VIR_DOMAIN_XML_SECURE`: include passwords.
    pub secure: bool,
    /// `VIR_DOMAIN_XML_INACTIVE`: the persistent definition only.
    pub inactive: bool,
    /// `VIR_DOMAIN_XML_UPDATE_CPU`.
    pub update_cpu: bool,
    /// `VIR_DOMAIN_XML_MIGRATABLE`.
    pub migratable: bool,
}

/// `<memory>`, `<currentMemory>` and `<maxMemory>`, in KiB.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Memory {
    /// `<memory>`: the maximum the guest may balloon to.
    pub total: u64,
    /// `<currentMemory>`.
    pub current: u64,
    /// `<maxMemory slots=...>` for hotplug: (KiB, slots).
    pub max: Option<(u64, u32)>,
    /// `<memory dumpCore=...>`.
    pub dump_core: Option<bool>,
}

/// `<vcpu>`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Vcpu {
    /// Maximum vCPUs.
    pub max: u32,
    /// Online vCPUs when fewer than the maximum.
    pub current: Option<u32>,
    /// `placement` attribute.
    pub placement: Option<String>,
    /// `cpuset` attribute (libvirt's canonical range form).
    pub cpuset: Option<String>,
}

/// One `<vcpus><vcpu>`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VcpuState {
    /// `enabled`.
    pub enabled: bool,
    /// `hotpluggable`.
    pub hotpluggable: bool,
    /// `order` (0: none).
    pub order: u32,
}

/// `<pm>`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Pm {
    /// `<suspend-to-mem enabled>`.
    pub suspend_to_mem: Option<bool>,
    /// `<suspend-to-disk enabled>`.
    pub suspend_to_disk: Option<bool>,
}

/// Perf event names in libvirt's order.
pub const PERF_EVENTS: &[&str] = &[
    "cmt",
    "mbmt",
    "mbml",
    "cpu_cycles",
    "instructions",
    "cache_references",
    "cache_misses",
    "branch_instructions",
    "branch_misses",
    "bus_cycles",
    "stalled_cycles_frontend",
    "stalled_cycles_backend",
    "ref_cpu_cycles",
    "cpu_clock",
    "task_clock",
    "page_faults",
    "context_switches",
    "cpu_migrations",
    "page_faults_min",
    "page_faults_maj",
    "alignment_faults",
    "emulation_faults",
];

/// libvirt's hypervisor type names (`<domain type=...>`).
pub const VIRT_TYPES: &[&str] = &[
    "none",
    "qemu",
    "kqemu",
    "kvm",
    "xen",
    "lxc",
    "uml",
    "openvz",
    "test",
    "vmware",
    "hyperv",
    "vbox",
    "phyp",
    "parallels",
    "bhyve",
    "vz",
];

/// A domain definition.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DomainDef {
    /// `<domain type=...>`.
    pub virt_type: String,
    /// `<name>`.
    pub name: String,
    /// `<uuid>` (generated when absent).
    pub uuid: Uuid,
    /// `<genid>` (generated when given empty).
    pub genid: Option<Uuid>,
    /// `<title>`.
    pub title: Option<String>,
    /// `<description>`.
    pub description: Option<String>,
    /// `<metadata>`.
    pub metadata: Option<Metadata>,
    /// Memory sizes.
    pub memory: Memory,
    /// `<blkiotune>`.
    pub blkiotune: Blkiotune,
    /// `<memtune>`.
    pub memtune: Memtune,
    /// `<memoryBacking>`.
    pub memory_backing: MemoryBacking,
    /// vCPUs.
    pub vcpu: Vcpu,
    /// `<vcpus>` when given: per-vCPU state indexed by id.
    pub vcpus: Option<Vec<VcpuState>>,
    /// `<iothreads>`/`<iothreadids>`.
    pub iothreads: Vec<IothreadId>,
    /// `<defaultiothread thread_pool_min thread_pool_max>`.
    pub default_iothread: Option<(Option<i32>, Option<i32>)>,
    /// `<cputune>`.
    pub cputune: Cputune,
    /// `<numatune>`.
    pub numatune: Option<Numatune>,
    /// `<resource>`.
    pub resource: Option<Resource>,
    /// `<sysinfo>`s.
    pub sysinfo: Vec<Sysinfo>,
    /// `<bootloader>`.
    pub bootloader: Option<String>,
    /// `<bootloader_args>`.
    pub bootloader_args: Option<String>,
    /// Guest OS and boot.
    pub os: Os,
    /// `<idmap>`.
    pub idmap: Option<Idmap>,
    /// `<features>`.
    pub features: Features,
    /// `<cpu>`.
    pub cpu: Option<Cpu>,
    /// `<clock>`.
    pub clock: Clock,
    /// `<on_poweroff>`.
    pub on_poweroff: String,
    /// `<on_reboot>`.
    pub on_reboot: String,
    /// `<on_crash>`.
    pub on_crash: String,
    /// `<on_lockfailure>`.
    pub on_lockfailure: Option<String>,
    /// `<pm>`.
    pub pm: Pm,
    /// `<perf>` events by index into [`PERF_EVENTS`].
    pub perf: std::collections::BTreeMap<usize, bool>,
    /// `<devices>`.
    pub devices: devices::Devices,
    /// Domain-level `<seclabel>`s.
    pub seclabels: Vec<SecLabel>,
    /// `<keywrap>`.
    pub keywrap: Option<Keywrap>,
    /// `<launchSecurity>`.
    pub launch_security: Option<LaunchSecurity>,
    /// The driver namespace's data (`<xen:commandline>`, ...).
    pub namespace: Option<NamespaceData>,
}

impl DomainDef {
    /// The number of online vCPUs.
    pub fn current_vcpus(&self) -> u32 {
        self.vcpu.current.unwrap_or(self.vcpu.max)
    }

    /// `virDomainSetMetadata(VIR_DOMAIN_METADATA_TITLE)`: None or empty removes it.
    pub fn set_title(&mut self, title: Option<&str>) -> Result<()> {
        let title = title.filter(|t| !t.is_empty());
        if title.is_some_and(|t| t.contains('\n')) {
            return Err(Error::invalid_arg(
                VIR_FROM_DOMAIN,
                "metadata title can't contain newlines",
            ));
        }
        self.title = title.map(str::to_string);
        Ok(())
    }

    /// `virDomainSetMetadata(VIR_DOMAIN_METADATA_DESCRIPTION)`: None or empty removes it.
    pub fn set_description(&mut self, description: Option<&str>) {
        self.description = description.filter(|d| !d.is_empty()).map(str::to_string);
    }
}

fn local_name(name: &str) -> &str {
    name.rsplit_once(':').map_or(name, |(_, l)| l)
}

/// Removes elements libvirt's XPath lookups cannot see because they sit in
/// a default XML namespace (`<x xmlns='...'>`); `<metadata>` is kept whole.
fn strip_namespaced(el: &mut Element, inherited: bool, top: bool) {
    el.children.retain_mut(|n| match n {
        Node::Element(c) => {
            if top && c.name == "metadata" {
                return !inherited && c.attr("xmlns").is_none_or(str::is_empty);
            }
            let ns = match c.attr("xmlns") {
                Some(u) => !u.is_empty(),
                None => inherited,
            };
            if ns {
                return false;
            }
            strip_namespaced(c, false, false);
            true
        }
        Node::Text(_) => true,
    });
}

fn lifecycle(root: &Element, name: &str, event: &str, default: &str, allowed: &[&str]) -> Result<String> {
    match root.child(name).map(Element::text).filter(|t| !t.is_empty()) {
        None => Ok(default.to_string()),
        Some(v) => {
            const ALL: &[&str] = &[
                "destroy",
                "restart",
                "rename-restart",
                "preserve",
                "coredump-destroy",
                "coredump-restart",
            ];
            if !ALL.contains(&v.as_str()) {
                return Err(unsupported(format!("unknown {name} action: {v}")));
            }
            if !allowed.contains(&v.as_str()) {
                return Err(unsupported(format!(
                    "Lifecycle event '{event}' doesn't support '{v}' action"
                )));
            }
            Ok(v)
        }
    }
}

/// Reads a domain document.
pub fn parse(xml: &str, opts: &ParseOptions) -> Result<DomainDef> {
    let root = dom::parse(xml).map_err(|e| {
        Error::with(
            VIR_FROM_DOMAIN,
            VIR_ERR_XML_DETAIL,
            e.detail("(domain_definition)"),
        )
    })?;
    parse_element_with_source(root, opts, Some((xml, &["metadata"])))
}

/// Reads a domain from an already parsed `<domain>` element (snapshots and
/// driver state files embed one).  Comments inside `<metadata>` are lost;
/// [`parse_element_with_source`] keeps them.
pub fn parse_element(root: Element, opts: &ParseOptions) -> Result<DomainDef> {
    parse_element_with_source(root, opts, None)
}

/// [`parse_element`] with the document text and the path from its root
/// element to this domain's `<metadata>` (for example `["domain",
/// "metadata"]` in a snapshot), so metadata keeps comments and CDATA.
pub fn parse_element_with_source(
    mut root: Element,
    opts: &ParseOptions,
    source: Option<(&str, &[&str])>,
) -> Result<DomainDef> {
    if local_name(&root.name) != "domain" {
        return Err(prop_error(format!(
            "expecting root element of 'domain', not '{}'",
            root.name
        )));
    }
    let root_ns = root.attr("xmlns").is_some_and(|u| !u.is_empty());
    strip_namespaced(&mut root, root_ns, true);
    let root = &root;
    let mut def = DomainDef {
        name: child_text_nonempty(root, "name")
            .ok_or_else(|| Error::new(VIR_FROM_DOMAIN, VIR_ERR_NO_NAME, None))?,
        ..Default::default()
    };
    let uuid_text = child_text_nonempty(root, "uuid");
    let uuid_generated = uuid_text.is_none();
    def.uuid = match uuid_text {
        Some(text) => Uuid::parse(&text).ok_or_else(|| internal("malformed uuid element"))?,
        None => Uuid::generate(),
    };
    if let Some(g) = root.child("genid") {
        let text = g.text();
        def.genid = Some(if text.is_empty() {
            Uuid::generate()
        } else {
            Uuid::parse(&text).ok_or_else(|| internal("malformed genid element"))?
        });
    }
    if def.name.contains('\n') {
        return Err(Error::with(
            VIR_FROM_XML,
            VIR_ERR_XML_DETAIL,
            "invalid char in name: \n",
        ));
    }
    let virt_type = root
        .attr("type")
        .filter(|t| !t.is_empty())
        .ok_or_else(|| internal("missing domain type attribute"))?;
    if !VIRT_TYPES.contains(&virt_type) {
        return Err(unsupported(format!("invalid domain type {virt_type}")));
    }
    def.virt_type = virt_type.to_string();
    let os_el = root.child("os");
    let type_el = os_el.and_then(|o| o.child("type"));
    let has_bootloader = root.child("bootloader").is_some_and(|b| !b.text().is_empty());
    let os_type = match type_el.map(Element::text).filter(|t| !t.is_empty()) {
        Some(t) => t,
        // A bootloader without an OS type means a Xen paravirtual guest.
        None if has_bootloader => "xen".to_string(),
        None => return Err(xml_error("an os <type> must be specified")),
    };
    if !os::OS_TYPES.contains(&os_type.as_str()) {
        return Err(unsupported(format!("unknown OS type '{os_type}'")));
    }
    def.os.os_type = if def.virt_type == "xen" && os_type == "linux" {
        "xen".to_string()
    } else {
        os_type
    };
    if let Some(a) = type_el.and_then(|t| t.attr("arch")).filter(|a| !a.is_empty()) {
        if !os::ARCHES.contains(&a) || a == "none" {
            return Err(unsupported(format!("Unknown architecture {a}")));
        }
        def.os.arch = Some(a.to_string());
    }
    def.os.machine = type_el
        .and_then(|t| t.attr("machine"))
        .filter(|m| !m.is_empty())
        .map(str::to_string);
    if def.os.arch.is_none() && !opts.profile.default_arch.is_empty() {
        def.os.arch = Some(opts.profile.default_arch.to_string());
    }
    if let Some(t) = root.child("title") {
        let t = t.text();
        if t.contains('\n') {
            return Err(xml_error("Domain title can't contain newlines"));
        }
        if !t.is_empty() {
            def.title = Some(t);
        }
    }
    def.description = child_text_nonempty(root, "description");
    if let Some(m) = root.child("metadata") {
        let raw = source.and_then(|(text, path)| metadata::read_raw(text, path));
        def.metadata = Some(metadata::parse(m, raw, root));
    }

    // Memory.
    if let Some(m) = root.child("memory") {
        def.memory.total = parse_memory_text(m, "./memory[1]")?.unwrap_or(0);
        def.memory.dump_core = prop_on_off(m, "dumpCore", false)?;
    }
    if let Some(m) = root.child("currentMemory") {
        def.memory.current = parse_memory_text(m, "./currentMemory[1]")?.unwrap_or(0);
    }
    let mut max_memory = 0;
    let mut slots = 0;
    if let Some(m) = root.child("maxMemory") {
        max_memory = parse_memory_text(m, "./maxMemory[1]")?.unwrap_or(0);
        if let Some(s) = m.attr("slots").filter(|s| !s.is_empty()) {
            slots = parse_uip(s).ok_or_else(|| xml_error("Failed to parse memory slot count"))?;
        }
    }
    if let Some(b) = root.child("blkiotune") {
        def.blkiotune = tune::parse_blkiotune(b)?;
    }
    if let Some(m) = root.child("memtune") {
        def.memtune = tune::parse_memtune(m)?;
    }

    // vCPUs.
    let placement_static = parse_vcpus(root, &mut def)?;

    def.iothreads = tune::parse_iothreads(root)?;
    for t in &def.iothreads {
        if let (Some(mn), Some(mx)) = (t.pool_min, t.pool_max) {
            if mn > mx {
                return Err(unsupported(
                    "thread_pool_min must be smaller or equal to thread_pool_max",
                ));
            }
        }
    }
    if let Some(d) = root.child("defaultiothread") {
        let mn = prop_i32_nonneg(d, "thread_pool_min")?;
        let mx = prop_i32_nonneg(d, "thread_pool_max")?;
        if let (Some(a), Some(b)) = (mn, mx) {
            if a > b {
                return Err(unsupported(
                    "thread_pool_min must be smaller or equal to thread_pool_max",
                ));
            }
        }
        if mn.is_some() || mx.is_some() {
            def.default_iothread = Some((mn, mx));
        }
    }
    if let Some(c) = root.child("cputune") {
        def.cputune = tune::parse_cputune(c, def.vcpu.max, &def.iothreads)?;
    }
    if let Some(c) = root.child("cpu") {
        def.cpu = Some(cpu::parse(c)?);
    }
    if let Some(mb) = root.child("memoryBacking") {
        def.memory_backing = tune::parse_memory_backing(mb)?;
    }
    let numa_cells = def.cpu.as_ref().map_or(0, |c| c.numa.len());
    def.numatune = tune::parse_numatune(root, placement_static, numa_cells)?;
    if def.numatune.as_ref().is_some_and(Numatune::placement_auto) && def.vcpu.cpuset.is_none() {
        def.vcpu.placement = Some("auto".into());
    }
    if let Some(r) = root.child("resource") {
        def.resource = Some(tune::parse_resource(r)?);
    }
    for si in root.children_named("sysinfo") {
        def.sysinfo
            .push(sysinfo::parse(si, &mut def.uuid, uuid_generated)?);
    }
    if let Some(m) = root.child("idmap") {
        def.idmap = sysinfo::parse_idmap(m)?;
    }

    // Lifecycle.
    const NORMAL: &[&str] = &["destroy", "restart", "rename-restart", "preserve"];
    const CRASH: &[&str] = &[
        "destroy",
        "restart",
        "rename-restart",
        "preserve",
        "coredump-destroy",
        "coredump-restart",
    ];
    def.on_poweroff = lifecycle(root, "on_poweroff", "poweroff", "destroy", NORMAL)?;
    def.on_reboot = lifecycle(root, "on_reboot", "reboot", "restart", NORMAL)?;
    def.on_crash = lifecycle(root, "on_crash", "crash", "destroy", CRASH)?;
    if let Some(v) = root
        .child("on_lockfailure")
        .map(Element::text)
        .filter(|t| !t.is_empty())
    {
        match v.as_str() {
            "default" => {}
            "poweroff" | "restart" | "pause" | "ignore" => def.on_lockfailure = Some(v),
            _ => return Err(unsupported(format!("unknown on_lockfailure action: {v}"))),
        }
    }
    if let Some(pm) = root.child("pm") {
        if let Some(m) = pm.child("suspend-to-mem") {
            def.pm.suspend_to_mem = prop_yes_no(m, "enabled", false)?;
        }
        if let Some(d) = pm.child("suspend-to-disk") {
            def.pm.suspend_to_disk = prop_yes_no(d, "enabled", false)?;
        }
    }
    if let Some(f) = root.child("features") {
        def.features = features::parse(f)?;
    }

    // Boot.
    def.bootloader = child_text_nonempty(root, "bootloader");
    def.bootloader_args = child_text_nonempty(root, "bootloader_args");
    if let Some(o) = os_el {
        os::parse_body(o, &mut def.os, def.bootloader.is_some())?;
    }
    if def.os.os_type == "exe" && def.os.init.is_none() {
        return Err(xml_error("init binary must be specified"));
    }

    def.clock = clock::parse(root.child("clock"))?;
    if let Some(p) = root.child("perf") {
        for e in p.children_named("event") {
            let i = prop_enum(e, "name", PERF_EVENTS, true)?.unwrap_or(0);
            let enabled = prop_yes_no(e, "enabled", true)?.unwrap_or(false);
            if def.perf.contains_key(&i) {
                return Err(xml_error(format!(
                    "perf event '{}' was already specified",
                    PERF_EVENTS[i]
                )));
            }
            def.perf.insert(i, enabled);
        }
    }
    def.seclabels = seclabel::parse_all(root, opts.inactive)?;
    if let Some(k) = root.child("keywrap") {
        def.keywrap = seclabel::parse_keywrap(k)?;
    }
    if let Some(l) = root.child("launchSecurity") {
        def.launch_security = Some(sysinfo::parse_launch_security(l)?);
    }
    if let Some(d) = root.child("devices") {
        let ctx = devices::DomainCtx {
            os_type: def.os.os_type.clone(),
            numa_nodes: def.cpu.as_ref().map_or(0, |c| c.numa.len()),
        };
        def.devices = devices::parse_in(d, opts, &ctx)?;
    }
    if let Some(ns) = opts.profile.namespace {
        def.namespace = namespace::parse(ns, root)?;
    }

    // Per-device `<boot order>` replaces `<os><boot>`; hotplugged memory
    // modules count towards <memory>.
    let device_boot = def.devices.has_boot_order();
    let hotplug_memory = def.devices.memory_devices_kib();
    post_parse(&mut def, max_memory, slots, device_boot, hotplug_memory)?;
    if !opts.profile.memory_hotplug && def.memory.max.is_some() {
        return Err(unsupported(
            "memory hotplug tuning is not supported by this hypervisor driver",
        ));
    }
    if !opts.profile.fw_autoselect && def.os.firmware.is_some() {
        return Err(unsupported(
            "firmware auto selection not implemented for this driver",
        ));
    }
    validate(&def)?;
    Ok(def)
}

/// `<vcpu>` and `<vcpus>`; returns whether placement is static.
fn parse_vcpus(root: &Element, def: &mut DomainDef) -> Result<bool> {
    let mut placement = "static";
    match root.child("vcpu") {
        Some(v) => {
            let max =
                parse_ui(&v.text()).ok_or_else(|| xml_error("maximum vcpus count must be an integer"))?;
            def.vcpu.max = max;
            def.vcpu.current = prop_u32(v, "current", false, false)?;
            placement = prop_enum_str(v, "placement", &["static", "auto"], false)?.unwrap_or("static");
            if placement != "auto" {
                if let Some(cs) = v.attr("cpuset") {
                    let b = Bitmap::parse(cs)?;
                    if b.is_empty() {
                        return Err(unsupported(format!("Invalid value of 'cpuset': {cs}")));
                    }
                    def.vcpu.cpuset = Some(b.to_string());
                }
            }
        }
        None => def.vcpu.max = 1,
    }
    def.vcpu.placement = Some(placement.to_string());
    let list: Vec<&Element> = root
        .child("vcpus")
        .map(|v| v.children_named("vcpu").collect())
        .unwrap_or_default();
    if !list.is_empty() {
        // Per-vCPU state is kept for every vCPU, as libvirt does; libvirt
        // exhausts memory long before u32::MAX, so refuse huge counts here.
        if def.vcpu.max > 1 << 22 {
            return Err(internal(format!(
                "maximum vcpus count {} is too large for <vcpus>",
                def.vcpu.max
            )));
        }
        let max = def.vcpu.max as usize;
        let mut states: Vec<(bool, Option<bool>, u32)> = vec![(false, None, 0); max];
        for v in list {
            let id = prop_u32(v, "id", true, false)?.unwrap_or(0);
            if id as usize >= max {
                return Err(xml_error(format!(
                    "vcpu id '{id}' is out of range of maximum vcpu count"
                )));
            }
            let enabled = prop_yes_no(v, "enabled", true)?.unwrap_or(false);
            let hot = prop_yes_no(v, "hotpluggable", false)?;
            let order = prop_u32(v, "order", false, false)?.unwrap_or(0);
            states[id as usize] = (enabled, hot, order);
        }
        let online = states.iter().filter(|s| s.0).count() as u32;
        def.vcpu.current = Some(online);
        def.vcpus = Some(
            states
                .into_iter()
                .map(|(enabled, hot, order)| VcpuState {
                    enabled,
                    hotpluggable: hot.unwrap_or(!enabled),
                    order,
                })
                .collect(),
        );
    }
    if let Some(cur) = def.vcpu.current {
        if cur > def.vcpu.max {
            return Err(unsupported(
                "maximum vCPU count must not be less than current vCPU count",
            ));
        }
        if cur == def.vcpu.max {
            def.vcpu.current = None;
        }
    }
    Ok(placement == "static")
}

/// libvirt's post-parse fix-ups that are not device-specific.
fn post_parse(
    def: &mut DomainDef,
    max_memory: u64,
    slots: u32,
    device_boot: bool,
    hotplug_memory: u64,
) -> Result<()> {
    let numa: u64 = if def.memory.total == 0 {
        def.cpu
            .as_ref()
            .map_or(0, |c| c.numa.iter().map(|n| n.memory).sum())
    } else {
        0
    };
    if numa != 0 {
        def.memory.total = numa + hotplug_memory;
    } else if hotplug_memory > def.memory.total {
        return Err(xml_error(
            "Total size of memory devices exceeds the total memory size",
        ));
    }
    let initial = if numa != 0 {
        numa
    } else {
        def.memory.total - hotplug_memory
    };
    if initial == 0 {
        return Err(xml_error(
            "Memory size must be specified via <memory> or in the <numa> configuration",
        ));
    }
    if def.memory.current == 0 || def.memory.current > def.memory.total {
        def.memory.current = def.memory.total;
    }
    if (max_memory != 0 || slots != 0) && !(max_memory != 0 && slots != 0) {
        return Err(xml_error(
            "both maximum memory size and memory slot count must be specified",
        ));
    }
    if max_memory != 0 && max_memory < def.memory.total {
        return Err(xml_error(
            "maximum memory size must be equal or greater than the actual memory size",
        ));
    }
    if max_memory != 0 {
        def.memory.max = Some((max_memory, slots));
    }
    cpu::validate_numa(def.cpu.as_ref(), def.vcpu.max)?;
    if def.cpu.as_ref().is_none_or(|c| c.numa.is_empty()) {
        // Without guest NUMA the only node is 0; naming it says nothing.
        for p in &mut def.memory_backing.hugepages {
            if p.nodeset.as_ref().is_some_and(|n| n.iter().eq([0])) {
                p.nodeset = None;
            }
        }
    }
    if def.os.os_type == "hvm" && def.bootloader.is_none() {
        if !def.os.boot.is_empty() && device_boot {
            return Err(unsupported(
                "per-device boot elements cannot be used together with os/boot elements",
            ));
        }
        if def.os.boot.is_empty() && !device_boot {
            def.os.boot.push("hd".into());
        }
    }
    Ok(())
}

/// libvirt's validation of a parsed definition (`virDomainDefValidate`),
/// the parts outside `<devices>`.
fn validate(def: &DomainDef) -> Result<()> {
    if def.name.contains('/') {
        return Err(xml_error(format!("name {} cannot contain '/'", def.name)));
    }
    if let Some(states) = &def.vcpus {
        if let Some(i) = states.iter().position(|s| !s.enabled && !s.hotpluggable) {
            return Err(unsupported(format!(
                "vcpu '{i}' is both offline and not hotpluggable"
            )));
        }
    }
    os::validate(&def.os)?;
    tune::validate_cputune(&def.cputune)?;
    tune::validate_memory_backing(&def.memory_backing, def.cpu.as_ref().map_or(0, |c| c.numa.len()))?;
    clock::validate(&def.clock)?;
    if let Some(c) = &def.cpu {
        if c.check.is_some() && c.model.is_none() && c.mode == "custom" {
            return Err(unsupported("check attribute specified for CPU with no model"));
        }
    }
    Ok(())
}

/// The OS type as libvirt prints it (Xen PV guests say `linux`).
fn os_type_text(def: &DomainDef) -> &str {
    if def.virt_type == "xen" && def.os.os_type == "xen" {
        "linux"
    } else {
        &def.os.os_type
    }
}

/// Writes a domain document as libvirt formats it.
pub fn format(def: &DomainDef, opts: &FormatOptions) -> String {
    let mut w = Writer::new();
    format_into(def, opts, &mut w, 0, "domain");
    w.finish()
}

/// Writes a domain into `w`, which is `depth` levels deep, under the root
/// element name `root_name` (snapshots embed `<domain>` and
/// `<inactiveDomain>`).
pub fn format_into(def: &DomainDef, opts: &FormatOptions, w: &mut Writer, depth: usize, root_name: &str) {
    let id = opts.id.filter(|_| !opts.inactive).map(|i| i.to_string());
    let mut attrs = vec![("type", def.virt_type.as_str())];
    if let Some(id) = &id {
        attrs.push(("id", id));
    }
    let ns_decl = def
        .namespace
        .as_ref()
        .filter(|n| !matches!(n, NamespaceData::Test { .. }))
        .map(|n| n.namespace().declaration());
    if let Some((k, v)) = &ns_decl {
        attrs.push((k.as_str(), v));
    }
    w.open(root_name, &attrs);
    // A definition converted from a native format may have no name; libvirt
    // then leaves the element out.
    if !def.name.is_empty() {
        w.text("name", &[], &def.name);
    }
    w.text("uuid", &[], &def.uuid.to_string());
    if let Some(g) = &def.genid {
        w.text("genid", &[], &g.to_string());
    }
    if let Some(t) = &def.title {
        w.text("title", &[], t);
    }
    if let Some(d) = &def.description {
        w.text("description", &[], d);
    }
    if let Some(m) = &def.metadata {
        w.raw_line(&metadata::format(m, depth + 1));
    }
    if let Some((max, slots)) = def.memory.max {
        w.text(
            "maxMemory",
            &[("slots", &slots.to_string()), ("unit", "KiB")],
            &max.to_string(),
        );
    }
    let mut mattrs = Vec::new();
    if let Some(d) = def.memory.dump_core {
        mattrs.push(("dumpCore", if d { "on" } else { "off" }));
    }
    mattrs.push(("unit", "KiB"));
    w.text("memory", &mattrs, &def.memory.total.to_string());
    w.text(
        "currentMemory",
        &[("unit", "KiB")],
        &def.memory.current.to_string(),
    );
    tune::format_blkiotune(&def.blkiotune, w);
    tune::format_memtune(&def.memtune, w);
    tune::format_memory_backing(&def.memory_backing, w);
    let mut vattrs = Vec::new();
    if let Some(p) = &def.vcpu.placement {
        vattrs.push(("placement", p.as_str()));
    }
    if let Some(c) = &def.vcpu.cpuset {
        vattrs.push(("cpuset", c.as_str()));
    }
    let current = def
        .vcpu
        .current
        .filter(|c| *c != def.vcpu.max)
        .map(|c| c.to_string());
    if let Some(c) = &current {
        vattrs.push(("current", c.as_str()));
    }
    w.text("vcpu", &vattrs, &def.vcpu.max.to_string());
    if let Some(states) = &def.vcpus {
        w.open("vcpus", &[]);
        for (i, s) in states.iter().enumerate() {
            let id = i.to_string();
            let order = s.order.to_string();
            let mut a = vec![
                ("id", id.as_str()),
                ("enabled", if s.enabled { "yes" } else { "no" }),
                ("hotpluggable", if s.hotpluggable { "yes" } else { "no" }),
            ];
            if s.order != 0 {
                a.push(("order", &order));
            }
            w.empty("vcpu", &a);
        }
        w.close("vcpus");
    }
    tune::format_iothreads(&def.iothreads, w);
    if let Some((mn, mx)) = &def.default_iothread {
        let (a, b) = (mn.map(|v| v.to_string()), mx.map(|v| v.to_string()));
        let mut at = Vec::new();
        if let Some(a) = &a {
            at.push(("thread_pool_min", a.as_str()));
        }
        if let Some(b) = &b {
            at.push(("thread_pool_max", b.as_str()));
        }
        w.empty("defaultiothread", &at);
    }
    tune::format_cputune(&def.cputune, w);
    if let Some(nt) = &def.numatune {
        tune::format_numatune(nt, w);
    }
    if let Some(r) = &def.resource {
        tune::format_resource(r, w);
    }
    for si in &def.sysinfo {
        sysinfo::format(si, w);
    }
    if let Some(b) = &def.bootloader {
        w.text("bootloader", &[], b);
    }
    if let Some(b) = &def.bootloader_args {
        w.text("bootloader_args", &[], b);
    }
    os::format(&def.os, os_type_text(def), def.bootloader.is_some(), w);
    if let Some(m) = &def.idmap {
        sysinfo::format_idmap(m, w);
    }
    features::format(&def.features, w);
    if let Some(c) = &def.cpu {
        cpu::format(c, w, opts.update_cpu);
    }
    clock::format(&def.clock, w);
    w.text("on_poweroff", &[], &def.on_poweroff);
    w.text("on_reboot", &[], &def.on_reboot);
    w.text("on_crash", &[], &def.on_crash);
    if let Some(l) = &def.on_lockfailure {
        w.text("on_lockfailure", &[], l);
    }
    if def.pm.suspend_to_mem.is_some() || def.pm.suspend_to_disk.is_some() {
        w.open("pm", &[]);
        for (n, v) in [
            ("suspend-to-mem", def.pm.suspend_to_mem),
            ("suspend-to-disk", def.pm.suspend_to_disk),
        ] {
            if let Some(e) = v {
                w.empty(n, &[("enabled", if e { "yes" } else { "no" })]);
            }
        }
        w.close("pm");
    }
    if !def.perf.is_empty() {
        w.open("perf", &[]);
        for (i, e) in &def.perf {
            w.empty(
                "event",
                &[
                    ("name", PERF_EVENTS[*i]),
                    ("enabled", if *e { "yes" } else { "no" }),
                ],
            );
        }
        w.close("perf");
    }
    devices::format(&def.devices, w, opts);
    for s in &def.seclabels {
        seclabel::format(s, w);
    }
    if let Some(k) = &def.keywrap {
        seclabel::format_keywrap(k, w);
    }
    if let Some(l) = &def.launch_security {
        sysinfo::format_launch_security(l, w);
    }
    if let Some(ns) = &def.namespace {
        namespace::format(ns, w);
    }
    w.close(root_name);
}
