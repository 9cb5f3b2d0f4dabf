//! The test driver's networks: definitions kept in memory with the state
//! rules and messages of libvirt's test driver.

use crate::abi::*;
use crate::domain::Uuid;
use crate::driver::NetworkRef;
use crate::error::{Error, Result};
use crate::network::NetworkDef;

/// One network and its state.
#[derive(Debug, Clone)]
pub struct NetworkObj {
    /// The definition.
    pub def: NetworkDef,
    /// Running.
    pub active: bool,
    /// Has a persistent configuration.
    pub persistent: bool,
    /// Starts with the host.
    pub autostart: bool,
}

impl NetworkObj {
    fn reference(&self) -> NetworkRef {
        NetworkRef {
            name: self.def.name.clone(),
            uuid: self.def.uuid,
        }
    }
}

/// All networks of a test hypervisor.
#[derive(Debug, Clone, Default)]
pub struct Networks {
    list: Vec<NetworkObj>,
}

fn invalid(detail: String) -> Error {
    Error::with(VIR_FROM_TEST, VIR_ERR_OPERATION_INVALID, detail)
}

impl Networks {
    /// Adds a network loaded from the configuration (active and persistent).
    pub fn add_loaded(&mut self, def: NetworkDef) {
        self.list.push(NetworkObj {
            def,
            active: true,
            persistent: true,
            autostart: false,
        });
    }

    /// The names of active (or inactive) networks.
    pub fn names(&self, active: bool) -> Vec<String> {
        self.list
            .iter()
            .filter(|n| n.active == active)
            .map(|n| n.def.name.clone())
            .collect()
    }

    /// Networks matching `VIR_CONNECT_LIST_NETWORKS_*` filter bits.
    pub fn list_all(&self, flags: u32) -> Vec<NetworkRef> {
        let pick = |on: bool, yes: u32, no: u32| {
            let (y, n) = (flags & yes != 0, flags & no != 0);
            y == n || (on && y) || (!on && n)
        };
        self.list
            .iter()
            .filter(|n| {
                pick(
                    n.active,
                    VIR_CONNECT_LIST_NETWORKS_ACTIVE,
                    VIR_CONNECT_LIST_NETWORKS_INACTIVE,
                ) && pick(
                    n.persistent,
                    VIR_CONNECT_LIST_NETWORKS_PERSISTENT,
                    VIR_CONNECT_LIST_NETWORKS_TRANSIENT,
                ) && pick(
                    n.autostart,
                    VIR_CONNECT_LIST_NETWORKS_AUTOSTART,
                    VIR_CONNECT_LIST_NETWORKS_NO_AUTOSTART,
                )
            })
            .map(NetworkObj::reference)
            .collect()
    }

    fn index(&self, name: &str) -> Result<usize> {
        self.list.iter().position(|n| n.def.name == name).ok_or_else(|| {
            Error::with(
                VIR_FROM_TEST,
                VIR_ERR_NO_NETWORK,
                format!("no network with matching name '{name}'"),
            )
        })
    }

    /// The network called `name`.
    pub fn get(&self, name: &str) -> Result<&NetworkObj> {
        Ok(&self.list[self.index(name)?])
    }

    fn get_mut(&mut self, name: &str) -> Result<&mut NetworkObj> {
        let i = self.index(name)?;
        Ok(&mut self.list[i])
    }

    /// Looks a network up by name.
    pub fn lookup_name(&self, name: &str) -> Result<NetworkRef> {
        self.get(name).map(NetworkObj::reference)
    }

    /// The network with `uuid`.
    pub fn get_by_uuid(&self, uuid: &Uuid) -> Result<&NetworkObj> {
        self.list.iter().find(|n| n.def.uuid == *uuid).ok_or_else(|| {
            Error::with(
                VIR_FROM_TEST,
                VIR_ERR_NO_NETWORK,
                format!("no network with matching uuid '{uuid}'"),
            )
        })
    }

