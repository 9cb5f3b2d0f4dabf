//! Virtual machines as Msvm_ComputerSystem instances: listing, lookups,
//! states and the state changes (RequestStateChange, InitiateShutdown).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::wsman::{wql_quote, Arg, Instance};
use super::{HypervDriver, WmiVersion};
use crate::abi::*;
use crate::domain::listing::{Facts, Filter};
use crate::domain::Uuid;
use crate::driver::{DomainInfo, DomainRef};
use crate::error::{Error, Result};

/// Msvm_ComputerSystem.EnabledState values (and RequestedState numbers).
pub mod state {
    /// Unknown.
    pub const UNKNOWN: i64 = 0;
    /// Enabled (running).
    pub const ENABLED: i64 = 2;
    /// Disabled (off).
    pub const DISABLED: i64 = 3;
    /// Offline: the v2 request to save the VM's state.
    pub const OFFLINE: i64 = 6;
    /// Quiesce: the v2 request (and state) for paused.
    pub const QUIESCE: i64 = 9;
    /// Reboot request.
    pub const REBOOT: i64 = 10;
    /// Reset request.
    pub const RESET: i64 = 11;
    /// Paused (v1).
    pub const PAUSED: i64 = 32768;
    /// Suspended: saved state.
    pub const SUSPENDED: i64 = 32769;
    /// Starting.
    pub const STARTING: i64 = 32770;
    /// Snapshotting.
    pub const SNAPSHOTTING: i64 = 32771;
    /// Saving.
    pub const SAVING: i64 = 32773;
    /// Stopping.
    pub const STOPPING: i64 = 32774;
    /// Pausing.
    pub const PAUSING: i64 = 32776;
    /// Resuming.
    pub const RESUMING: i64 = 32777;
}

/// How long a bulk read of settings serves GetInfo calls.
const CACHE_LIFE: Duration = Duration::from_secs(2);

/// One VM.
#[derive(Debug, Clone)]
pub struct Vm {
    /// Msvm_ComputerSystem.Name: the VM's GUID as the host spells it.
    pub guid: String,
    /// The UUID (the GUID read).
    pub uuid: Uuid,
    /// ElementName: the domain name.
    pub name: String,
    /// EnabledState.
    pub enabled: i64,
    /// ProcessID while running.
    pub pid: Option<i64>,
}

impl Vm {
    fn from_instance(inst: &Instance) -> Result<Vm> {
        let guid = inst.need("Name")?.to_string();
        let uuid = Uuid::parse(&guid).ok_or_else(|| {
            Error::internal(
                VIR_FROM_HYPERV,
                format!("Could not parse UUID from string '{guid}'"),
            )
        })?;
        Ok(Vm {
            guid,
            uuid,
            name: inst.get("ElementName").unwrap_or("").to_string(),
            enabled: inst.int("EnabledState").unwrap_or(0),
            pid: inst.int("ProcessID"),
        })
    }

    /// The libvirt state.
    pub fn domain_state(&self) -> i32 {
        match self.enabled {
            state::ENABLED
            | state::STARTING
            | state::SNAPSHOTTING
            | state::SAVING
            | state::PAUSING
            | state::RESUMING => VIR_DOMAIN_RUNNING,
            state::DISABLED | state::SUSPENDED | state::OFFLINE => VIR_DOMAIN_SHUTOFF,
            state::PAUSED | state::QUIESCE => VIR_DOMAIN_PAUSED,
            state::STOPPING => VIR_DOMAIN_SHUTDOWN,
            _ => VIR_DOMAIN_NOSTATE,
        }
    }

    /// Whether libvirt counts it as running.
    pub fn is_active(&self) -> bool {
        !matches!(
            self.enabled,
            state::UNKNOWN | state::DISABLED | state::SUSPENDED | state::OFFLINE
        )
    }

    /// Whether its state is saved (v1 hosts say Suspended, v2 hosts
    /// "Enabled but Offline").
    pub fn is_saved(&self) -> bool {
        matches!(self.enabled, state::SUSPENDED | state::OFFLINE)
    }

    /// Whether it is between two states.
    pub fn in_transition(&self) -> bool {
        matches!(
            self.enabled,
            state::STARTING
                | state::SNAPSHOTTING
                | state::SAVING
                | state::STOPPING
                | state::PAUSING
                | state::RESUMING
        )
    }

