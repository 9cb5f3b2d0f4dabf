//! The virtual machines of the connection's host: one retrieval from the
//! host along its `vm` property brings every VM with the properties asked
//! for, so listing N domains with their state costs one round trip.

use std::collections::HashMap;

use parking_lot::Mutex;

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

/// The properties every listing brings.
const BASE: [&str; 4] = ["name", "config.uuid", "runtime.powerState", "config.template"];

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

/// Every VM of `host` with the base properties and `extra`.
pub fn list(session: &Session, host: &MoRef, extra: &[&str]) -> Result<Vec<Vm>> {
    let specs = format!(
        "{}{}",
        prop_spec("VirtualMachine", &paths(extra)),
        object_spec(host, true, &[traversal("hostToVm", "HostSystem", "vm", &[])])
    );
    Ok(session.retrieve(&specs)?.into_iter().filter_map(to_vm).collect())
}

/// Which VM reference each UUID had when last seen, so that one VM's
/// properties can be asked of it directly rather than of every VM.
#[derive(Default)]
pub struct VmCache(Mutex<HashMap<Uuid, MoRef>>);

impl VmCache {
    /// Remembers the references of a listing.
    pub fn remember(&self, vms: &[Vm]) {
        let mut map = self.0.lock();
        map.clear();
        map.extend(vms.iter().map(|vm| (vm.uuid, vm.obj.clone())));
    }

    fn get(&self, uuid: &Uuid) -> Option<MoRef> {
        self.0.lock().get(uuid).cloned()
    }
}

/// The VM a domain handle names (by UUID), with `extra` properties: asked
/// of the remembered reference when there is one and it still is that VM on
/// `host`, else found in a listing.
pub fn find(session: &Session, host: &MoRef, cache: &VmCache, dom: &DomainRef, extra: &[&str]) -> Result<Vm> {
    if let Some(obj) = cache.get(&dom.uuid) {
        let mut wanted = paths(extra);
        wanted.push("runtime.host");
        if let Ok(found) = session.retrieve_one(&obj, &wanted) {
            let on_host = found
                .moref("runtime.host", Some("HostSystem"))
                .is_none_or(|h| h == *host);
            if let Some(vm) = to_vm(found).filter(|vm| vm.uuid == dom.uuid && on_host) {
                return Ok(vm);
            }
        }
    }
    let vms = list(session, host, extra)?;
    cache.remember(&vms);
    vms.into_iter()
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
