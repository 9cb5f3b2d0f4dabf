//! The virtual machines of the connection's host: one retrieval from the
//! host along its `vm` property brings every VM with the properties asked
//! for, so listing N domains with their state costs one round trip, and
//! asking each of them for its state or info right after costs none.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::inventory::Placement;
use super::soap::MoRef;
use super::vi::{object_spec, prop_spec, traversal, unescape_name, ObjectContent, Session};
use crate::abi::*;
use crate::domain::Uuid;
use crate::driver::DomainRef;
use crate::error::{Error, Result};

/// A VM's power state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Power {
    /// Running.
    On,
    /// Stopped.
    Off,
    /// Suspended (libvirt reports it as paused).
    Suspended,
}

impl Power {
    fn parse(text: &str) -> Option<Power> {
        match text {
            "poweredOn" => Some(Power::On),
            "poweredOff" => Some(Power::Off),
            "suspended" => Some(Power::Suspended),
            _ => None,
        }
    }

    /// The `virDomainState` libvirt reports for it.
    pub fn domain_state(self) -> i32 {
        match self {
            Power::On => VIR_DOMAIN_RUNNING,
            Power::Off => VIR_DOMAIN_SHUTOFF,
            Power::Suspended => VIR_DOMAIN_PAUSED,
        }
    }
}

/// One VM with the properties retrieved of it.
#[derive(Debug, Clone)]
pub struct Vm {
    /// Its managed object.
    pub obj: MoRef,
    /// Its name (vSphere's escapes undone).
    pub name: String,
    /// Its BIOS UUID.
    pub uuid: Uuid,
    /// Its power state.
    pub power: Power,
    /// Everything retrieved.
    pub props: ObjectContent,
}

impl Vm {
    /// The number in the VM's reference (`vm-42` → 42): its id while it runs.
    pub fn number(&self) -> i32 {
        moref_number(&self.obj.value)
    }

    /// The libvirt domain handle for it.
    pub fn domain_ref(&self) -> DomainRef {
        DomainRef {
            name: self.name.clone(),
            uuid: self.uuid,
            // Running and suspended VMs have an id, stopped ones none.
            id: if self.power == Power::Off {
                -1
            } else {
                self.number()
            },
        }
    }

    /// Whether it runs (suspended ones count as inactive, as in libvirt).
    pub fn is_active(&self) -> bool {
        self.power == Power::On
    }
}

/// The number at the end of a reference id; -1 when there is none.
pub fn moref_number(value: &str) -> i32 {
    let digits = value.rsplit(['-', '.']).next().unwrap_or("");
    digits.parse::<i32>().ok().filter(|n| *n >= 0).unwrap_or(-1)
}

/// The properties every listing brings: what identifies a VM and its host, and what
/// virDomainGetInfo reports, so that a recent listing can answer it.
const BASE: [&str; 8] = [
    "name",
    "runtime.host",
    "config.uuid",
    "runtime.powerState",
    "config.template",
    "config.hardware.memoryMB",
    "config.hardware.numCPU",
    "config.memoryAllocation.limit",
];

/// The property paths of a retrieval: the base ones and `extra`.
fn paths<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut paths: Vec<&str> = BASE.to_vec();
    paths.extend(extra.iter().filter(|p| !BASE.contains(p)));
    paths
}

/// A retrieved object as a VM, unless it is none libvirt shows: templates
/// cannot run, and VMs whose configuration is unreadable have no UUID.
fn to_vm(obj: ObjectContent) -> Option<Vm> {
    if obj.obj.kind != "VirtualMachine" || obj.text("config.template").as_deref() == Some("true") {
        return None;
    }
    let uuid = obj.text("config.uuid").and_then(|u| Uuid::parse(&u))?;
    let power = obj.text("runtime.powerState").and_then(|p| Power::parse(&p))?;
    Some(Vm {
        obj: obj.obj.clone(),
        name: unescape_name(&obj.text("name").unwrap_or_default()),
        uuid,
        power,
        props: obj,
    })
}

/// Every VM running on (or registered with) `host` with the base
/// properties and `extra`.  They are found through the resource pools of
/// the host's compute resource, where every VM of the host has its place,
/// and kept by `runtime.host`: a server's per-host `vm` lists can lag behind
/// a migration (the vSphere simulator never updates them).
pub fn list(session: &Session, place: &Placement, extra: &[&str]) -> Result<Vec<Vm>> {
    let start = match &place.resource_pool {
        Some(pool) => {
            let nested = ["rpToRp", "rpToVm", "vappToRp", "vappToVm"];
            object_spec(
                pool,
                false,
                &[
                    traversal("rpToRp", "ResourcePool", "resourcePool", &nested),
                    traversal("rpToVm", "ResourcePool", "vm", &[]),
                    traversal("vappToRp", "VirtualApp", "resourcePool", &nested),
                    traversal("vappToVm", "VirtualApp", "vm", &[]),
                ],
            )
        }
        None => object_spec(
            &place.host,
            true,
            &[traversal("hostToVm", "HostSystem", "vm", &[])],
        ),
    };
    let specs = format!("{}{}", prop_spec("VirtualMachine", &paths(extra)), start);
    Ok(session
        .retrieve(&specs)?
        .into_iter()
        .filter(|o| {
            o.obj.kind == "VirtualMachine"
                && o.moref("runtime.host", Some("HostSystem"))
                    .is_none_or(|h| h == place.host)
        })
        .filter_map(to_vm)
        .collect())
}

