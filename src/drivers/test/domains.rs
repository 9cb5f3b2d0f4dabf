//! The test driver's domains: their definitions, run state and the operations
//! on them, with libvirt's test driver state transitions, events and errors.

use crate::abi::*;
use crate::domain::listing::{Facts, Filter};
use crate::domain::{self, metadata, DomainDef, FormatOptions, ParseOptions, Profile, Uuid};
use crate::domain_events::{DomainEvent, DomainEventState};
use crate::driver::{DomainInfo, DomainRef, MetadataEdit, VcpuInfo};
use crate::error::{Error, Result};
use crate::typed_params::{self, ParamType, TypedParam, TypedValue};

use super::checkpoints::Checkpoints;
use super::snapshots::Snapshots;

/// The test driver's save files: a magic string, the length of the domain
/// XML (native byte order) and the XML.
mod save_image {
    use std::io::{Read, Write};
    use std::os::unix::fs::OpenOptionsExt;

    use crate::abi::*;
    use crate::error::{Error, Result};

    /// The magic, NUL-padded to its field's 15 bytes.
    const MAGIC: &[u8; 15] = b"TestGuestMagic\0";

    /// Writes an image; on failure, which step failed and why.
    pub fn write(path: &str, xml: &str) -> std::result::Result<(), (&'static str, std::io::Error)> {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(path)
            .map_err(|e| ("open failed", e))?;
        let len = i32::try_from(xml.len())
            .map_err(|_| ("write failed", std::io::Error::from_raw_os_error(libc::EFBIG)))?;
        f.write_all(MAGIC).map_err(|e| ("write failed", e))?;
        f.write_all(&len.to_ne_bytes()).map_err(|e| ("write failed", e))?;
        f.write_all(xml.as_bytes()).map_err(|e| ("write failed", e))?;
        Ok(())
    }

    /// Reads an image's XML, refusing files that are not complete images.
    pub fn read(path: &str) -> Result<String> {
        let mut f = std::fs::File::open(path)
            .map_err(|e| Error::io(VIR_FROM_TEST, &e, format!("cannot read domain image '{path}'")))?;
        let mut header = [0u8; 19];
        let mut got = 0;
        while got < header.len() {
            match f.read(&mut header[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) => {
                    return Err(Error::io(
                        VIR_FROM_TEST,
                        &e,
                        format!("incomplete save header in '{path}'"),
                    ))
                }
            }
        }
        if got < header.len() {
            // libvirt reports whatever errno was left behind: ENOTTY from its
            // earlier terminal check for an empty file, none for a short one.
            let errno = if got == 0 { libc::ENOTTY } else { 0 };
            return Err(Error::system(
                VIR_FROM_TEST,
                errno,
                format!("incomplete save header in '{path}'"),
            ));
        }
        if &header[..15] != MAGIC {
            return Err(Error::with(
                VIR_FROM_TEST,
                VIR_ERR_INTERNAL_ERROR,
                "mismatched header magic",
            ));
        }
        let len = i32::from_ne_bytes([header[15], header[16], header[17], header[18]]);
        if !(1..=10 * 1024 * 1024).contains(&len) {
            return Err(Error::with(
                VIR_FROM_TEST,
                VIR_ERR_INTERNAL_ERROR,
                "length of metadata out of range",
            ));
        }
        let mut xml = vec![0u8; len as usize];
        f.read_exact(&mut xml)
            .map_err(|_| Error::system(VIR_FROM_TEST, 0, format!("incomplete metadata in '{path}'")))?;
        String::from_utf8(xml)
            .map_err(|_| Error::with(VIR_FROM_TEST, VIR_ERR_INTERNAL_ERROR, "mismatched header magic"))
    }
}

/// A save image's domain as libvirt's test driver shows it: read as an
/// inactive definition, written with its secrets.
fn format_image_def(def: &DomainDef) -> String {
    domain::format(
        def,
        &FormatOptions {
            secure: true,
            ..Default::default()
        },
    )
}

/// `virDomainSaveImageGetXMLDesc`.
pub fn save_image_xml(path: &str, flags: u32) -> Result<String> {
    check_flags(
        flags,
        VIR_DOMAIN_SAVE_IMAGE_XML_SECURE,
        "testDomainSaveImageGetXMLDesc",
    )?;
    Ok(format_image_def(&parse_def(&save_image::read(path)?)?))
}

/// `virDomainSaveImageDefineXML`: the image keeps its state, with `xml` as
/// its domain.
pub fn save_image_define(path: &str, xml: &str, flags: u32) -> Result<()> {
    check_flags(
        flags,
        VIR_DOMAIN_SAVE_RUNNING | VIR_DOMAIN_SAVE_PAUSED,
        "testDomainSaveImageDefineXML",
    )?;
    save_image::read(path)?;
    let text = format_image_def(&parse_def(xml)?);
    save_image::write(path, &text)
        .map_err(|(what, e)| Error::io(VIR_FROM_TEST, &e, format!("saving domain image '{path}': {what}")))
}

/// One domain of a test hypervisor.
#[derive(Debug, Clone)]
pub struct DomainObj {
    /// The running definition, or the persistent one while inactive.
    pub def: DomainDef,
    /// The persistent definition of a running domain, when it differs.
    pub new_def: Option<DomainDef>,
    /// Id while active, -1 otherwise.
    pub id: i32,
    /// `virDomainState`.
    pub state: i32,
    /// The state's reason.
    pub reason: i32,
    /// Has a persistent definition.
    pub persistent: bool,
    /// Starts with the host.
    pub autostart: bool,
    /// A managed save image exists.
    pub managed_save: bool,
    /// Its snapshots.
    pub snapshots: Snapshots,
    /// Its checkpoints.
    pub checkpoints: Checkpoints,
}

