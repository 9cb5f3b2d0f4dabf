//! Storage pools: each datastore of the host is a pool, always active,
//! persistent and started with the host, its UUID the MD5 of its mount
//! path on the host (as libvirt derives it).  VMFS datastores are `fs`
//! pools of format `vmfs`, NAS ones `netfs` pools, hosted ones `dir` pools.
//! One retrieval along the host's `datastore` property brings every
//! datastore with what a listing, a lookup, the info or the XML need.

use super::soap::{self, child, child_text, children, MoRef};
use super::vi::{object_spec, prop_spec, traversal, unescape_name, ObjectContent};
use super::EsxDriver;
use crate::abi::*;
use crate::domain::Uuid;
use crate::driver::{PoolInfo, PoolRef};
use crate::error::{Error, Result};
use crate::storage::{Permissions, PoolDef};
use crate::xml::dom::Element;

/// What kind of file system a datastore is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DsKind {
    /// A hosted product's local directory (`dir` pool).
    Local,
    /// VMFS (`fs` pool, format `vmfs`).
    Vmfs,
    /// NFS or CIFS: (remote host, remote path, `nfs` | `cifs`).
    Nas(String, String, String),
}

impl DsKind {
    /// The libvirt pool type.
    pub fn pool_type(&self) -> &'static str {
        match self {
            DsKind::Local => "dir",
            DsKind::Vmfs => "fs",
            DsKind::Nas(..) => "netfs",
        }
    }
}

/// One datastore with what the pool calls need.
#[derive(Debug, Clone)]
pub struct Datastore {
    /// Its managed object.
    pub obj: MoRef,
    /// Its name (the pool's).
    pub name: String,
    /// Whether the host can reach it.
    pub accessible: bool,
    /// Size in bytes.
    pub capacity: u64,
    /// Free bytes.
    pub free: u64,
    /// Its `info` (a `DatastoreInfo` subtype).
    pub info: Option<Element>,
    /// Whether it is mounted on the connection's host.
    pub mounted: bool,
    /// The mount path on the host, when the server gives it.
    pub mount_path: Option<String>,
    /// Its file browser.
    pub browser: Option<MoRef>,
}

impl Datastore {
    /// The path the pool's UUID and target are made of: the mount path, or
    /// the name's link under `/vmfs/volumes` where the server gives none.
    pub fn target_path(&self) -> String {
        self.mount_path
            .clone()
            .unwrap_or_else(|| format!("/vmfs/volumes/{}", self.name))
    }

    /// The pool's UUID.
    pub fn uuid(&self) -> Uuid {
        Uuid(crate::drivers::esx::md5(self.target_path().as_bytes()))
    }

    /// The pool handle.
    pub fn reference(&self) -> PoolRef {
        PoolRef {
            name: self.name.clone(),
            uuid: self.uuid(),
        }
    }

    /// The file system kind, from the type of `info` (or, where the server
    /// leaves the type out, from what it holds).
    pub fn kind(&self) -> Result<DsKind> {
        let unexpected = || Error::internal(VIR_FROM_ESX, "DatastoreInfo has unexpected type");
        let info = self.info.as_ref().ok_or_else(unexpected)?;
        let kind = match soap::xsi_type(info) {
            Some("LocalDatastoreInfo") => "local",
            Some("VmfsDatastoreInfo") => "vmfs",
            Some("NasDatastoreInfo") => "nas",
            Some(_) => return Err(unexpected()),
            None if child(info, "vmfs").is_some() => "vmfs",
            None if child(info, "nas").is_some() => "nas",
            None if child(info, "path").is_some() => "local",
            None => return Err(unexpected()),
        };
        Ok(match kind {
            "local" => DsKind::Local,
            "vmfs" => DsKind::Vmfs,
            _ => {
                let nas = child(info, "nas").ok_or_else(unexpected)?;
                let fs = child_text(nas, "type").unwrap_or_default();
                let format = match fs.to_ascii_uppercase().as_str() {
                    "NFS" => "nfs",
                    "CIFS" => "cifs",
                    _ => {
                        return Err(Error::internal(
                            VIR_FROM_ESX,
                            format!("Datastore has unexpected type '{fs}'"),
                        ))
                    }
                };
                DsKind::Nas(
                    child_text(nas, "remoteHost").unwrap_or_default(),
                    child_text(nas, "remotePath").unwrap_or_default(),
                    format.to_string(),
                )
            }
        })
    }

    /// virStoragePoolGetInfo's answer.
    pub fn pool_info(&self) -> PoolInfo {
        if !self.accessible {
            return PoolInfo {
                state: VIR_STORAGE_POOL_INACCESSIBLE,
                ..PoolInfo::default()
            };
        }
        PoolInfo {
            state: VIR_STORAGE_POOL_RUNNING,
            capacity: self.capacity,
            allocation: self.capacity.saturating_sub(self.free),
            available: self.free,
        }
    }

