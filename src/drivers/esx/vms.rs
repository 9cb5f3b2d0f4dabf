//! The virtual machines of the connection's host: one retrieval from the
//! host along its `vm` property brings every VM with the properties asked
//! for, so listing N domains with their state costs one round trip.

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
            id: if self.power == Power::On {
                self.number()
            } else {
                -1
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

/// Every VM of `host` with the base properties and `extra`.
pub fn list(session: &Session, host: &MoRef, extra: &[&str]) -> Result<Vec<Vm>> {
    let mut paths: Vec<&str> = BASE.to_vec();
    paths.extend(extra.iter().filter(|p| !BASE.contains(p)));
    let specs = format!(
        "{}{}",
        prop_spec("VirtualMachine", &paths),
        object_spec(host, true, &[traversal("hostToVm", "HostSystem", "vm", &[])])
    );
    let mut vms = Vec::new();
    for obj in session.retrieve(&specs)? {
        if obj.obj.kind != "VirtualMachine" {
            continue;
        }
        // Templates cannot run and are not domains; VMs whose configuration
        // is unreadable have no UUID and cannot be named either.
        if obj.text("config.template").as_deref() == Some("true") {
            continue;
        }
        let Some(uuid) = obj.text("config.uuid").and_then(|u| Uuid::parse(&u)) else {
            continue;
        };
        let Some(power) = obj.text("runtime.powerState").and_then(|p| Power::parse(&p)) else {
            continue;
        };
        vms.push(Vm {
            obj: obj.obj.clone(),
            name: unescape_name(&obj.text("name").unwrap_or_default()),
            uuid,
            power,
            props: obj,
        });
    }
    Ok(vms)
}

/// The VM a domain handle names (by UUID), with `extra` properties.
pub fn find(session: &Session, host: &MoRef, dom: &DomainRef, extra: &[&str]) -> Result<Vm> {
    list(session, host, extra)?
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