/// The check of calls that change one definition (libvirt's
/// virDomainObjGetOneDefState): not both LIVE and CONFIG.
fn one_def(flags: u32) -> Result<()> {
    let both = VIR_DOMAIN_AFFECT_LIVE | VIR_DOMAIN_AFFECT_CONFIG;
    if flags & both != both {
        return Ok(());
    }
    Err(Error::arg_check(
        VIR_FROM_DOMAIN,
        "Flags 'VIR_DOMAIN_AFFECT_LIVE' and 'VIR_DOMAIN_AFFECT_CONFIG' are mutually exclusive".into(),
        "virDomainObjGetOneDefState",
        "flags",
    ))
}

/// libvirt's error for a `virDomainMetadataType` it does not know.
fn unknown_metadata(kind: i32) -> Error {
    Error::invalid_arg(VIR_FROM_DOMAIN, format!("unknown metadata type '{kind}'"))
}

impl DomainObj {
    /// A domain in `state` (inactive domains get id -1).
    pub fn new(def: DomainDef, persistent: bool) -> Self {
        DomainObj {
            def,
            new_def: None,
            id: -1,
            state: VIR_DOMAIN_SHUTOFF,
            reason: VIR_DOMAIN_SHUTOFF_UNKNOWN,
            persistent,
            autostart: false,
            managed_save: false,
            snapshots: Snapshots::default(),
            checkpoints: Checkpoints::default(),
        }
    }

    /// Whether it runs (running, paused, ...: anything but shut off).
    pub fn active(&self) -> bool {
        self.id >= 0
    }

    /// How a handle names it.
    pub fn reference(&self) -> DomainRef {
        DomainRef {
            name: self.def.name.clone(),
            uuid: self.def.uuid,
            id: self.id,
        }
    }

    /// The persistent definition (the running one when there is no other).
    pub fn persistent_def(&self) -> &DomainDef {
        self.new_def.as_ref().unwrap_or(&self.def)
    }

    /// The persistent definition to change; a running domain gets its own
    /// copy first, so the change waits for the next start.
    fn persistent_def_mut(&mut self) -> &mut DomainDef {
        if self.active() && self.new_def.is_none() {
            self.new_def = Some(self.def.clone());
        }
        match &mut self.new_def {
            Some(d) => d,
            None => &mut self.def,
        }
    }
}

/// The domains of one test hypervisor and their id counter.
#[derive(Default)]
pub struct Domains {
    list: Vec<DomainObj>,
    next_id: i32,
}

fn not_found_uuid(dom: &DomainRef) -> Error {
    Error::with(
        VIR_FROM_TEST,
        VIR_ERR_NO_DOMAIN,
        format!("no domain with matching uuid '{}' ({})", dom.uuid, dom.name),
    )
}

fn not_found() -> Error {
    Error::new(VIR_FROM_TEST, VIR_ERR_NO_DOMAIN, None)
}

fn not_running_generic() -> Error {
    Error::with(
        VIR_FROM_DOMAIN,
        VIR_ERR_OPERATION_INVALID,
        "domain is not running",
    )
}

/// The test driver's refusal of flags outside `allowed`.
pub(super) fn check_flags(flags: u32, allowed: u32, func: &str) -> Result<()> {
    match flags & !allowed {
        0 => Ok(()),
        unknown => Err(Error::bad_flags(VIR_FROM_TEST, func, unknown)),
    }
}

/// Parses a definition with the test driver's defaults and names unnamed
/// interfaces `testnetN` as libvirt's test driver does.
pub fn parse_def(xml: &str) -> Result<DomainDef> {
    let mut def = domain::parse(
        xml,
        &ParseOptions {
            profile: &Profile::TEST,
            inactive: true,
        },
    )?;
    if def.virt_type != "test" && !KNOWN_TYPES.contains(&def.virt_type.as_str()) {
        return Err(Error::with(
            VIR_FROM_DOMAIN,
            VIR_ERR_CONFIG_UNSUPPORTED,
            format!("invalid domain type {}", def.virt_type),
        ));
    }
    // Each unnamed interface takes the lowest `testnetN` no interface of the
    // domain has yet.
    for i in 0..def.devices.interfaces.len() {
        if def.devices.interfaces[i].target_dev.is_some() {
            continue;
        }
        let taken = |name: &str| {
            def.devices
                .interfaces
                .iter()
                .any(|n| n.target_dev.as_deref() == Some(name))
        };
        let name = (0..)
            .map(|k| format!("testnet{k}"))
            .find(|n| !taken(n))
            .unwrap_or_default();
        def.devices.interfaces[i].target_dev = Some(name);
    }
    Ok(def)
}

/// A CPU list in libvirt's syntax ("0-3,^2,8"), as a map of `max` CPUs;
/// entries at or beyond `max` are ignored.
fn parse_cpuset(text: &str, max: usize) -> Vec<bool> {
    let mut map = vec![false; max];
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (negate, range) = match part.strip_prefix('^') {
            Some(r) => (true, r),
            None => (false, part),
        };
        let (lo, hi) = match range.split_once('-') {
            Some((a, b)) => (a.trim().parse::<usize>(), b.trim().parse::<usize>()),
            None => (range.parse::<usize>(), range.parse::<usize>()),
        };
        if let (Ok(lo), Ok(hi)) = (lo, hi) {
            if lo < max && lo <= hi {
                for slot in &mut map[lo..=hi.min(max - 1)] {
                    *slot = !negate;
                }
            }
        }
    }
    map
}

/// The most vCPUs a test guest may have (`virConnectGetMaxVcpus`).
pub const MAX_VCPUS: u32 = 32;

/// Domain types libvirt knows (the test driver accepts any of them).
const KNOWN_TYPES: &[&str] = &[
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
    "ch",
];

/// The wall clock in nanoseconds: what libvirt's test driver reports as a
/// domain's CPU time.
fn now_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

impl Domains {
    /// An empty list whose first started domain gets id `first_id`.
    pub fn new(first_id: i32) -> Self {
        Domains {
            list: Vec::new(),
            next_id: first_id,
        }
    }