    /// The pool XML libvirt writes for it (its definition starts out
    /// zeroed, hence the permissions of mode 0 and root).
    pub fn pool_def(&self) -> Result<PoolDef> {
        let kind = self.kind()?;
        let info = self.pool_info();
        let mut def = PoolDef {
            pool_type: kind.pool_type().to_string(),
            name: self.name.clone(),
            uuid: self.uuid(),
            capacity: info.capacity,
            allocation: info.allocation,
            available: info.available,
            target_path: Some(self.target_path()),
            perms: Permissions {
                mode: Some(0),
                owner: Some(0),
                group: Some(0),
                label: None,
            },
            ..PoolDef::default()
        };
        match kind {
            DsKind::Local => {}
            DsKind::Vmfs => def.source.format = Some("vmfs".to_string()),
            DsKind::Nas(host, dir, format) => {
                def.source.hosts = vec![(host, None)];
                def.source.dir = Some(dir);
                def.source.format = Some(format);
            }
        }
        Ok(def)
    }
}

/// The properties a datastore listing brings.
const PROPS: [&str; 7] = [
    "summary.name",
    "summary.accessible",
    "summary.capacity",
    "summary.freeSpace",
    "info",
    "host",
    "browser",
];

fn read_datastore(o: &ObjectContent, host: &MoRef) -> Option<Datastore> {
    let name = unescape_name(&o.text("summary.name")?);
    let mount = o.get("host").and_then(|h| {
        children(h, "DatastoreHostMount").find(|m| {
            child(m, "key")
                .and_then(|k| MoRef::from_element(k, Some("HostSystem")))
                .is_some_and(|k| k == *host)
        })
    });
    Some(Datastore {
        obj: o.obj.clone(),
        name,
        accessible: o.text("summary.accessible").as_deref() == Some("true"),
        capacity: o.int("summary.capacity").unwrap_or(0).max(0) as u64,
        free: o.int("summary.freeSpace").unwrap_or(0).max(0) as u64,
        info: o.get("info").cloned(),
        mounted: mount.is_some(),
        mount_path: mount
            .and_then(|m| soap::path(m, "mountInfo.path"))
            .map(|p| p.text().trim().to_string())
            .filter(|p| !p.is_empty()),
        browser: o.moref("browser", Some("HostDatastoreBrowser")),
    })
}

fn no_pool(what: &str, value: &str) -> Error {
    Error::with(
        VIR_FROM_ESX,
        VIR_ERR_NO_STORAGE_POOL,
        format!("Could not find storage pool with {what} '{value}'"),
    )
}

impl EsxDriver {
    /// The host's datastores with what the pool calls need.
    pub(super) fn pool_datastores(&self) -> Result<Vec<Datastore>> {
        let specs = format!(
            "{}{}",
            prop_spec("Datastore", &PROPS),
            object_spec(
                &self.placement.host,
                true,
                &[traversal("hostToDatastore", "HostSystem", "datastore", &[])]
            )
        );
        Ok(self
            .session
            .retrieve(&specs)?
            .iter()
            .filter(|o| o.obj.kind == "Datastore")
            .filter_map(|o| read_datastore(o, &self.placement.host))
            .collect())
    }

    /// The datastore called `name`, as libvirt's lookups report a missing one.
    pub(super) fn datastore_named(&self, name: &str) -> Result<Datastore> {
        self.pool_datastores()?
            .into_iter()
            .find(|d| d.name == name)
            .ok_or_else(|| {
                Error::internal(
                    VIR_FROM_ESX,
                    format!("Could not find datastore with name '{name}'"),
                )
            })
    }

    /// The datastore of a pool handle, mounted on the host.
    fn pool_datastore(&self, pool: &PoolRef) -> Result<Datastore> {
        self.pool_datastores()?
            .into_iter()
            .find(|d| d.name == pool.name && d.mounted)
            .ok_or_else(|| no_pool("name", &pool.name))
    }

    /// The names of the pools: every datastore is active.
    pub(super) fn pool_names(&self, active: bool) -> Result<Vec<String>> {
        if !active {
            return Ok(Vec::new());
        }
        Ok(self.pool_datastores()?.into_iter().map(|d| d.name).collect())
    }

    /// The pool called `name`.
    pub(super) fn pool_by_name(&self, name: &str) -> Result<PoolRef> {
        self.pool_datastores()?
            .into_iter()
            .find(|d| d.name == name && d.mounted)
            .map(|d| d.reference())
            .ok_or_else(|| no_pool("name", name))
    }