    /// The handle identity.
    pub fn domain_ref(&self) -> DomainRef {
        DomainRef {
            name: self.name.clone(),
            uuid: self.uuid,
            id: if self.is_active() {
                self.pid.unwrap_or(-1) as i32
            } else {
                -1
            },
        }
    }
}

/// The host's spelling of a UUID (Hyper-V writes GUIDs in capitals).
pub fn guid(uuid: &Uuid) -> String {
    uuid.to_string().to_ascii_uppercase()
}

/// Memory and processor settings of every VM, read in two requests.
/// (And the last listing of all VMs, for their states.)
#[derive(Default)]
pub struct InfoCache {
    inner: Mutex<Option<(Instant, SettingsMap)>>,
    vms: Mutex<Option<(Instant, Vec<Vm>)>>,
}

type SettingsMap = HashMap<String, (Vec<Instance>, Vec<Instance>)>;

impl InfoCache {
    /// Drops what was read (after a change).
    pub fn clear(&self) {
        *self.inner.lock() = None;
        *self.vms.lock() = None;
    }
}

fn no_domain(detail: String) -> Error {
    Error::with(VIR_FROM_HYPERV, VIR_ERR_NO_DOMAIN, detail)
}

fn invalid(detail: &str) -> Error {
    Error::with(VIR_FROM_HYPERV, VIR_ERR_OPERATION_INVALID, detail)
}

/// The VM GUID a settings InstanceID (`Microsoft:<GUID>\...`) belongs to.
fn owner_of(instance_id: &str) -> Option<String> {
    let rest = instance_id.strip_prefix("Microsoft:")?;
    let guid = rest.split('\\').next()?;
    Some(guid.to_ascii_uppercase())
}

impl HypervDriver {
    /// Msvm_ComputerSystem instances of VMs matching `cond` (WQL).
    pub(super) fn vms_where(&self, cond: Option<&str>) -> Result<Vec<Vm>> {
        let mut wql = String::from("SELECT * FROM Msvm_ComputerSystem WHERE Name != __SERVER");
        if let Some(c) = cond {
            wql.push_str(" AND ");
            wql.push_str(c);
        }
        let vms: Vec<Vm> = self
            .client
            .query(self.ns(), &wql)?
            .iter()
            .map(Vm::from_instance)
            .collect::<Result<_>>()?;
        if cond.is_none() {
            *self.cache.vms.lock() = Some((Instant::now(), vms.clone()));
        }
        Ok(vms)
    }

    /// The VM of a handle, fresh from the host.
    pub(super) fn vm(&self, dom: &DomainRef) -> Result<Vm> {
        let g = guid(&dom.uuid);
        self.vms_where(Some(&format!("Name = {}", wql_quote(&g))))?
            .into_iter()
            .next()
            .ok_or_else(|| no_domain(format!("No domain with UUID {}", dom.uuid)))
    }

    /// The ids (ProcessIDs) of the active domains.
    pub(super) fn running_ids(&self) -> Result<Vec<i32>> {
        Ok(self
            .vms_where(None)?
            .iter()
            .filter(|v| v.is_active())
            .map(|v| v.domain_ref().id)
            .collect())
    }

    /// The names of the inactive domains.
    pub(super) fn inactive_names(&self) -> Result<Vec<String>> {
        Ok(self
            .vms_where(None)?
            .into_iter()
            .filter(|v| !v.is_active())
            .map(|v| v.name)
            .collect())
    }