    /// Adds a domain loaded with the state (node files, the built-in config).
    pub fn add_loaded(&mut self, mut obj: DomainObj, state: i32) {
        if state != VIR_DOMAIN_SHUTOFF {
            obj.id = self.next_id;
            self.next_id += 1;
            if obj.persistent {
                obj.new_def = Some(obj.def.clone());
            }
        }
        obj.state = state;
        obj.reason = 0;
        self.list.push(obj);
    }

    /// All domains, in the order they were added.
    pub fn all(&self) -> &[DomainObj] {
        &self.list
    }

    /// The position of the domain a handle names (for the snapshot code).
    pub(super) fn index_of(&self, dom: &DomainRef) -> Result<usize> {
        self.index_by_uuid(dom)
    }

    /// The domain at a position from [`Domains::index_of`].
    pub(super) fn obj_mut(&mut self, i: usize) -> &mut DomainObj {
        &mut self.list[i]
    }

    /// Starts the domain at `i` under a new id.
    pub(super) fn start_at(&mut self, i: usize, reason: i32) {
        self.start(i, reason);
    }

    /// Shuts off the domain at `i` (a transient one disappears).
    pub(super) fn stop_at(&mut self, i: usize, reason: i32) {
        self.stop(i, reason);
    }

    fn index_by_uuid(&self, dom: &DomainRef) -> Result<usize> {
        self.list
            .iter()
            .position(|d| d.def.uuid == dom.uuid)
            .ok_or_else(|| not_found_uuid(dom))
    }

    /// The domain a handle names.
    pub fn get(&self, dom: &DomainRef) -> Result<&DomainObj> {
        self.index_by_uuid(dom).map(|i| &self.list[i])
    }

    fn get_mut(&mut self, dom: &DomainRef) -> Result<&mut DomainObj> {
        let i = self.index_by_uuid(dom)?;
        Ok(&mut self.list[i])
    }

    /// Lookup by id (running domains only).
    pub fn by_id(&self, id: i32) -> Result<DomainRef> {
        self.list
            .iter()
            .find(|d| d.active() && d.id == id)
            .map(DomainObj::reference)
            .ok_or_else(not_found)
    }

    /// Lookup by name.
    pub fn by_name(&self, name: &str) -> Result<DomainRef> {
        self.list
            .iter()
            .find(|d| d.def.name == name)
            .map(DomainObj::reference)
            .ok_or_else(not_found)
    }

    /// Lookup by UUID.
    pub fn by_uuid(&self, uuid: &Uuid) -> Result<DomainRef> {
        self.list
            .iter()
            .find(|d| d.def.uuid == *uuid)
            .map(DomainObj::reference)
            .ok_or_else(not_found)
    }

    /// Refuses a definition whose name or UUID belongs to another domain;
    /// returns the index of the same domain when it already exists.
    fn find_same(&self, def: &DomainDef) -> Result<Option<usize>> {
        if let Some((i, d)) = self.list.iter().enumerate().find(|(_, d)| d.def.uuid == def.uuid) {
            if d.def.name != def.name {
                return Err(Error::with(
                    VIR_FROM_DOMAIN,
                    VIR_ERR_OPERATION_FAILED,
                    format!(
                        "domain '{}' is already defined with uuid {}",
                        d.def.name, d.def.uuid
                    ),
                ));
            }
            return Ok(Some(i));
        }
        if let Some(d) = self.list.iter().find(|d| d.def.name == def.name) {
            return Err(Error::with(
                VIR_FROM_DOMAIN,
                VIR_ERR_OPERATION_FAILED,
                format!("domain '{}' already exists with uuid {}", d.def.name, d.def.uuid),
            ));
        }
        Ok(None)
    }

    fn start(&mut self, i: usize, reason: i32) {
        let id = self.next_id;
        self.next_id += 1;
        let obj = &mut self.list[i];
        obj.id = id;
        obj.state = VIR_DOMAIN_RUNNING;
        obj.reason = reason;
        // A running persistent domain keeps its definition apart from the live
        // one: changes to the live domain do not touch what the next start uses.
        if obj.persistent && obj.new_def.is_none() {
            obj.new_def = Some(obj.def.clone());
        }
    }

    /// The domain's `on_poweroff` / `on_reboot` action after the guest went
    /// down: the restart actions leave it running, booted again under the same
    /// id (no events, as libvirt's test driver); the others shut it off.
    /// Returns the id the domain has afterwards (-1 when stopped).
    fn power_action(&mut self, i: usize, action: &str, events: &DomainEventState) -> i32 {
        if matches!(action, "restart" | "rename-restart") {
            let obj = &mut self.list[i];
            obj.state = VIR_DOMAIN_RUNNING;
            obj.reason = VIR_DOMAIN_RUNNING_BOOTED;
            return obj.id;
        }
        let r = self.list[i].reference();
        self.stop(i, VIR_DOMAIN_SHUTOFF_SHUTDOWN);
        events.queue(
            &r,
            DomainEvent::lifecycle(VIR_DOMAIN_EVENT_STOPPED, VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN),
        );
        -1
    }

    /// Stops domain `i`; a transient domain disappears.
    fn stop(&mut self, i: usize, reason: i32) {
        let obj = &mut self.list[i];
        obj.id = -1;
        obj.state = VIR_DOMAIN_SHUTOFF;
        obj.reason = reason;
        if let Some(def) = obj.new_def.take() {
            obj.def = def;
        }
        if !obj.persistent {
            self.list.remove(i);
        }
    }