    /// The pool with `uuid`.
    pub(super) fn pool_by_uuid(&self, uuid: &Uuid) -> Result<PoolRef> {
        self.pool_datastores()?
            .into_iter()
            .find(|d| d.mounted && d.uuid() == *uuid)
            .map(|d| d.reference())
            .ok_or_else(|| no_pool("uuid", &uuid.to_string()))
    }

    /// Asks the server to rescan the datastore.
    pub(super) fn pool_rescan(&self, pool: &PoolRef, flags: u32) -> Result<()> {
        if flags != 0 {
            return Err(Error::bad_flags(VIR_FROM_ESX, "esxStoragePoolRefresh", flags));
        }
        let ds = self.datastore_named(&pool.name)?;
        self.session.call_void("RefreshDatastore", &ds.obj, "")
    }

    /// The pool's state and sizes.
    pub(super) fn pool_info(&self, pool: &PoolRef) -> Result<PoolInfo> {
        Ok(self.pool_datastore(pool)?.pool_info())
    }

    /// The pool's XML.
    pub(super) fn pool_xml(&self, pool: &PoolRef, flags: u32) -> Result<String> {
        if flags != 0 {
            return Err(Error::bad_flags(VIR_FROM_ESX, "esxStoragePoolGetXMLDesc", flags));
        }
        Ok(self.pool_datastore(pool)?.pool_def()?.to_xml())
    }
}

/// libvirt refuses to turn a pool's autostart off.
pub fn set_autostart(on: bool) -> Result<()> {
    if on {
        Ok(())
    } else {
        Err(Error::internal(
            VIR_FROM_ESX,
            "Cannot deactivate storage pool autostart",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::dom;

    fn ds(info: &str, mount: Option<&str>) -> Datastore {
        Datastore {
            obj: MoRef::new("Datastore", "ds-1"),
            name: "datastore1".into(),
            accessible: true,
            capacity: 1000,
            free: 400,
            info: Some(dom::parse(info).unwrap()),
            mounted: true,
            mount_path: mount.map(str::to_string),
            browser: None,
        }
    }

    #[test]
    fn vmfs_pool_xml() {
        let d = ds(
            "<val xmlns:x='i' x:type='VmfsDatastoreInfo'><name>datastore1</name><vmfs><type>VMFS</type></vmfs></val>",
            Some("/vmfs/volumes/4b0beca7-7fd401f3"),
        );
        let uuid = Uuid(crate::drivers::esx::md5(b"/vmfs/volumes/4b0beca7-7fd401f3"));
        assert_eq!(
            d.pool_def().unwrap().to_xml(),
            format!(
                "<pool type='fs'>\n  <name>datastore1</name>\n  <uuid>{uuid}</uuid>\n  \
                 <capacity unit='bytes'>1000</capacity>\n  <allocation unit='bytes'>600</allocation>\n  \
                 <available unit='bytes'>400</available>\n  <source>\n    <format type='vmfs'/>\n  </source>\n  \
                 <target>\n    <path>/vmfs/volumes/4b0beca7-7fd401f3</path>\n    <permissions>\n      \
                 <mode>00</mode>\n      <owner>0</owner>\n      <group>0</group>\n    </permissions>\n  \
                 </target>\n</pool>\n"
            )
        );
    }

    #[test]
    fn nas_and_local_kinds() {
        let nas = ds(
            "<val><nas><type>nfs</type><remoteHost>filer</remoteHost><remotePath>/export</remotePath></nas></val>",
            None,
        );
        assert_eq!(
            nas.kind().unwrap(),
            DsKind::Nas("filer".into(), "/export".into(), "nfs".into())
        );
        assert_eq!(nas.target_path(), "/vmfs/volumes/datastore1");
        let xml = nas.pool_def().unwrap().to_xml();
        assert!(xml.contains("<host name='filer'/>\n    <dir path='/export'/>\n    <format type='nfs'/>"));
        let local = ds("<val><path>/tmp/x</path></val>", None);
        assert_eq!(local.kind().unwrap(), DsKind::Local);
        let other = ds("<val xmlns:x='i' x:type='VsanDatastoreInfo'/>", None);
        assert!(other.kind().is_err());
        let v41 = ds("<val><nas><type>NFS41</type></nas></val>", None);
        assert_eq!(
            v41.kind().unwrap_err().message,
            "internal error: Datastore has unexpected type 'NFS41'"
        );
        let gone = Datastore {
            accessible: false,
            ..local
        };
        assert_eq!(gone.pool_info().state, VIR_STORAGE_POOL_INACCESSIBLE);
        assert_eq!(gone.pool_info().capacity, 0);
    }
}