    /// virConnectListAllDomains with its filters.
    pub(super) fn list_all(&self, flags: u32) -> Result<Vec<DomainRef>> {
        let known = VIR_CONNECT_LIST_DOMAINS_ACTIVE
            | VIR_CONNECT_LIST_DOMAINS_INACTIVE
            | VIR_CONNECT_LIST_DOMAINS_PERSISTENT
            | VIR_CONNECT_LIST_DOMAINS_TRANSIENT
            | VIR_CONNECT_LIST_DOMAINS_RUNNING
            | VIR_CONNECT_LIST_DOMAINS_PAUSED
            | VIR_CONNECT_LIST_DOMAINS_SHUTOFF
            | VIR_CONNECT_LIST_DOMAINS_OTHER
            | VIR_CONNECT_LIST_DOMAINS_MANAGEDSAVE
            | VIR_CONNECT_LIST_DOMAINS_NO_MANAGEDSAVE
            | VIR_CONNECT_LIST_DOMAINS_AUTOSTART
            | VIR_CONNECT_LIST_DOMAINS_NO_AUTOSTART
            | VIR_CONNECT_LIST_DOMAINS_HAS_SNAPSHOT
            | VIR_CONNECT_LIST_DOMAINS_NO_SNAPSHOT
            | VIR_CONNECT_LIST_DOMAINS_HAS_CHECKPOINT
            | VIR_CONNECT_LIST_DOMAINS_NO_CHECKPOINT;
        if flags & !known != 0 {
            return Err(Error::bad_flags(
                VIR_FROM_HYPERV,
                "hypervConnectListAllDomains",
                flags,
            ));
        }
        let filter = Filter(flags);
        // Every Hyper-V VM is persistent; snapshots and checkpoints are not
        // looked at (libvirt's driver answers these filters with nothing).
        if filter.only(
            VIR_CONNECT_LIST_DOMAINS_TRANSIENT,
            VIR_CONNECT_LIST_DOMAINS_PERSISTENT,
        ) || filter.only(
            VIR_CONNECT_LIST_DOMAINS_HAS_SNAPSHOT,
            VIR_CONNECT_LIST_DOMAINS_NO_SNAPSHOT,
        ) || filter.only(
            VIR_CONNECT_LIST_DOMAINS_HAS_CHECKPOINT,
            VIR_CONNECT_LIST_DOMAINS_NO_CHECKPOINT,
        ) {
            return Ok(Vec::new());
        }
        let want_auto = filter.asks(
            VIR_CONNECT_LIST_DOMAINS_AUTOSTART,
            VIR_CONNECT_LIST_DOMAINS_NO_AUTOSTART,
        );
        let autostarted = if want_auto {
            self.autostart_guids()?
        } else {
            Default::default()
        };
        Ok(self
            .vms_where(None)?
            .into_iter()
            .filter(|vm| {
                filter.matches(&Facts {
                    active: vm.is_active(),
                    persistent: true,
                    state: vm.domain_state(),
                    managed_save: vm.is_saved(),
                    autostart: want_auto && autostarted.contains(&vm.guid.to_ascii_uppercase()),
                    ..Facts::default()
                })
            })
            .map(|vm| vm.domain_ref())
            .collect())
    }

    /// The active domain with this ProcessID.
    pub(super) fn lookup_id(&self, id: i32) -> Result<DomainRef> {
        self.vms_where(Some(&format!("ProcessID = {id}")))?
            .into_iter()
            .find(Vm::is_active)
            .map(|v| v.domain_ref())
            .ok_or_else(|| no_domain(format!("No domain with ID {id}")))
    }

    /// The domain with this ElementName.
    pub(super) fn lookup_name(&self, name: &str) -> Result<DomainRef> {
        self.vms_where(Some(&format!("ElementName = {}", wql_quote(name))))?
            .into_iter()
            .next()
            .map(|v| v.domain_ref())
            .ok_or_else(|| no_domain(format!("No domain with name {name}")))
    }

    /// The domain with this GUID.
    pub(super) fn lookup_uuid(&self, uuid: &Uuid) -> Result<DomainRef> {
        self.vms_where(Some(&format!("Name = {}", wql_quote(&guid(uuid)))))?
            .into_iter()
            .next()
            .map(|v| v.domain_ref())
            .ok_or_else(|| no_domain(format!("No domain with UUID {uuid}")))
    }

    /// RequestStateChange on a VM.
    pub(super) fn request_state(&self, vm: &Vm, requested: i64) -> Result<()> {
        self.cache.clear();
        self.client.invoke(
            self.ns(),
            "Msvm_ComputerSystem",
            &[
                ("Name".to_string(), vm.guid.clone()),
                ("CreationClassName".to_string(), "Msvm_ComputerSystem".to_string()),
            ],
            "RequestStateChange",
            &[Arg::Simple("RequestedState".to_string(), requested.to_string())],
        )?;
        Ok(())
    }

    /// Starts an inactive VM (RequestedState 2).
    pub(super) fn create(&self, dom: &DomainRef, flags: u32) -> Result<DomainRef> {
        if flags != 0 {
            return Err(Error::bad_flags(
                VIR_FROM_HYPERV,
                "hypervDomainCreateWithFlags",
                flags,
            ));
        }
        let vm = self.vm(dom)?;
        if vm.is_active() {
            return Err(invalid("Domain is already active or is in state transition"));
        }
        self.request_state(&vm, state::ENABLED)?;
        Ok(self.vm(dom)?.domain_ref())
    }