    /// `virDomainDefineXML`.
    pub fn define(&mut self, xml: &str, flags: u32, events: &DomainEventState) -> Result<DomainRef> {
        check_flags(flags, VIR_DOMAIN_DEFINE_VALIDATE, "testDomainDefineXMLFlags")?;
        let def = parse_def(xml)?;
        let (i, detail) = match self.find_same(&def)? {
            Some(i) => {
                let obj = &mut self.list[i];
                let detail = if obj.persistent {
                    VIR_DOMAIN_EVENT_DEFINED_UPDATED
                } else {
                    VIR_DOMAIN_EVENT_DEFINED_ADDED
                };
                obj.persistent = true;
                if obj.active() {
                    obj.new_def = Some(def);
                } else {
                    obj.def = def;
                }
                (i, detail)
            }
            None => {
                self.list.push(DomainObj::new(def, true));
                (self.list.len() - 1, VIR_DOMAIN_EVENT_DEFINED_ADDED)
            }
        };
        let r = self.list[i].reference();
        events.queue(&r, DomainEvent::lifecycle(VIR_DOMAIN_EVENT_DEFINED, detail));
        Ok(r)
    }

    /// `virDomainCreateXML`: a new transient domain, started.
    pub fn create_xml(&mut self, xml: &str, flags: u32, events: &DomainEventState) -> Result<DomainRef> {
        check_flags(flags, VIR_DOMAIN_START_VALIDATE, "testDomainCreateXML")?;
        let def = parse_def(xml)?;
        let i = match self.find_same(&def)? {
            Some(i) if self.list[i].active() => {
                return Err(Error::with(
                    VIR_FROM_DOMAIN,
                    VIR_ERR_OPERATION_INVALID,
                    format!("domain '{}' is already active", def.name),
                ))
            }
            Some(i) => {
                let obj = &mut self.list[i];
                obj.new_def = Some(std::mem::replace(&mut obj.def, def));
                i
            }
            None => {
                self.list.push(DomainObj::new(def, false));
                self.list.len() - 1
            }
        };
        self.start(i, VIR_DOMAIN_RUNNING_BOOTED);
        let r = self.list[i].reference();
        events.queue(
            &r,
            DomainEvent::lifecycle(VIR_DOMAIN_EVENT_STARTED, VIR_DOMAIN_EVENT_STARTED_BOOTED),
        );
        Ok(r)
    }

    /// `virDomainUndefineFlags`.
    pub fn undefine(&mut self, dom: &DomainRef, flags: u32, events: &DomainEventState) -> Result<()> {
        check_flags(
            flags,
            VIR_DOMAIN_UNDEFINE_MANAGED_SAVE | VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA,
            "testDomainUndefineFlags",
        )?;
        let i = self.index_by_uuid(dom)?;
        let obj = &mut self.list[i];
        if obj.managed_save && flags & VIR_DOMAIN_UNDEFINE_MANAGED_SAVE == 0 {
            return Err(Error::with(
                VIR_FROM_TEST,
                VIR_ERR_OPERATION_INVALID,
                "Refusing to undefine while domain managed save image exists",
            ));
        }
        if !obj.active() && !obj.snapshots.is_empty() && flags & VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA == 0 {
            return Err(Error::with(
                VIR_FROM_TEST,
                VIR_ERR_OPERATION_INVALID,
                format!(
                    "cannot delete inactive domain with {} snapshots",
                    obj.snapshots.len()
                ),
            ));
        }
        let r = obj.reference();
        obj.managed_save = false;
        events.queue(
            &r,
            DomainEvent::lifecycle(VIR_DOMAIN_EVENT_UNDEFINED, VIR_DOMAIN_EVENT_UNDEFINED_REMOVED),
        );
        if obj.active() {
            obj.persistent = false;
            obj.new_def = None;
        } else {
            self.list.remove(i);
        }
        Ok(())
    }

    /// `virDomainCreateWithFlags`.
    pub fn create(&mut self, dom: &DomainRef, flags: u32, events: &DomainEventState) -> Result<DomainRef> {
        check_flags(flags, 0, "testDomainCreateWithFlags")?;
        let i = self.index_by_uuid(dom)?;
        if self.list[i].active() {
            return Err(Error::internal(
                VIR_FROM_TEST,
                format!("Domain '{}' is already running", dom.name),
            ));
        }
        self.list[i].managed_save = false;
        self.start(i, VIR_DOMAIN_RUNNING_BOOTED);
        let r = self.list[i].reference();
        events.queue(
            &r,
            DomainEvent::lifecycle(VIR_DOMAIN_EVENT_STARTED, VIR_DOMAIN_EVENT_STARTED_BOOTED),
        );
        Ok(r)
    }

    /// `virDomainDestroyFlags`.
    pub fn destroy(&mut self, dom: &DomainRef, flags: u32, events: &DomainEventState) -> Result<()> {
        check_flags(flags, VIR_DOMAIN_DESTROY_GRACEFUL, "testDomainDestroyFlags")?;
        let i = self.index_by_uuid(dom)?;
        if !self.list[i].active() {
            return Err(not_running_generic());
        }
        let r = self.list[i].reference();
        self.stop(i, VIR_DOMAIN_SHUTOFF_DESTROYED);
        events.queue(
            &r,
            DomainEvent::lifecycle(VIR_DOMAIN_EVENT_STOPPED, VIR_DOMAIN_EVENT_STOPPED_DESTROYED),
        );
        Ok(())
    }

    fn require_state(&self, i: usize, state: i32, what: &str) -> Result<()> {
        let obj = &self.list[i];
        if obj.state != state {
            return Err(Error::internal(
                VIR_FROM_TEST,
                format!("domain '{}' {what}", obj.def.name),
            ));
        }
        Ok(())
    }

    /// `virDomainShutdownFlags`; returns the domain's id afterwards.
    pub fn shutdown(&mut self, dom: &DomainRef, flags: u32, events: &DomainEventState) -> Result<i32> {
        check_flags(flags, 0, "testDomainShutdownFlags")?;
        let i = self.index_by_uuid(dom)?;
        if !self.list[i].active() {
            return Err(Error::internal(
                VIR_FROM_TEST,
                format!("domain '{}' not running", dom.name),
            ));
        }
        let action = self.list[i].def.on_poweroff.clone();
        Ok(self.power_action(i, &action, events))
    }

