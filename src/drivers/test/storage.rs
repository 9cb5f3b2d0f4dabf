//! The test driver's storage pools and their volumes, with the state rules
//! and messages of libvirt's test driver.

use crate::abi::*;
use crate::domain::Uuid;
use crate::driver::{PoolInfo, PoolRef, VolInfo, VolRef};
use crate::error::{Error, Result};
use crate::storage::{PoolDef, VolumeDef};

/// The size libvirt's test driver gives every pool: 100 GiB.
const POOL_CAPACITY: u64 = 100 * 1024 * 1024 * 1024;

/// One pool, its state and its volumes.
#[derive(Debug, Clone)]
pub struct PoolObj {
    /// The definition (sizes kept up to date).
    pub def: PoolDef,
    /// Started.
    pub active: bool,
    /// Has a persistent configuration.
    pub persistent: bool,
    /// Starts with the host.
    pub autostart: bool,
    /// The volumes.
    pub volumes: Vec<VolumeDef>,
}

impl PoolObj {
    fn new(mut def: PoolDef, active: bool, persistent: bool) -> PoolObj {
        def.capacity = POOL_CAPACITY;
        def.allocation = 0;
        def.available = POOL_CAPACITY;
        PoolObj {
            def,
            active,
            persistent,
            autostart: false,
            volumes: Vec::new(),
        }
    }

    fn reference(&self) -> PoolRef {
        PoolRef {
            name: self.def.name.clone(),
            uuid: self.def.uuid,
        }
    }

    fn vol_ref(&self, v: &VolumeDef) -> VolRef {
        VolRef {
            pool: self.def.name.clone(),
            name: v.name.clone(),
            key: v.key.clone().unwrap_or_default(),
        }
    }

    fn require_active(&self) -> Result<()> {
        if !self.active {
            return Err(invalid(format!("storage pool '{}' is not active", self.def.name)));
        }
        Ok(())
    }

    fn require_inactive(&self) -> Result<()> {
        if self.active {
            return Err(invalid(format!("storage pool '{}' is active", self.def.name)));
        }
        Ok(())
    }

    fn vol_index(&self, name: &str) -> Result<usize> {
        self.volumes
            .iter()
            .position(|v| v.name == name)
            .ok_or_else(|| no_vol("name", name))
    }

    /// Adds a volume as libvirt's test driver does: placed under the target
    /// path, keyed by its path, charged to the pool.
    fn add_volume(&mut self, mut vol: VolumeDef) -> Result<VolRef> {
        if self.volumes.iter().any(|v| v.name == vol.name) {
            return Err(Error::with(
                VIR_FROM_TEST,
                VIR_ERR_OPERATION_FAILED,
                "storage vol already exists",
            ));
        }
        if self.def.allocation + vol.allocation > self.def.capacity {
            return Err(Error::internal(
                VIR_FROM_TEST,
                format!("Not enough free space in pool for volume '{}'", vol.name),
            ));
        }
        // libvirt's test driver prints a missing target path as C's "(null)".
        let target = self.def.target_path.as_deref().unwrap_or("(null)");
        let path = format!("{target}/{}", vol.name);
        vol.target_path = Some(path.clone());
        vol.key = Some(path);
        self.def.allocation += vol.allocation;
        self.def.available = self.def.capacity - self.def.allocation;
        let r = self.vol_ref(&vol);
        self.volumes.push(vol);
        Ok(r)
    }
}

fn invalid(detail: String) -> Error {
    Error::with(VIR_FROM_TEST, VIR_ERR_OPERATION_INVALID, detail)
}

fn no_pool(by: &str, what: &str) -> Error {
    Error::with(
        VIR_FROM_TEST,
        VIR_ERR_NO_STORAGE_POOL,
        format!("no storage pool with matching {by} '{what}'"),
    )
}

fn no_vol(by: &str, what: &str) -> Error {
    Error::with(
        VIR_FROM_TEST,
        VIR_ERR_NO_STORAGE_VOL,
        format!("no storage vol with matching {by} '{what}'"),
    )
}