/// How long a listing answers for the state and figures of its VMs, so
/// that listing N domains and then asking each for its state or info costs
/// one request, not N + 1.  Any call that may change something on the
/// server ends the window at once.
pub const RECENT: Duration = Duration::from_secs(1);

/// What the connection remembers of its last listing: which reference each
/// UUID had (to ask one VM directly), and the listing itself while recent.
#[derive(Default)]
pub struct VmCache {
    refs: Mutex<HashMap<Uuid, MoRef>>,
    recent: Mutex<Option<Arc<Listing>>>,
}

/// A listing and when it was asked for.
pub struct Listing {
    asked: Instant,
    changes: u64,
    paths: Vec<String>,
    /// The VMs listed.
    pub vms: Vec<Vm>,
    by_uuid: HashMap<Uuid, usize>,
}

impl Listing {
    /// The listed VM with this UUID.
    pub fn by_uuid(&self, uuid: &Uuid) -> Option<&Vm> {
        self.by_uuid.get(uuid).map(|i| &self.vms[*i])
    }
}

impl VmCache {
    /// Remembers a listing of `paths` asked for at `asked`, when the
    /// session's change count was `changes`.
    pub fn remember(&self, vms: &[Vm], paths: &[&str], asked: Instant, changes: u64) {
        let mut map = self.refs.lock();
        map.clear();
        map.extend(vms.iter().map(|vm| (vm.uuid, vm.obj.clone())));
        *self.recent.lock() = Some(Arc::new(Listing {
            asked,
            changes,
            paths: paths.iter().map(|p| p.to_string()).collect(),
            vms: vms.to_vec(),
            by_uuid: vms.iter().enumerate().map(|(i, vm)| (vm.uuid, i)).collect(),
        }));
    }

    /// The last listing, if it is recent, nothing changed since (the
    /// session's count is still `changes`), and it has the `extra` properties.
    pub fn recent(&self, changes: u64, extra: &[&str]) -> Option<Arc<Listing>> {
        let listing = self.recent.lock().clone()?;
        let fresh = listing.changes == changes && listing.asked.elapsed() < RECENT;
        let complete = extra
            .iter()
            .all(|p| BASE.contains(p) || listing.paths.iter().any(|q| q == p));
        (fresh && complete).then_some(listing)
    }

    fn get(&self, uuid: &Uuid) -> Option<MoRef> {
        self.refs.lock().get(uuid).cloned()
    }
}

/// Every VM of `host` with the base properties and `extra`, remembered in
/// `cache`.
pub fn list_into(session: &Session, place: &Placement, cache: &VmCache, extra: &[&str]) -> Result<Vec<Vm>> {
    // Read before asking: a change made while the listing is on its way
    // makes it stale.
    let changes = session.changes();
    let asked = Instant::now();
    let vms = list(session, place, extra)?;
    cache.remember(&vms, &paths(extra), asked, changes);
    Ok(vms)
}

/// The VM a domain handle names (by UUID), with `extra` properties: from a
/// recent listing, else asked of the remembered reference when there is one
/// and it still is that VM on `host`, else found in a new listing.
pub fn find(
    session: &Session,
    place: &Placement,
    cache: &VmCache,
    dom: &DomainRef,
    extra: &[&str],
) -> Result<Vm> {
    if let Some(vm) = cache
        .recent(session.changes(), extra)
        .and_then(|listing| listing.by_uuid(&dom.uuid).cloned())
    {
        return Ok(vm);
    }
    if let Some(obj) = cache.get(&dom.uuid) {
        if let Ok(found) = session.retrieve_one(&obj, &paths(extra)) {
            let on_host = found
                .moref("runtime.host", Some("HostSystem"))
                .is_none_or(|h| h == place.host);
            if let Some(vm) = to_vm(found).filter(|vm| vm.uuid == dom.uuid && on_host) {
                return Ok(vm);
            }
        }
    }
    list_into(session, place, cache, extra)?
        .into_iter()
        .find(|vm| vm.uuid == dom.uuid)
        .ok_or_else(|| no_uuid(&dom.uuid))
}

/// The error for a UUID no VM has.
pub fn no_uuid(uuid: &Uuid) -> Error {
    Error::with(
        VIR_FROM_ESX,
        VIR_ERR_NO_DOMAIN,
        format!("Could not find domain with UUID '{}'", uuid),
    )
}

/// The error for a name no VM has.
pub fn no_name(name: &str) -> Error {
    Error::with(
        VIR_FROM_ESX,
        VIR_ERR_NO_DOMAIN,
        format!("Could not find domain with name '{name}'"),
    )
}

/// The error for an id no running VM has.
pub fn no_id(id: i32) -> Error {
    Error::with(VIR_FROM_ESX, VIR_ERR_NO_DOMAIN, format!("No domain with ID {id}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_come_from_references() {
        assert_eq!(moref_number("vm-42"), 42);
        assert_eq!(moref_number("17"), 17);
        assert_eq!(moref_number("vm-x"), -1);
        assert_eq!(moref_number(""), -1);
    }
}