    /// `virDomainReboot`: the domain's `on_reboot` action decides what follows;
    /// returns the domain's id afterwards.
    pub fn reboot(&mut self, dom: &DomainRef, flags: u32, events: &DomainEventState) -> Result<i32> {
        let modes = VIR_DOMAIN_REBOOT_ACPI_POWER_BTN
            | VIR_DOMAIN_REBOOT_GUEST_AGENT
            | VIR_DOMAIN_REBOOT_INITCTL
            | VIR_DOMAIN_REBOOT_SIGNAL
            | VIR_DOMAIN_REBOOT_PARAVIRT;
        check_flags(flags, modes, "testDomainReboot")?;
        let i = self.index_by_uuid(dom)?;
        if !self.list[i].active() {
            return Err(not_running_generic());
        }
        let action = self.list[i].def.on_reboot.clone();
        Ok(self.power_action(i, &action, events))
    }

    /// `virDomainReset`.
    pub fn reset(&mut self, dom: &DomainRef, flags: u32) -> Result<()> {
        check_flags(flags, 0, "testDomainReset")?;
        let i = self.index_by_uuid(dom)?;
        if !self.list[i].active() {
            return Err(not_running_generic());
        }
        Ok(())
    }

    /// `virDomainSuspend`.
    pub fn suspend(&mut self, dom: &DomainRef, events: &DomainEventState) -> Result<()> {
        let i = self.index_by_uuid(dom)?;
        self.require_state(i, VIR_DOMAIN_RUNNING, "not running")?;
        let obj = &mut self.list[i];
        obj.state = VIR_DOMAIN_PAUSED;
        obj.reason = VIR_DOMAIN_PAUSED_USER;
        events.queue(
            &obj.reference(),
            DomainEvent::lifecycle(VIR_DOMAIN_EVENT_SUSPENDED, VIR_DOMAIN_EVENT_SUSPENDED_PAUSED),
        );
        Ok(())
    }

    /// `virDomainResume`.
    pub fn resume(&mut self, dom: &DomainRef, events: &DomainEventState) -> Result<()> {
        let i = self.index_by_uuid(dom)?;
        self.require_state(i, VIR_DOMAIN_PAUSED, "not paused")?;
        let obj = &mut self.list[i];
        obj.state = VIR_DOMAIN_RUNNING;
        obj.reason = VIR_DOMAIN_RUNNING_UNPAUSED;
        events.queue(
            &obj.reference(),
            DomainEvent::lifecycle(VIR_DOMAIN_EVENT_RESUMED, VIR_DOMAIN_EVENT_RESUMED_UNPAUSED),
        );
        Ok(())
    }

    /// `virDomainGetInfo`.
    pub fn info(&self, dom: &DomainRef) -> Result<DomainInfo> {
        let obj = self.get(dom)?;
        Ok(DomainInfo {
            state: obj.state,
            max_mem: obj.def.memory.total,
            memory: obj.def.memory.current,
            nr_virt_cpu: obj.def.vcpu.current.unwrap_or(obj.def.vcpu.max),
            cpu_time: now_ns(),
        })
    }

    /// `virDomainGetVcpus`: every online vCPU running on the last host CPU of
    /// its affinity (the domain's cpuset, or every host CPU).
    pub fn vcpus(&self, dom: &DomainRef, host_cpus: usize) -> Result<Vec<VcpuInfo>> {
        let obj = self.get(dom)?;
        if !obj.active() {
            return Err(Error::with(
                VIR_FROM_TEST,
                VIR_ERR_OPERATION_INVALID,
                "cannot list vcpus for an inactive domain",
            ));
        }
        let affinity: Vec<bool> = match &obj.def.vcpu.cpuset {
            Some(set) => {
                let mut map = parse_cpuset(set, host_cpus);
                map.resize(host_cpus, false);
                map
            }
            None => vec![true; host_cpus],
        };
        let cpu = affinity.iter().rposition(|&b| b).map_or(-1, |c| c as i32);
        let now = now_ns();
        let n = obj.def.vcpu.current.unwrap_or(obj.def.vcpu.max);
        Ok((0..n)
            .map(|number| VcpuInfo {
                number,
                state: VIR_VCPU_RUNNING,
                cpu_time: now,
                cpu,
                affinity: affinity.clone(),
            })
            .collect())
    }

    /// `virDomainGetState`.
    pub fn state(&self, dom: &DomainRef, flags: u32) -> Result<(i32, i32)> {
        check_flags(flags, 0, "testDomainGetState")?;
        let obj = self.get(dom)?;
        Ok((obj.state, obj.reason))
    }

    /// `virDomainGetXMLDesc`.
    pub fn xml_desc(&self, dom: &DomainRef, flags: u32) -> Result<String> {
        check_flags(
            flags,
            VIR_DOMAIN_XML_SECURE | VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_MIGRATABLE,
            "testDomainGetXMLDesc",
        )?;
        let obj = self.get(dom)?;
        let inactive = flags & VIR_DOMAIN_XML_INACTIVE != 0;
        let def = if inactive { obj.persistent_def() } else { &obj.def };
        let opts = FormatOptions {
            id: obj.active().then_some(obj.id),
            secure: flags & VIR_DOMAIN_XML_SECURE != 0,
            inactive,
            update_cpu: false,
            migratable: flags & VIR_DOMAIN_XML_MIGRATABLE != 0,
        };
        Ok(domain::format(def, &opts))
    }

    /// `virDomainSetAutostart` (the test driver allows it on transient domains).
    pub fn set_autostart(&mut self, dom: &DomainRef, autostart: bool) -> Result<()> {
        self.get_mut(dom)?.autostart = autostart;
        Ok(())
    }