    /// Turns off an active VM (RequestedState 3).
    pub(super) fn destroy(&self, dom: &DomainRef, flags: u32) -> Result<()> {
        if flags != 0 {
            return Err(Error::bad_flags(
                VIR_FROM_HYPERV,
                "hypervDomainDestroyFlags",
                flags,
            ));
        }
        let vm = self.vm(dom)?;
        if !vm.is_active() || vm.in_transition() {
            return Err(invalid("Domain is not active or is in state transition"));
        }
        self.request_state(&vm, state::DISABLED)
    }

    fn paused_state(&self) -> i64 {
        match self.wmi {
            WmiVersion::V1 => state::PAUSED,
            WmiVersion::V2 => state::QUIESCE,
        }
    }

    /// Pauses a running VM (Quiesce on v2 hosts, Paused on v1).
    pub(super) fn suspend(&self, dom: &DomainRef) -> Result<()> {
        let vm = self.vm(dom)?;
        if vm.enabled != state::ENABLED {
            return Err(invalid("Domain is not active"));
        }
        self.request_state(&vm, self.paused_state())
    }

    /// Resumes a paused VM.
    pub(super) fn resume(&self, dom: &DomainRef) -> Result<()> {
        let vm = self.vm(dom)?;
        if vm.enabled != self.paused_state() {
            return Err(invalid("Domain is not paused"));
        }
        self.request_state(&vm, state::ENABLED)
    }

    /// Reboot (10) or reset (11) of a running VM.
    pub(super) fn reboot_or_reset(&self, dom: &DomainRef, requested: i64) -> Result<()> {
        let vm = self.vm(dom)?;
        if vm.enabled != state::ENABLED {
            return Err(invalid("Domain is not active"));
        }
        self.request_state(&vm, requested)
    }

    /// Asks the guest to shut down through Msvm_ShutdownComponent.
    pub(super) fn shutdown(&self, dom: &DomainRef, flags: u32) -> Result<()> {
        if flags != 0 {
            return Err(Error::bad_flags(
                VIR_FROM_HYPERV,
                "hypervDomainShutdownFlags",
                flags,
            ));
        }
        let vm = self.vm(dom)?;
        if !vm.is_active() || vm.in_transition() {
            return Err(invalid("Domain is not active or in state transition"));
        }
        let wql = format!(
            "SELECT * FROM Msvm_ShutdownComponent WHERE SystemName = {}",
            wql_quote(&vm.guid)
        );
        let comp = self
            .client
            .query(self.ns(), &wql)?
            .into_iter()
            .next()
            .ok_or_else(|| {
                Error::with(
                    VIR_FROM_HYPERV,
                    VIR_ERR_OPERATION_FAILED,
                    format!("Could not get shutdown component for domain {}", dom.name),
                )
            })?;
        self.cache.clear();
        self.client.invoke(
            self.ns(),
            "Msvm_ShutdownComponent",
            &[
                (
                    "CreationClassName".to_string(),
                    "Msvm_ShutdownComponent".to_string(),
                ),
                ("DeviceID".to_string(), comp.need("DeviceID")?.to_string()),
                (
                    "SystemCreationClassName".to_string(),
                    "Msvm_ComputerSystem".to_string(),
                ),
                ("SystemName".to_string(), vm.guid.clone()),
            ],
            "InitiateShutdown",
            &[
                Arg::Simple("Force".to_string(), "False".to_string()),
                Arg::Simple("Reason".to_string(), "Planned shutdown via libvirt".to_string()),
            ],
        )?;
        Ok(())
    }

    /// Saves the VM's state (Offline on v2 hosts, Suspended on v1).
    pub(super) fn managed_save(&self, dom: &DomainRef, flags: u32) -> Result<()> {
        if flags != 0 {
            return Err(Error::bad_flags(
                VIR_FROM_HYPERV,
                "hypervDomainManagedSave",
                flags,
            ));
        }
        let vm = self.vm(dom)?;
        if !vm.is_active() || vm.in_transition() {
            return Err(invalid("Domain is not active or is in state transition"));
        }
        let requested = match self.wmi {
            WmiVersion::V1 => state::SUSPENDED,
            WmiVersion::V2 => state::OFFLINE,
        };
        self.request_state(&vm, requested)
    }

