//! The test driver's host interfaces: definitions kept in memory with the
//! state rules, transactions and messages of libvirt's test driver.

use crate::abi::*;
use crate::driver::InterfaceRef;
use crate::error::{Error, Result};
use crate::interface::{InterfaceDef, Kind};

/// One interface and whether it is up.
#[derive(Debug, Clone)]
struct IfaceObj {
    def: InterfaceDef,
    active: bool,
}

impl IfaceObj {
    fn reference(&self) -> InterfaceRef {
        InterfaceRef {
            name: self.def.name.clone(),
            mac: self.def.mac().to_string(),
        }
    }
}

/// All interfaces of a test hypervisor and the state of its transaction.
#[derive(Debug, Clone, Default)]
pub struct Interfaces {
    list: Vec<IfaceObj>,
    /// The definitions as they were at `virInterfaceChangeBegin`.
    backup: Option<Vec<IfaceObj>>,
}

/// libvirt's test driver reports a wrong state without saying more.
fn invalid() -> Error {
    Error::new(VIR_FROM_TEST, VIR_ERR_OPERATION_INVALID, None)
}

fn invalid_because(detail: &str) -> Error {
    Error::with(VIR_FROM_TEST, VIR_ERR_OPERATION_INVALID, detail)
}

impl Interfaces {
    /// Adds or replaces (by name) a definition, keeping a replaced one's state.
    fn assign(&mut self, def: InterfaceDef) -> &mut IfaceObj {
        match self.list.iter().position(|o| o.def.name == def.name) {
            Some(i) => {
                self.list[i].def = def;
                &mut self.list[i]
            }
            None => {
                self.list.push(IfaceObj { def, active: false });
                let last = self.list.len() - 1;
                &mut self.list[last]
            }
        }
    }

    /// Adds an interface of the configuration (up, as libvirt loads them).
    pub fn add_loaded(&mut self, def: InterfaceDef) {
        self.assign(def).active = true;
    }

    /// The names of active (or inactive) interfaces.
    pub fn names(&self, active: bool) -> Vec<String> {
        self.list
            .iter()
            .filter(|o| o.active == active)
            .map(|o| o.def.name.clone())
            .collect()
    }

    /// Interfaces matching `VIR_CONNECT_LIST_INTERFACES_*` filter bits.
    pub fn list_all(&self, flags: u32) -> Vec<InterfaceRef> {
        let (on, off) = (
            flags & VIR_CONNECT_LIST_INTERFACES_ACTIVE != 0,
            flags & VIR_CONNECT_LIST_INTERFACES_INACTIVE != 0,
        );
        self.list
            .iter()
            .filter(|o| on == off || (o.active && on) || (!o.active && off))
            .map(IfaceObj::reference)
            .collect()
    }

    fn index(&self, name: &str) -> Result<usize> {
        self.list.iter().position(|o| o.def.name == name).ok_or_else(|| {
            Error::with(
                VIR_FROM_TEST,
                VIR_ERR_NO_INTERFACE,
                format!("no interface with matching name '{name}'"),
            )
        })
    }

    /// Looks an interface up by name.
    pub fn lookup_name(&self, name: &str) -> Result<InterfaceRef> {
        Ok(self.list[self.index(name)?].reference())
    }

    /// Looks an interface up by MAC address (any case); the handle carries
    /// the address as the caller wrote it, as libvirt's does.
    pub fn lookup_mac(&self, mac: &str) -> Result<InterfaceRef> {
        // libvirt 9.0 compares with g_ascii_strcasecmp, which calls a missing
        // address equal to anything: an interface without one always matches.
        let mut found = self.list.iter().filter(|o| {
            !matches!(o.def.kind, Kind::Ethernet { mac: Some(_) }) || o.def.mac().eq_ignore_ascii_case(mac)
        });
        match (found.next(), found.next()) {
            (Some(o), None) => Ok(InterfaceRef {
                name: o.def.name.clone(),
                mac: mac.to_string(),
            }),
            (None, _) => Err(Error::with(
                VIR_FROM_TEST,
                VIR_ERR_NO_INTERFACE,
                format!("no interface with matching mac '{mac}'"),
            )),
            (Some(_), Some(_)) => Err(Error::new(VIR_FROM_TEST, VIR_ERR_MULTIPLE_INTERFACES, None)),
        }
    }

    /// The interface's XML.
    pub fn xml(&self, name: &str) -> Result<String> {
        Ok(self.list[self.index(name)?].def.to_xml())
    }

    /// Whether the interface is up.
    pub fn is_active(&self, name: &str) -> Result<bool> {
        Ok(self.list[self.index(name)?].active)
    }

    /// Defines an interface, or replaces the definition of one of that name
    /// (which stays up if it was).
    pub fn define(&mut self, def: InterfaceDef) -> InterfaceRef {
        self.assign(def).reference()
    }

    /// Removes an interface, up or not (libvirt's test driver does not mind).
    pub fn undefine(&mut self, name: &str) -> Result<()> {
        let i = self.index(name)?;
        self.list.remove(i);
        Ok(())
    }

    /// Brings an interface up (`up`) or down.
    pub fn set_active(&mut self, name: &str, up: bool) -> Result<()> {
        let i = self.index(name)?;
        let obj = &mut self.list[i];
        if obj.active == up {
            return Err(invalid());
        }
        obj.active = up;
        Ok(())
    }

    /// Starts a transaction: the definitions are kept to roll back to.
    pub fn begin(&mut self) -> Result<()> {
        if self.backup.is_some() {
            return Err(invalid_because("there is another transaction running."));
        }
        self.backup = Some(self.list.clone());
        Ok(())
    }

    /// Ends the transaction, keeping the changes.
    pub fn commit(&mut self) -> Result<()> {
        self.backup
            .take()
            .map(|_| ())
            .ok_or_else(|| invalid_because("no transaction running, nothing to be committed."))
    }

    /// Ends the transaction, restoring the definitions it began with; like
    /// libvirt's copies, they come back down.
    pub fn rollback(&mut self) -> Result<()> {
        let mut saved = self
            .backup
            .take()
            .ok_or_else(|| invalid_because("no transaction running, nothing to rollback."))?;
        saved.iter_mut().for_each(|o| o.active = false);
        self.list = saved;
        Ok(())
    }
}