    /// Which definitions a `VIR_DOMAIN_AFFECT_*` combination selects:
    /// (live, persistent), with libvirt's errors for impossible choices.
    fn affected(obj: &DomainObj, flags: u32) -> Result<(bool, bool)> {
        let mut live = flags & VIR_DOMAIN_AFFECT_LIVE != 0;
        let mut config = flags & VIR_DOMAIN_AFFECT_CONFIG != 0;
        if !live && !config {
            if obj.active() {
                live = true;
            } else {
                config = true;
            }
        }
        if live && !obj.active() {
            return Err(not_running_generic());
        }
        if config && !obj.persistent {
            return Err(Error::with(
                VIR_FROM_DOMAIN,
                VIR_ERR_OPERATION_INVALID,
                "transient domains do not have any persistent config",
            ));
        }
        Ok((live, config))
    }

    /// `virDomainSetMetadata`: edits the selected definitions, then tells
    /// the metadata-change watchers.
    pub fn set_metadata(
        &mut self,
        dom: &DomainRef,
        edit: &MetadataEdit,
        flags: u32,
        events: &DomainEventState,
    ) -> Result<()> {
        check_flags(
            flags,
            VIR_DOMAIN_AFFECT_LIVE | VIR_DOMAIN_AFFECT_CONFIG,
            "testDomainSetMetadata",
        )?;
        let obj = self.get_mut(dom)?;
        let (live, config) = Self::affected(obj, flags)?;
        let apply = |def: &mut DomainDef| -> Result<()> {
            match edit.kind {
                VIR_DOMAIN_METADATA_TITLE => def.set_title(edit.value),
                VIR_DOMAIN_METADATA_DESCRIPTION => {
                    def.set_description(edit.value);
                    Ok(())
                }
                VIR_DOMAIN_METADATA_ELEMENT => metadata::set_element(
                    &mut def.metadata,
                    edit.value,
                    edit.key.unwrap_or_default(),
                    edit.uri.unwrap_or_default(),
                ),
                other => Err(unknown_metadata(other)),
            }
        };
        // Both definitions change, or neither.
        let mut live_def = obj.def.clone();
        let mut config_def = obj.persistent_def().clone();
        if live {
            apply(&mut live_def)?;
        }
        if config {
            apply(&mut config_def)?;
        }
        if live {
            obj.def = live_def;
        }
        if config {
            *obj.persistent_def_mut() = config_def;
        }
        events.queue(
            &obj.reference(),
            DomainEvent::MetadataChange {
                kind: edit.kind,
                uri: edit.uri.map(str::to_string),
            },
        );
        Ok(())
    }

    /// `virDomainGetMetadata`.
    pub fn get_metadata(&self, dom: &DomainRef, kind: i32, uri: Option<&str>, flags: u32) -> Result<String> {
        check_flags(
            flags,
            VIR_DOMAIN_AFFECT_LIVE | VIR_DOMAIN_AFFECT_CONFIG,
            "testDomainGetMetadata",
        )?;
        let obj = self.get(dom)?;
        let (live, _) = Self::affected(obj, flags)?;
        let def = if live { &obj.def } else { obj.persistent_def() };
        match kind {
            VIR_DOMAIN_METADATA_TITLE => def.title.clone().ok_or_else(metadata::not_present),
            VIR_DOMAIN_METADATA_DESCRIPTION => def.description.clone().ok_or_else(metadata::not_present),
            VIR_DOMAIN_METADATA_ELEMENT => {
                metadata::get_element(def.metadata.as_ref(), uri.unwrap_or_default())
            }
            other => Err(unknown_metadata(other)),
        }
    }

    /// `virDomainSetMemoryStatsPeriod`.
    pub fn set_memory_stats_period(&mut self, dom: &DomainRef, period: i32, flags: u32) -> Result<()> {
        check_flags(
            flags,
            VIR_DOMAIN_AFFECT_LIVE | VIR_DOMAIN_AFFECT_CONFIG,
            "testDomainSetMemoryStatsPeriod",
        )?;
        one_def(flags)?;
        let obj = self.get_mut(dom)?;
        let (live, _) = Self::affected(obj, flags)?;
        let def = if live {
            &mut obj.def
        } else {
            obj.persistent_def_mut()
        };
        match def.devices.memballoon.as_mut().filter(|b| b.model != "none") {
            Some(b) => {
                b.period = (period != 0).then_some(period);
                Ok(())
            }
            None => Err(Error::internal(
                VIR_FROM_TEST,
                "No memory balloon device configured, can not set the collection period",
            )),
        }
    }

    /// `virDomainGetMemoryParameters`: the limits of `<memtune>`.
    pub fn memory_parameters(&self, dom: &DomainRef, flags: u32) -> Result<Vec<TypedParam>> {
        check_flags(
            flags,
            VIR_DOMAIN_AFFECT_LIVE | VIR_DOMAIN_AFFECT_CONFIG | VIR_TYPED_PARAM_STRING_OKAY,
            "testDomainGetMemoryParameters",
        )?;
        one_def(flags)?;
        let obj = self.get(dom)?;
        let (live, _) = Self::affected(obj, flags)?;
        let m = if live {
            &obj.def.memtune
        } else {
            &obj.persistent_def().memtune
        };
        Ok(vec![
            TypedParam::new(VIR_DOMAIN_MEMORY_HARD_LIMIT, TypedValue::ULLong(m.hard_limit))?,
            TypedParam::new(VIR_DOMAIN_MEMORY_SOFT_LIMIT, TypedValue::ULLong(m.soft_limit))?,
            TypedParam::new(
                VIR_DOMAIN_MEMORY_SWAP_HARD_LIMIT,
                TypedValue::ULLong(m.swap_hard_limit),
            )?,
        ])
    }