    /// Whether the VM's state is saved.
    pub(super) fn has_managed_save(&self, dom: &DomainRef, flags: u32) -> Result<bool> {
        if flags != 0 {
            return Err(Error::bad_flags(
                VIR_FROM_HYPERV,
                "hypervDomainHasManagedSaveImage",
                flags,
            ));
        }
        Ok(self.vm(dom)?.is_saved())
    }

    /// Discards a saved state (RequestedState 3).
    pub(super) fn managed_save_remove(&self, dom: &DomainRef, flags: u32) -> Result<()> {
        if flags != 0 {
            return Err(Error::bad_flags(
                VIR_FROM_HYPERV,
                "hypervDomainManagedSaveRemove",
                flags,
            ));
        }
        let vm = self.vm(dom)?;
        if !vm.is_saved() {
            return Err(invalid("Domain has no managed save image"));
        }
        self.request_state(&vm, state::DISABLED)
    }

    /// Memory and processor settings of the VM `guid`: from the bulk read
    /// when it is fresh, else a new bulk read.
    pub(super) fn mem_cpu(&self, guid: &str) -> Result<(Vec<Instance>, Vec<Instance>)> {
        let key = guid.to_ascii_uppercase();
        {
            let cache = self.cache.inner.lock();
            if let Some((at, map)) = &*cache {
                if at.elapsed() < CACHE_LIFE {
                    if let Some(v) = map.get(&key) {
                        return Ok(v.clone());
                    }
                }
            }
        }
        let mut map = SettingsMap::new();
        for (class, slot) in [("Msvm_MemorySettingData", 0), ("Msvm_ProcessorSettingData", 1)] {
            // The VMs' own settings, not the host's definitions or snapshots'
            // (those belong to GUIDs that are no VM).
            let wql = format!("SELECT * FROM {class} WHERE InstanceID LIKE 'Microsoft:%'");
            for inst in self.client.query(self.ns(), &wql)? {
                if let Some(owner) = inst.get("InstanceID").and_then(owner_of) {
                    let e = map.entry(owner).or_default();
                    if slot == 0 {
                        e.0.push(inst);
                    } else {
                        e.1.push(inst);
                    }
                }
            }
        }
        let found = map.get(&key).cloned().unwrap_or_default();
        *self.cache.inner.lock() = Some((Instant::now(), map));
        Ok(found)
    }

    /// virDomainGetInfo: state, memory and vCPUs.
    pub(super) fn info(&self, dom: &DomainRef) -> Result<DomainInfo> {
        let vm = self.vm_cached(dom)?;
        let (mem, cpu) = self.mem_cpu(&vm.guid)?;
        let mem = mem.first();
        Ok(DomainInfo {
            state: vm.domain_state(),
            max_mem: mem.and_then(|m| m.int("Limit")).unwrap_or(0).max(0) as u64 * 1024,
            memory: mem.and_then(|m| m.int("VirtualQuantity")).unwrap_or(0).max(0) as u64 * 1024,
            nr_virt_cpu: cpu
                .first()
                .and_then(|c| c.int("VirtualQuantity"))
                .unwrap_or(0)
                .max(0) as u32,
            cpu_time: 0,
        })
    }

    /// The VM of a handle, from a listing of a moment ago when there is
    /// one (a burst of GetInfo calls after a listing costs no requests).
    pub(super) fn vm_cached(&self, dom: &DomainRef) -> Result<Vm> {
        {
            let vms = self.cache.vms.lock();
            if let Some((at, list)) = &*vms {
                if at.elapsed() < CACHE_LIFE {
                    if let Some(v) = list.iter().find(|v| v.uuid == dom.uuid) {
                        return Ok(v.clone());
                    }
                }
            }
        }
        let all = self.vms_where(None)?;
        all.into_iter()
            .find(|v| v.uuid == dom.uuid)
            .ok_or_else(|| no_domain(format!("No domain with UUID {}", dom.uuid)))
    }

    /// virDomainGetState (Hyper-V gives no reasons).
    pub(super) fn get_state(&self, dom: &DomainRef, flags: u32) -> Result<(i32, i32)> {
        if flags != 0 {
            return Err(Error::bad_flags(VIR_FROM_HYPERV, "hypervDomainGetState", flags));
        }
        Ok((self.vm_cached(dom)?.domain_state(), 0))
    }
}