    /// Looks a network up by UUID.
    pub fn lookup_uuid(&self, uuid: &Uuid) -> Result<NetworkRef> {
        self.get_by_uuid(uuid).map(NetworkObj::reference)
    }

    /// libvirt's duplicate checks: the index of a network with the same name
    /// and UUID, None for a new one.
    fn find_same(&self, def: &NetworkDef) -> Result<Option<usize>> {
        let failed = |d: String| Error::with(VIR_FROM_NETWORK, VIR_ERR_OPERATION_FAILED, d);
        if let Some(i) = self.list.iter().position(|n| n.def.uuid == def.uuid) {
            let old = &self.list[i].def;
            if old.name != def.name {
                return Err(failed(format!(
                    "network '{}' is already defined with uuid {}",
                    old.name, old.uuid
                )));
            }
            return Ok(Some(i));
        }
        if let Some(old) = self.list.iter().find(|n| n.def.name == def.name) {
            return Err(failed(format!(
                "network '{}' already exists with uuid {}",
                old.def.name, old.def.uuid
            )));
        }
        Ok(None)
    }

    /// Defines a network, or updates an existing one's persistent configuration.
    pub fn define(&mut self, def: NetworkDef) -> Result<NetworkRef> {
        match self.find_same(&def)? {
            Some(i) => {
                let obj = &mut self.list[i];
                // A running network keeps its live definition (libvirt's test
                // driver shows no pending one).
                if !obj.active {
                    obj.def = def;
                }
                obj.persistent = true;
                Ok(obj.reference())
            }
            None => {
                let obj = NetworkObj {
                    def,
                    active: false,
                    persistent: true,
                    autostart: false,
                };
                let r = obj.reference();
                self.list.push(obj);
                Ok(r)
            }
        }
    }

    /// Creates and starts a network (transient unless already defined).
    pub fn create_xml(&mut self, def: NetworkDef) -> Result<NetworkRef> {
        match self.find_same(&def)? {
            Some(i) => {
                let obj = &mut self.list[i];
                if obj.active {
                    return Err(Error::with(
                        VIR_FROM_NETWORK,
                        VIR_ERR_OPERATION_INVALID,
                        format!("network is already active as '{}'", obj.def.name),
                    ));
                }
                obj.def = def;
                obj.active = true;
                Ok(obj.reference())
            }
            None => {
                let obj = NetworkObj {
                    def,
                    active: true,
                    persistent: false,
                    autostart: false,
                };
                let r = obj.reference();
                self.list.push(obj);
                Ok(r)
            }
        }
    }

    /// Removes the persistent configuration of an inactive network.
    pub fn undefine(&mut self, name: &str) -> Result<()> {
        let i = self.index(name)?;
        if self.list[i].active {
            return Err(invalid(format!("Network '{name}' is still running")));
        }
        self.list.remove(i);
        Ok(())
    }

    /// Starts a network.
    pub fn start(&mut self, name: &str) -> Result<()> {
        let obj = self.get_mut(name)?;
        if obj.active {
            return Err(invalid(format!("Network '{name}' is already running")));
        }
        obj.active = true;
        Ok(())
    }

    /// Stops a network; a transient one goes away.
    pub fn destroy(&mut self, name: &str) -> Result<()> {
        let i = self.index(name)?;
        self.list[i].active = false;
        if !self.list[i].persistent {
            self.list.remove(i);
        }
        Ok(())
    }

    /// The bridge a network uses.
    pub fn bridge_name(&self, name: &str) -> Result<String> {
        self.get(name)?.def.bridge.name.clone().ok_or_else(|| {
            Error::internal(
                VIR_FROM_TEST,
                format!("network '{name}' does not have a bridge name."),
            )
        })
    }

    /// Sets the autostart mark.
    pub fn set_autostart(&mut self, name: &str, on: bool) -> Result<()> {
        self.get_mut(name)?.autostart = on;
        Ok(())
    }
}