/// The bit of `VIR_CONNECT_LIST_STORAGE_POOLS_*` for a pool type.
fn type_flag(pool_type: &str) -> u32 {
    match pool_type {
        "dir" => VIR_CONNECT_LIST_STORAGE_POOLS_DIR,
        "fs" => VIR_CONNECT_LIST_STORAGE_POOLS_FS,
        "netfs" => VIR_CONNECT_LIST_STORAGE_POOLS_NETFS,
        "logical" => VIR_CONNECT_LIST_STORAGE_POOLS_LOGICAL,
        "disk" => VIR_CONNECT_LIST_STORAGE_POOLS_DISK,
        "iscsi" => VIR_CONNECT_LIST_STORAGE_POOLS_ISCSI,
        "iscsi-direct" => VIR_CONNECT_LIST_STORAGE_POOLS_ISCSI_DIRECT,
        "scsi" => VIR_CONNECT_LIST_STORAGE_POOLS_SCSI,
        "mpath" => VIR_CONNECT_LIST_STORAGE_POOLS_MPATH,
        "rbd" => VIR_CONNECT_LIST_STORAGE_POOLS_RBD,
        "sheepdog" => VIR_CONNECT_LIST_STORAGE_POOLS_SHEEPDOG,
        "gluster" => VIR_CONNECT_LIST_STORAGE_POOLS_GLUSTER,
        "zfs" => VIR_CONNECT_LIST_STORAGE_POOLS_ZFS,
        "vstorage" => VIR_CONNECT_LIST_STORAGE_POOLS_VSTORAGE,
        _ => 0,
    }
}

/// Every type bit of `VIR_CONNECT_LIST_STORAGE_POOLS_*`.
const TYPE_FLAGS: u32 = 0xfffc0;

/// All pools of a test hypervisor.
#[derive(Debug, Clone, Default)]
pub struct Pools {
    list: Vec<PoolObj>,
}

impl Pools {
    /// Adds a pool loaded from the configuration (active and persistent)
    /// with the volumes given inside it.
    pub fn add_loaded(&mut self, def: PoolDef, volumes: Vec<VolumeDef>) -> Result<()> {
        let mut obj = PoolObj::new(def, true, true);
        for v in volumes {
            obj.add_volume(v)?;
        }
        self.list.push(obj);
        Ok(())
    }

    /// The names of active (or inactive) pools.
    pub fn names(&self, active: bool) -> Vec<String> {
        self.list
            .iter()
            .filter(|p| p.active == active)
            .map(|p| p.def.name.clone())
            .collect()
    }

    /// Pools matching `VIR_CONNECT_LIST_STORAGE_POOLS_*` filter bits.
    pub fn list_all(&self, flags: u32) -> Vec<PoolRef> {
        let pick = |on: bool, yes: u32, no: u32| {
            let (y, n) = (flags & yes != 0, flags & no != 0);
            y == n || (on && y) || (!on && n)
        };
        self.list
            .iter()
            .filter(|p| {
                pick(
                    p.active,
                    VIR_CONNECT_LIST_STORAGE_POOLS_ACTIVE,
                    VIR_CONNECT_LIST_STORAGE_POOLS_INACTIVE,
                ) && pick(
                    p.persistent,
                    VIR_CONNECT_LIST_STORAGE_POOLS_PERSISTENT,
                    VIR_CONNECT_LIST_STORAGE_POOLS_TRANSIENT,
                ) && pick(
                    p.autostart,
                    VIR_CONNECT_LIST_STORAGE_POOLS_AUTOSTART,
                    VIR_CONNECT_LIST_STORAGE_POOLS_NO_AUTOSTART,
                ) && (flags & TYPE_FLAGS == 0 || flags & type_flag(&p.def.pool_type) != 0)
            })
            .map(PoolObj::reference)
            .collect()
    }

    fn index(&self, name: &str) -> Result<usize> {
        self.list
            .iter()
            .position(|p| p.def.name == name)
            .ok_or_else(|| no_pool("name", name))
    }

    /// The pool called `name`.
    pub fn get(&self, name: &str) -> Result<&PoolObj> {
        Ok(&self.list[self.index(name)?])
    }