    /// `virDomainSetMemoryParameters`: the hard limit may not exceed the
    /// swap hard limit; the soft limit is taken as given.
    pub fn set_memory_parameters(
        &mut self,
        dom: &DomainRef,
        params: &[TypedParam],
        flags: u32,
    ) -> Result<()> {
        check_flags(
            flags,
            VIR_DOMAIN_AFFECT_LIVE | VIR_DOMAIN_AFFECT_CONFIG,
            "testDomainSetMemoryParameters",
        )?;
        typed_params::validate(
            params,
            &[
                (VIR_DOMAIN_MEMORY_HARD_LIMIT, ParamType::ULLong),
                (VIR_DOMAIN_MEMORY_SOFT_LIMIT, ParamType::ULLong),
                (VIR_DOMAIN_MEMORY_SWAP_HARD_LIMIT, ParamType::ULLong),
            ],
        )?;
        one_def(flags)?;
        let hard: Option<u64> = typed_params::get(params, VIR_DOMAIN_MEMORY_HARD_LIMIT)?;
        let soft: Option<u64> = typed_params::get(params, VIR_DOMAIN_MEMORY_SOFT_LIMIT)?;
        let swap: Option<u64> = typed_params::get(params, VIR_DOMAIN_MEMORY_SWAP_HARD_LIMIT)?;
        let obj = self.get_mut(dom)?;
        let (live, _) = Self::affected(obj, flags)?;
        let m = if live {
            &mut obj.def.memtune
        } else {
            &mut obj.persistent_def_mut().memtune
        };
        if (hard.is_some() || swap.is_some())
            && hard.unwrap_or(m.hard_limit) > swap.unwrap_or(m.swap_hard_limit)
        {
            return Err(Error::invalid_arg(
                VIR_FROM_TEST,
                "memory hard_limit tunable value must be lower than or equal to swap_hard_limit",
            ));
        }
        m.hard_limit = hard.unwrap_or(m.hard_limit);
        m.soft_limit = soft.unwrap_or(m.soft_limit);
        m.swap_hard_limit = swap.unwrap_or(m.swap_hard_limit);
        Ok(())
    }

    /// `virDomainSetMemoryFlags` (and SetMemory / SetMaxMemory).
    pub fn set_memory(&mut self, dom: &DomainRef, kib: u64, flags: u32) -> Result<()> {
        check_flags(
            flags,
            VIR_DOMAIN_AFFECT_LIVE | VIR_DOMAIN_AFFECT_CONFIG | VIR_DOMAIN_MEM_MAXIMUM,
            "testDomainSetMemoryFlags",
        )?;
        one_def(flags)?;
        let obj = self.get_mut(dom)?;
        let (live, config) = Self::affected(obj, flags)?;
        if flags & VIR_DOMAIN_MEM_MAXIMUM != 0 {
            if live {
                return Err(Error::with(
                    VIR_FROM_TEST,
                    VIR_ERR_OPERATION_INVALID,
                    "cannot resize the maximum memory on an active domain",
                ));
            }
            let def = obj.persistent_def_mut();
            def.memory.total = kib;
            def.memory.current = def.memory.current.min(kib);
            return Ok(());
        }
        let too_big = |def: &DomainDef| kib > def.memory.total;
        if (live && too_big(&obj.def)) || (config && too_big(obj.persistent_def())) {
            return Err(Error::invalid_arg(
                VIR_FROM_TEST,
                "cannot set memory higher than max memory",
            ));
        }
        if live {
            obj.def.memory.current = kib;
        }
        if config {
            obj.persistent_def_mut().memory.current = kib;
        }
        Ok(())
    }

    /// `virDomainSetVcpusFlags`.
    pub fn set_vcpus(&mut self, dom: &DomainRef, n: u32, flags: u32) -> Result<()> {
        check_flags(
            flags,
            VIR_DOMAIN_AFFECT_LIVE | VIR_DOMAIN_AFFECT_CONFIG | VIR_DOMAIN_VCPU_MAXIMUM,
            "testDomainSetVcpusFlags",
        )?;
        if n > MAX_VCPUS {
            return Err(Error::invalid_arg(
                VIR_FROM_TEST,
                format!(
                    "requested cpu amount exceeds maximum supported amount ({} > {MAX_VCPUS})",
                    n as i32
                ),
            ));
        }
        let obj = self.get_mut(dom)?;
        let (live, config) = Self::affected(obj, flags)?;
        if flags & VIR_DOMAIN_VCPU_MAXIMUM != 0 {
            // A lower maximum lowers the current count; a higher one keeps it.
            let def = obj.persistent_def_mut();
            let current = def.current_vcpus().min(n);
            def.vcpu.max = n;
            def.vcpu.current = (current != n).then_some(current);
            return Ok(());
        }
        for (selected, def) in [(live, &obj.def), (config, obj.persistent_def())] {
            if selected && n > def.vcpu.max {
                return Err(Error::invalid_arg(
                    VIR_FROM_TEST,
                    format!("requested cpu amount exceeds maximum ({n} > {})", def.vcpu.max),
                ));
            }
        }
        let set = |def: &mut DomainDef| def.vcpu.current = (n != def.vcpu.max).then_some(n);
        if live {
            set(&mut obj.def);
        }
        if config {
            set(obj.persistent_def_mut());
        }
        Ok(())
    }

    /// `virDomainGetVcpusFlags`.
    pub fn get_vcpus(&self, dom: &DomainRef, flags: u32) -> Result<i32> {
        check_flags(
            flags,
            VIR_DOMAIN_AFFECT_LIVE | VIR_DOMAIN_AFFECT_CONFIG | VIR_DOMAIN_VCPU_MAXIMUM,
            "testDomainGetVcpusFlags",
        )?;
        let obj = self.get(dom)?;
        let (live, _) = Self::affected(obj, flags)?;
        let def = if live { &obj.def } else { obj.persistent_def() };
        let n = if flags & VIR_DOMAIN_VCPU_MAXIMUM != 0 {
            def.vcpu.max
        } else {
            def.vcpu.current.unwrap_or(def.vcpu.max)
        };
        Ok(n as i32)
    }