    fn get_mut(&mut self, name: &str) -> Result<&mut PoolObj> {
        let i = self.index(name)?;
        Ok(&mut self.list[i])
    }

    /// Looks a pool up by name.
    pub fn lookup_name(&self, name: &str) -> Result<PoolRef> {
        self.get(name).map(PoolObj::reference)
    }

    /// The pool with `uuid`.
    pub fn get_by_uuid(&self, uuid: &Uuid) -> Result<&PoolObj> {
        self.list
            .iter()
            .find(|p| p.def.uuid == *uuid)
            .ok_or_else(|| no_pool("uuid", &uuid.to_string()))
    }

    /// Looks a pool up by UUID.
    pub fn lookup_uuid(&self, uuid: &Uuid) -> Result<PoolRef> {
        self.get_by_uuid(uuid).map(PoolObj::reference)
    }

    /// libvirt's duplicate checks: the index of a pool with the same name
    /// and UUID, None for a new one.
    fn find_same(&self, def: &PoolDef) -> Result<Option<usize>> {
        let failed = |d: String| Error::with(VIR_FROM_STORAGE, VIR_ERR_OPERATION_FAILED, d);
        if let Some(i) = self.list.iter().position(|p| p.def.uuid == def.uuid) {
            let old = &self.list[i].def;
            if old.name != def.name {
                return Err(failed(format!(
                    "pool '{}' is already defined with uuid {}",
                    old.name, old.uuid
                )));
            }
            return Ok(Some(i));
        }
        if let Some(old) = self.list.iter().find(|p| p.def.name == def.name) {
            return Err(failed(format!(
                "pool '{}' already exists with uuid {}",
                old.def.name, old.def.uuid
            )));
        }
        Ok(None)
    }

    /// Defines a pool, or updates an existing one's configuration.
    pub fn define(&mut self, def: PoolDef) -> Result<PoolRef> {
        match self.find_same(&def)? {
            Some(i) => {
                let obj = &mut self.list[i];
                // A started pool keeps the definition it runs with.
                if !obj.active {
                    let (alloc, avail) = (obj.def.allocation, obj.def.available);
                    obj.def = PoolDef {
                        capacity: POOL_CAPACITY,
                        allocation: alloc,
                        available: avail,
                        ..def
                    };
                }
                obj.persistent = true;
                Ok(obj.reference())
            }
            None => {
                let obj = PoolObj::new(def, false, true);
                let r = obj.reference();
                self.list.push(obj);
                Ok(r)
            }
        }
    }

    /// Creates and starts a transient pool.
    pub fn create_xml(&mut self, def: PoolDef) -> Result<PoolRef> {
        match self.find_same(&def)? {
            Some(i) => {
                let obj = &mut self.list[i];
                if obj.active {
                    return Err(Error::with(
                        VIR_FROM_STORAGE,
                        VIR_ERR_OPERATION_INVALID,
                        format!("pool is already active as '{}'", obj.def.name),
                    ));
                }
                obj.active = true;
                Ok(obj.reference())
            }
            None => {
                let obj = PoolObj::new(def, true, false);
                let r = obj.reference();
                self.list.push(obj);
                Ok(r)
            }
        }
    }

    /// Starts a pool.
    pub fn start(&mut self, name: &str) -> Result<()> {
        let p = self.get_mut(name)?;
        p.require_inactive()?;
        p.active = true;
        Ok(())
    }

    /// Stops a pool; a transient one goes away.
    pub fn destroy(&mut self, name: &str) -> Result<()> {
        let i = self.index(name)?;
        self.list[i].require_active()?;
        self.list[i].active = false;
        if !self.list[i].persistent {
            self.list.remove(i);
        }
        Ok(())
    }

    /// Removes an inactive pool's configuration.
    pub fn undefine(&mut self, name: &str) -> Result<()> {
        let i = self.index(name)?;
        self.list[i].require_inactive()?;
        self.list.remove(i);
        Ok(())
    }

    /// Build and delete: allowed on an inactive pool, nothing to do.
    pub fn build_or_delete(&self, name: &str) -> Result<()> {
        self.get(name)?.require_inactive()
    }