    /// `virDomainManagedSave`.
    pub fn managed_save(&mut self, dom: &DomainRef, flags: u32, events: &DomainEventState) -> Result<()> {
        check_flags(
            flags,
            VIR_DOMAIN_SAVE_BYPASS_CACHE | VIR_DOMAIN_SAVE_RUNNING | VIR_DOMAIN_SAVE_PAUSED,
            "testDomainManagedSave",
        )?;
        let i = self.index_by_uuid(dom)?;
        if !self.list[i].active() {
            return Err(not_running_generic());
        }
        if !self.list[i].persistent {
            return Err(Error::with(
                VIR_FROM_TEST,
                VIR_ERR_OPERATION_INVALID,
                "cannot do managed save for transient domain",
            ));
        }
        let r = self.list[i].reference();
        self.stop(i, VIR_DOMAIN_SHUTOFF_SAVED);
        self.list[i].managed_save = true;
        events.queue(
            &r,
            DomainEvent::lifecycle(VIR_DOMAIN_EVENT_STOPPED, VIR_DOMAIN_EVENT_STOPPED_SAVED),
        );
        Ok(())
    }

    /// `virDomainHasManagedSaveImage`.
    pub fn has_managed_save(&self, dom: &DomainRef, flags: u32) -> Result<bool> {
        check_flags(flags, 0, "testDomainHasManagedSaveImage")?;
        Ok(self.get(dom)?.managed_save)
    }

    /// `virDomainManagedSaveRemove`.
    pub fn managed_save_remove(&mut self, dom: &DomainRef, flags: u32) -> Result<()> {
        check_flags(flags, 0, "testDomainManagedSaveRemove")?;
        self.get_mut(dom)?.managed_save = false;
        Ok(())
    }

    /// `virDomainSaveFlags`: writes the running definition to `path` in the
    /// test driver's format and stops the domain.
    pub fn save(
        &mut self,
        dom: &DomainRef,
        path: &str,
        xml: Option<&str>,
        flags: u32,
        events: &DomainEventState,
    ) -> Result<()> {
        check_flags(flags, 0, "testDomainSaveFlags")?;
        if xml.is_some() {
            return Err(Error::with(
                VIR_FROM_TEST,
                VIR_ERR_ARGUMENT_UNSUPPORTED,
                "xml modification unsupported",
            ));
        }
        let i = self.index_by_uuid(dom)?;
        if !self.list[i].active() {
            return Err(not_running_generic());
        }
        let opts = FormatOptions {
            id: Some(self.list[i].id),
            secure: true,
            ..Default::default()
        };
        let text = domain::format(&self.list[i].def, &opts);
        save_image::write(path, &text).map_err(|(what, e)| {
            Error::io(
                VIR_FROM_TEST,
                &e,
                format!("saving domain '{}' to '{path}': {what}", dom.name),
            )
        })?;
        let r = self.list[i].reference();
        self.stop(i, VIR_DOMAIN_SHUTOFF_SAVED);
        events.queue(
            &r,
            DomainEvent::lifecycle(VIR_DOMAIN_EVENT_STOPPED, VIR_DOMAIN_EVENT_STOPPED_SAVED),
        );
        Ok(())
    }

    /// `virDomainRestoreFlags`: starts the domain saved in `path`.
    pub fn restore(
        &mut self,
        path: &str,
        xml: Option<&str>,
        flags: u32,
        events: &DomainEventState,
    ) -> Result<()> {
        check_flags(flags, 0, "testDomainRestoreFlags")?;
        if xml.is_some() {
            return Err(Error::with(
                VIR_FROM_TEST,
                VIR_ERR_ARGUMENT_UNSUPPORTED,
                "xml modification unsupported",
            ));
        }
        let text = save_image::read(path)?;
        let def = parse_def(&text)?;
        let i = match self.find_same(&def)? {
            Some(i) if self.list[i].active() => {
                return Err(Error::with(
                    VIR_FROM_DOMAIN,
                    VIR_ERR_OPERATION_INVALID,
                    format!("domain '{}' is already active", def.name),
                ))
            }
            Some(i) => {
                let obj = &mut self.list[i];
                obj.new_def = Some(std::mem::replace(&mut obj.def, def));
                i
            }
            None => {
                self.list.push(DomainObj::new(def, false));
                self.list.len() - 1
            }
        };
        self.start(i, VIR_DOMAIN_RUNNING_RESTORED);
        let r = self.list[i].reference();
        events.queue(
            &r,
            DomainEvent::lifecycle(VIR_DOMAIN_EVENT_STARTED, VIR_DOMAIN_EVENT_STARTED_RESTORED),
        );
        Ok(())
    }

    /// `virConnectListAllDomains` filtering.
    pub fn list_all(&self, flags: u32) -> Result<Vec<DomainRef>> {
        check_flags(flags, 0xffff, "testConnectListAllDomains")?;
        Ok(self.list_all_unchecked(flags))
    }

    fn list_all_unchecked(&self, flags: u32) -> Vec<DomainRef> {
        let filter = Filter(flags);
        self.list
            .iter()
            .filter(|d| {
                filter.matches(&Facts {
                    active: d.active(),
                    persistent: d.persistent,
                    state: d.state,
                    managed_save: d.managed_save,
                    autostart: d.autostart,
                    has_snapshot: !d.snapshots.is_empty(),
                    has_checkpoint: !d.checkpoints.is_empty(),
                })
            })
            .map(DomainObj::reference)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpusets_parse_like_libvirt_lists() {
        let on = |map: Vec<bool>| {
            map.iter()
                .enumerate()
                .filter(|(_, b)| **b)
                .map(|(i, _)| i)
                .collect::<Vec<_>>()
        };
        assert_eq!(on(parse_cpuset("1-3", 8)), vec![1, 2, 3]);
        assert_eq!(on(parse_cpuset("0-5,^2,7", 8)), vec![0, 1, 3, 4, 5, 7]);
        assert_eq!(on(parse_cpuset("5-3,9,x,", 8)), Vec::<usize>::new());
        assert_eq!(on(parse_cpuset("6-100", 8)), vec![6, 7]);
    }
}