    /// Refresh: allowed on an active pool, nothing to rescan.
    pub fn refresh(&self, name: &str) -> Result<()> {
        self.get(name)?.require_active()
    }

    /// State and sizes.
    pub fn info(&self, name: &str) -> Result<PoolInfo> {
        let p = self.get(name)?;
        Ok(PoolInfo {
            state: if p.active {
                VIR_STORAGE_POOL_RUNNING
            } else {
                VIR_STORAGE_POOL_INACTIVE
            },
            capacity: p.def.capacity,
            allocation: p.def.allocation,
            available: p.def.available,
        })
    }

    /// Sets the autostart mark of a persistent pool.
    pub fn set_autostart(&mut self, name: &str, on: bool) -> Result<()> {
        let p = self.get_mut(name)?;
        if !p.persistent {
            return Err(Error::invalid_arg(VIR_FROM_TEST, "pool has no config file"));
        }
        p.autostart = on;
        Ok(())
    }

    /// The volumes of an active pool; `anonymous` leaves the pool's name out
    /// of the error, as libvirt's listing of volume objects does.
    pub fn volumes(&self, name: &str, anonymous: bool) -> Result<Vec<VolRef>> {
        let p = self.get(name)?;
        if anonymous && !p.active {
            return Err(invalid("storage pool is not active".into()));
        }
        p.require_active()?;
        Ok(p.volumes.iter().map(|v| p.vol_ref(v)).collect())
    }

    /// The volume `vol` of an active pool.
    pub fn volume(&self, pool: &str, vol: &str) -> Result<(&PoolObj, &VolumeDef)> {
        let p = self.get(pool)?;
        p.require_active()?;
        Ok((p, &p.volumes[p.vol_index(vol)?]))
    }

    /// Looks a volume up by name in a pool.
    pub fn lookup_vol(&self, pool: &str, vol: &str) -> Result<VolRef> {
        let (p, v) = self.volume(pool, vol)?;
        Ok(p.vol_ref(v))
    }

    /// Looks a volume up by key or path over the active pools.
    pub fn find_vol(&self, by_key: bool, what: &str) -> Result<VolRef> {
        for p in self.list.iter().filter(|p| p.active) {
            let hit = p.volumes.iter().find(|v| {
                if by_key {
                    v.key.as_deref() == Some(what)
                } else {
                    v.target_path.as_deref() == Some(what)
                }
            });
            if let Some(v) = hit {
                return Ok(p.vol_ref(v));
            }
        }
        Err(no_vol(if by_key { "key" } else { "path" }, what))
    }

    /// Creates a volume in an active pool.
    pub fn create_vol(&mut self, pool: &str, vol: VolumeDef) -> Result<VolRef> {
        let p = self.get_mut(pool)?;
        p.require_active()?;
        p.add_volume(vol)
    }

    /// Deletes a volume and gives its space back.
    pub fn delete_vol(&mut self, pool: &str, vol: &str) -> Result<()> {
        let p = self.get_mut(pool)?;
        p.require_active()?;
        let i = p.vol_index(vol)?;
        let v = p.volumes.remove(i);
        p.def.allocation -= v.allocation;
        p.def.available = p.def.capacity - p.def.allocation;
        Ok(())
    }

    /// Type and sizes of a volume.
    pub fn vol_info(&self, pool: &str, vol: &str) -> Result<VolInfo> {
        let (p, v) = self.volume(pool, vol)?;
        // libvirt's test driver reports the type by the pool's kind of
        // storage, whatever type the volume's XML gives.
        let vol_type = match p.def.pool_type.as_str() {
            "dir" | "fs" | "netfs" | "vstorage" => VIR_STORAGE_VOL_FILE,
            "rbd" | "sheepdog" | "gluster" | "iscsi-direct" => VIR_STORAGE_VOL_NETWORK,
            _ => VIR_STORAGE_VOL_BLOCK,
        };
        Ok(VolInfo {
            vol_type,
            capacity: v.capacity,
            allocation: v.allocation,
        })
    }
}
