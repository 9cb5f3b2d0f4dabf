//! Storage volumes: the disk images (and ISO and floppy images) of a
//! datastore, as its file browser finds them.  A volume is named by its
//! path inside the datastore (`dir/disk.vmdk`), its path is the datastore
//! path (`[datastore] dir/disk.vmdk`), and its key is the disk's UUID where
//! the server tells it (disks, on API 4.0 and later), else the path.
//! Disks are created, copied, deleted and zeroed by the virtual disk
//! manager, each a task waited for.

use super::config::{escape_datastore_item, split_datastore_path};
use super::soap::{self, child, child_text, children, MoRef};
use super::storage::Datastore;
use super::tasks::{self, Outcome};
use super::EsxDriver;
use crate::abi::*;
use crate::driver::{PoolRef, VolInfo, VolRef};
use crate::error::{Error, Result};
use crate::storage::{volume_formats, VolumeDef};
use crate::xml::dom::Element;

/// What a datastore file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A virtual disk.
    Disk,
    /// An ISO image.
    Iso,
    /// A floppy image.
    Floppy,
    /// A folder.
    Folder,
    /// Anything else.
    Other,
}

/// One file a search found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DsFile {
    /// Its folder inside the datastore (`""` for the top).
    pub folder: String,
    /// Its name.
    pub name: String,
    /// What it is.
    pub kind: FileKind,
    /// Its size in bytes.
    pub size: u64,
    /// A disk's capacity in KiB, when the server tells it.
    pub capacity_kb: Option<u64>,
}

impl DsFile {
    /// The volume name: `folder/name`, or the name at the top.
    pub fn volume_name(&self) -> String {
        if self.folder.is_empty() {
            self.name.clone()
        } else {
            format!("{}/{}", self.folder, self.name)
        }
    }

    /// Capacity and allocation in bytes, as libvirt reports them.
    pub fn sizes(&self) -> (u64, u64) {
        match (self.kind, self.capacity_kb) {
            (FileKind::Disk, Some(kb)) => (kb * 1024, self.size),
            _ => (self.size, self.size),
        }
    }
}

/// The kind of a `FileInfo` from its type, or its name where the server
/// leaves the type out.
fn file_kind(el: &Element, name: &str) -> FileKind {
    match soap::xsi_type(el) {
        Some("VmDiskFileInfo") => FileKind::Disk,
        Some("IsoImageFileInfo") => FileKind::Iso,
        Some("FloppyImageFileInfo") => FileKind::Floppy,
        Some("FolderFileInfo") => FileKind::Folder,
        Some(_) => FileKind::Other,
        None => {
            let lower = name.to_ascii_lowercase();
            if child(el, "capacityKb").is_some() || lower.ends_with(".vmdk") {
                FileKind::Disk
            } else if lower.ends_with(".iso") {
                FileKind::Iso
            } else if lower.ends_with(".flp") {
                FileKind::Floppy
            } else {
                FileKind::Other
            }
        }
    }
}

/// The files of search results (`HostDatastoreBrowserSearchResults`, one
/// or an array of them).
pub fn read_results(val: &Element) -> Vec<DsFile> {
    let many: Vec<&Element> = children(val, "HostDatastoreBrowserSearchResults").collect();
    let results = if many.is_empty() { vec![val] } else { many };
    let mut out = Vec::new();
    for r in results {
        let folder_path = child_text(r, "folderPath").unwrap_or_default();
        // `[ds] dir/` from ESX, `[ds]/dir` from the simulator.
        let folder = folder_path
            .split_once(']')
            .map_or("", |(_, rest)| rest)
            .trim_matches(|c| c == ' ' || c == '/')
            .to_string();
        for f in children(r, "file") {
            let name = child_text(f, "path").unwrap_or_default();
            let num = |n: &str| child_text(f, n).and_then(|t| t.parse::<u64>().ok());
            out.push(DsFile {
                folder: folder.clone(),
                kind: file_kind(f, &name),
                size: num("fileSize").unwrap_or(0),
                capacity_kb: num("capacityKb"),
                name,
            });
        }
    }
    out
}

/// A `HostDatastoreBrowserSearchSpec`: folders only, or the images libvirt
/// shows as volumes; every name matching `pattern`.
fn search_spec(folders: bool, pattern: &str) -> String {
    let queries = if folders {
        "<query xsi:type=\"FolderFileQuery\"></query>".to_string()
    } else {
        "<query xsi:type=\"VmDiskFileQuery\"><details><diskType>false</diskType>\
         <capacityKb>true</capacityKb><hardwareVersion>false</hardwareVersion>\
         <controllerType>true</controllerType><diskExtents>false</diskExtents></details></query>\
         <query xsi:type=\"IsoImageFileQuery\"></query>\
         <query xsi:type=\"FloppyImageFileQuery\"></query>"
            .to_string()
    };
    format!(
        "<searchSpec>{queries}<details><fileType>true</fileType><fileSize>true</fileSize>\
         <modification>false</modification></details>{}</searchSpec>",
        soap::text("matchPattern", pattern)
    )
}

/// A UUID as the server writes a disk's (`60 00 C2 9b ...-... 4f 9b`), in
/// libvirt's form.
pub fn reformat_uuid(text: &str) -> Result<String> {
    let hex: String = text.chars().filter(|c| *c != ' ' && *c != '-').collect();
    let bytes: Option<Vec<u8>> = (0..hex.len() / 2)
        .map(|i| {
            hex.get(2 * i..2 * i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect();
    match bytes {
        Some(b) if hex.len() == 32 => {
            let mut a = [0u8; 16];
            a.copy_from_slice(&b);
            Ok(crate::domain::Uuid(a).to_string())
        }
        _ => Err(Error::internal(
            VIR_FROM_ESX,
            format!("Could not parse UUID from string '{text}'"),
        )),
    }
}

fn no_volume(path: &str) -> Error {
    Error::with(
        VIR_FROM_ESX,
        VIR_ERR_NO_STORAGE_VOL,
        format!("No storage volume with key or path '{path}'"),
    )
}

/// `[pool] name`.
fn ds_path(pool: &str, name: &str) -> String {
    format!("[{pool}] {name}")
}

impl EsxDriver {
    /// Whether the server can tell disk UUIDs (API 4.0 and later).
    fn has_disk_uuids(&self) -> bool {
        let api = &self.session.content.about.api_version;
        api.split('.')
            .next()
            .and_then(|m| m.parse::<u32>().ok())
            .is_some_and(|m| m >= 4)
    }

    fn disk_manager(&self) -> Result<MoRef> {
        self.session
            .content
            .virtual_disk_manager
            .clone()
            .ok_or_else(|| Error::internal(VIR_FROM_ESX, "The server has no virtual disk manager"))
    }

    /// Runs a datastore search and returns its results.
    fn search(&self, ds: &Datastore, method: &str, path: &str, spec: &str) -> Result<Vec<DsFile>> {
        let browser = ds.browser.clone().ok_or_else(|| {
            Error::internal(
                VIR_FROM_ESX,
                format!("Datastore '{}' has no file browser", ds.name),
            )
        })?;
        let args = format!("{}{spec}", soap::text("datastorePath", path));
        let reply = self.session.call(method, &browser, &args)?;
        let task = child(&reply, "returnval")
            .and_then(|r| MoRef::from_element(r, Some("Task")))
            .ok_or_else(|| Error::internal(VIR_FROM_ESX, format!("Call to '{method}' returned no task")))?;
        let done = tasks::wait_done(&self.session, &task, None, false)?;
        if let Outcome::Failed(msg) = tasks::outcome(&done) {
            return Err(Error::internal(
                VIR_FROM_ESX,
                format!("Could not search in datastore '{}': {msg}", ds.name),
            ));
        }
        Ok(done.get("info.result").map(read_results).unwrap_or_default())
    }

    /// Every volume file of a datastore.
    fn datastore_files(&self, ds: &Datastore) -> Result<Vec<DsFile>> {
        let path = format!("[{}]", ds.name);
        self.search(
            ds,
            "SearchDatastoreSubFolders_Task",
            &path,
            &search_spec(false, "*"),
        )
    }

    /// The file at a datastore path (a folder with `folder`), or None.
    fn file_at(&self, path: &str, folder: bool) -> Result<Option<DsFile>> {
        let (ds_name, inner) = split_datastore_path(path)?;
        let (dir, file) = match inner.rsplit_once('/') {
            None => (None, inner.clone()),
            Some((_, "")) => {
                return Err(Error::internal(
                    VIR_FROM_ESX,
                    format!("Datastore path '{path}' doesn't reference a file"),
                ))
            }
            Some((d, f)) => (Some(d.to_string()), f.to_string()),
        };
        let ds = self.datastore_named(&ds_name)?;
        let search_path = match &dir {
            Some(d) => ds_path(&ds_name, d),
            None => format!("[{ds_name}]"),
        };
        let found = self.search(
            &ds,
            "SearchDatastore_Task",
            &search_path,
            &search_spec(folder, &file),
        )?;
        Ok(found.into_iter().find(|f| f.name == file))
    }

    /// The file of a volume, or libvirt's error.
    fn volume_file(&self, path: &str) -> Result<DsFile> {
        self.file_at(path, false)?.ok_or_else(|| no_volume(path))
    }

    /// The UUID of the disk at `path`.
    fn disk_uuid(&self, path: &str) -> Result<String> {
        let args = format!(
            "{}{}",
            soap::text("name", path),
            self.placement.datacenter.xml("datacenter")
        );
        let reply = self
            .session
            .call("QueryVirtualDiskUuid", &self.disk_manager()?, &args)?;
        reformat_uuid(&child_text(&reply, "returnval").unwrap_or_default())
    }

    /// The key of the volume at `path`: a disk's UUID, else the path.
    fn volume_key(&self, path: &str, file: &DsFile) -> Result<String> {
        if file.kind == FileKind::Disk && self.has_disk_uuids() {
            return self.disk_uuid(path);
        }
        Ok(path.to_string())
    }

    /// The names of a pool's volumes.
    pub(super) fn volume_names(&self, pool: &PoolRef) -> Result<Vec<String>> {
        let ds = self.datastore_named(&pool.name)?;
        Ok(self
            .datastore_files(&ds)?
            .iter()
            .map(DsFile::volume_name)
            .collect())
    }

    /// The volume `name` of a pool.
    pub(super) fn volume_by_name(&self, pool: &PoolRef, name: &str) -> Result<VolRef> {
        let path = ds_path(&pool.name, name);
        let file = self.volume_file(&path)?;
        Ok(VolRef {
            pool: pool.name.clone(),
            name: name.to_string(),
            key: self.volume_key(&path, &file)?,
        })
    }

    /// The volume at a datastore path.
    pub(super) fn volume_by_path(&self, path: &str) -> Result<VolRef> {
        if path.starts_with('/') {
            // Such paths name iSCSI LUNs, which this driver does not serve.
            return Err(Error::with(
                VIR_FROM_ESX,
                VIR_ERR_NO_STORAGE_VOL,
                format!("Could not find storage volume with path '{path}'"),
            ));
        }
        if !path.starts_with('[') {
            return Err(Error::invalid_arg(
                VIR_FROM_ESX,
                format!("Unexpected volume path format: {path}"),
            ));
        }
        let (pool, name) = split_datastore_path(path)?;
        let file = self.volume_file(path)?;
        Ok(VolRef {
            key: self.volume_key(path, &file)?,
            pool,
            name,
        })
    }

    /// The volume with `key`: a path, or a disk UUID searched for in every
    /// datastore.
    pub(super) fn volume_by_key(&self, key: &str) -> Result<VolRef> {
        if key.starts_with('[') {
            return self.volume_by_path(key);
        }
        if !self.has_disk_uuids() {
            return Err(Error::internal(
                VIR_FROM_ESX,
                "QueryVirtualDiskUuid not available, cannot lookup storage volume by UUID",
            ));
        }
        for ds in self.pool_datastores()? {
            for file in self.datastore_files(&ds)? {
                if file.kind != FileKind::Disk {
                    continue;
                }
                let name = file.volume_name();
                let path = ds_path(&ds.name, &name);
                if self.disk_uuid(&path)? == key {
                    return Ok(VolRef {
                        pool: ds.name,
                        name,
                        key: key.to_string(),
                    });
                }
            }
        }
        Err(Error::with(
            VIR_FROM_ESX,
            VIR_ERR_NO_STORAGE_VOL,
            format!("Could not find storage volume with key '{key}'"),
        ))
    }

    /// The datastore of a pool with its type, for parsing volume XML.
    fn pool_for_volume(&self, pool: &str) -> Result<(Datastore, &'static str)> {
        let ds = self
            .pool_datastores()?
            .into_iter()
            .find(|d| d.name == pool)
            .ok_or_else(|| {
                Error::with(
                    VIR_FROM_ESX,
                    VIR_ERR_NO_STORAGE_POOL,
                    format!("Could not find storage pool with name '{pool}'"),
                )
            })?;
        let kind = ds.kind()?.pool_type();
        Ok((ds, kind))
    }

    /// Checks a new volume's XML as libvirt does: the definition, its
    /// directory's and its own escaped datastore paths.
    fn check_volume(&self, pool: &PoolRef, xml: &str) -> Result<(VolumeDef, String, String)> {
        let (_, pool_type) = self.pool_for_volume(&pool.name)?;
        let def = VolumeDef::parse(xml, volume_formats(pool_type))?;
        if def.vol_type != "file" {
            return Err(Error::with(
                VIR_FROM_ESX,
                VIR_ERR_NO_SUPPORT,
                "Creating non-file volumes is not supported",
            ));
        }
        let (dir, file) = match def.name.rsplit_once('/') {
            Some((d, f)) if !d.is_empty() && !f.is_empty() && !def.name.starts_with('/') => (d, f),
            _ => {
                return Err(Error::internal(
                    VIR_FROM_ESX,
                    format!(
                        "Volume name '{}' doesn't have expected format '<directory>/<file>'",
                        def.name
                    ),
                ))
            }
        };
        if !def.name.to_ascii_lowercase().ends_with(".vmdk") {
            return Err(Error::with(
                VIR_FROM_ESX,
                VIR_ERR_NO_SUPPORT,
                format!(
                    "Volume name '{}' has unsupported suffix, expecting '.vmdk'",
                    def.name
                ),
            ));
        }
        let format = def.format.clone().unwrap_or_else(|| "none".to_string());
        if format != "vmdk" {
            return Err(Error::with(
                VIR_FROM_ESX,
                VIR_ERR_NO_SUPPORT,
                format!("Creation of {format} volumes is not supported"),
            ));
        }
        let dir_path = ds_path(&pool.name, &escape_datastore_item(dir));
        let path = format!("{dir_path}/{}", escape_datastore_item(file));
        Ok((def, dir_path, path))
    }

    /// Makes a new volume's directory unless it is there.
    fn make_volume_dir(&self, dir_path: &str) -> Result<()> {
        if self.file_at(dir_path, true)?.is_none() {
            let fm = self
                .session
                .content
                .file_manager
                .clone()
                .ok_or_else(|| Error::internal(VIR_FROM_ESX, "The server has no file manager"))?;
            let args = format!(
                "{}{}<createParentDirectories>true</createParentDirectories>",
                soap::text("name", dir_path),
                self.placement.datacenter.xml("datacenter")
            );
            self.session.call("MakeDirectory", &fm, &args)?;
        }
        Ok(())
    }

    /// A new volume's handle, keyed by its disk's UUID where the server
    /// tells it.
    fn created(&self, pool: &PoolRef, def: &VolumeDef, path: &str) -> Result<VolRef> {
        let key = if self.has_disk_uuids() {
            self.disk_uuid(path)?
        } else {
            path.to_string()
        };
        Ok(VolRef {
            pool: pool.name.clone(),
            name: def.name.clone(),
            key,
        })
    }

    /// Creates a disk: preallocated when its allocation is its capacity,
    /// thin when nothing is allocated.
    pub(super) fn volume_create(&self, pool: &PoolRef, xml: &str, flags: u32) -> Result<VolRef> {
        if flags != 0 {
            return Err(Error::bad_flags(VIR_FROM_ESX, "esxStorageVolCreateXML", flags));
        }
        let (def, dir_path, path) = self.check_volume(pool, xml)?;
        let disk_type = if def.allocation == def.capacity {
            "preallocated"
        } else if def.allocation == 0 {
            "thin"
        } else {
            return Err(Error::internal(
                VIR_FROM_ESX,
                "Unsupported capacity-to-allocation relation",
            ));
        };
        self.make_volume_dir(&dir_path)?;
        // libvirt's volume XML cannot name an adapter; it uses lsiLogic.
        let args = format!(
            "{}{}<spec xsi:type=\"FileBackedVirtualDiskSpec\"><diskType>{disk_type}</diskType>\
             <adapterType>lsiLogic</adapterType><capacityKb>{}</capacityKb></spec>",
            soap::text("name", &path),
            self.placement.datacenter.xml("datacenter"),
            def.capacity.div_ceil(1024)
        );
        self.run_task(
            "CreateVirtualDisk_Task",
            &self.disk_manager()?,
            &args,
            None,
            "Could not create volume",
        )?;
        self.created(pool, &def, &path)
    }

    /// Creates a disk as a copy of `from`.
    pub(super) fn volume_copy(&self, pool: &PoolRef, xml: &str, from: &VolRef, flags: u32) -> Result<VolRef> {
        if flags != 0 {
            return Err(Error::bad_flags(
                VIR_FROM_ESX,
                "esxStorageVolCreateXMLFrom",
                flags,
            ));
        }
        let source = ds_path(&from.pool, &from.name);
        let (def, dir_path, path) = self.check_volume(pool, xml)?;
        self.make_volume_dir(&dir_path)?;
        let dc = &self.placement.datacenter;
        let args = format!(
            "{}{}{}{}<force>false</force>",
            soap::text("sourceName", &source),
            dc.xml("sourceDatacenter"),
            soap::text("destName", &path),
            dc.xml("destDatacenter")
        );
        self.run_task(
            "CopyVirtualDisk_Task",
            &self.disk_manager()?,
            &args,
            None,
            "Could not copy volume",
        )?;
        self.created(pool, &def, &path)
    }

    /// Runs a disk task on a volume.
    fn disk_task(&self, vol: &VolRef, method: &str, what: &str) -> Result<()> {
        let args = format!(
            "{}{}",
            soap::text("name", &ds_path(&vol.pool, &vol.name)),
            self.placement.datacenter.xml("datacenter")
        );
        self.run_task(method, &self.disk_manager()?, &args, None, what)?;
        Ok(())
    }

    /// Deletes a disk.
    pub(super) fn volume_delete(&self, vol: &VolRef, flags: u32) -> Result<()> {
        if flags != 0 {
            return Err(Error::bad_flags(VIR_FROM_ESX, "esxStorageVolDelete", flags));
        }
        self.disk_task(vol, "DeleteVirtualDisk_Task", "Could not delete volume")
    }

    /// Overwrites a disk with zeros.
    pub(super) fn volume_wipe(&self, vol: &VolRef, flags: u32) -> Result<()> {
        if flags != 0 {
            return Err(Error::bad_flags(VIR_FROM_ESX, "esxStorageVolWipe", flags));
        }
        self.disk_task(vol, "ZeroFillVirtualDisk_Task", "Could not wipe volume")
    }

    /// The volume's type and sizes.
    pub(super) fn volume_info(&self, vol: &VolRef) -> Result<VolInfo> {
        let file = self.volume_file(&ds_path(&vol.pool, &vol.name))?;
        let (capacity, allocation) = file.sizes();
        Ok(VolInfo {
            vol_type: VIR_STORAGE_VOL_FILE,
            capacity,
            allocation,
        })
    }

    /// The volume's XML.
    pub(super) fn volume_xml(&self, vol: &VolRef, flags: u32) -> Result<String> {
        if flags != 0 {
            return Err(Error::bad_flags(VIR_FROM_ESX, "esxStorageVolGetXMLDesc", flags));
        }
        self.pool_for_volume(&vol.pool)?;
        let path = ds_path(&vol.pool, &vol.name);
        let file = self.volume_file(&path)?;
        let format = match file.kind {
            FileKind::Disk => "vmdk",
            FileKind::Iso => "iso",
            FileKind::Floppy => "raw",
            _ => {
                return Err(Error::internal(
                    VIR_FROM_ESX,
                    format!("File '{path}' has unknown type"),
                ))
            }
        };
        let (capacity, allocation) = file.sizes();
        let def = VolumeDef {
            vol_type: "file".to_string(),
            name: vol.name.clone(),
            key: Some(self.volume_key(&path, &file)?),
            capacity,
            allocation,
            target_path: Some(path),
            format: Some(format.to_string()),
            ..VolumeDef::default()
        };
        Ok(def.to_xml())
    }
}

/// The path of a volume: `[pool] name`, with no server call.
pub fn volume_path(vol: &VolRef) -> String {
    ds_path(&vol.pool, &vol.name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::dom;

    #[test]
    fn search_results_of_esx_and_the_simulator() {
        let val = dom::parse(
            "<val xmlns:x='i'><HostDatastoreBrowserSearchResults><folderPath>[ds1]</folderPath>\
             <file x:type='IsoImageFileInfo'><path>boot.iso</path><fileSize>2048</fileSize></file>\
             </HostDatastoreBrowserSearchResults>\
             <HostDatastoreBrowserSearchResults><folderPath>[ds1] vm1/</folderPath>\
             <file x:type='VmDiskFileInfo'><path>vm1.vmdk</path><fileSize>512</fileSize><capacityKb>4096</capacityKb></file>\
             </HostDatastoreBrowserSearchResults>\
             <HostDatastoreBrowserSearchResults><folderPath>[ds1]/vm2</folderPath>\
             <file><path>vm2.vmdk</path><fileSize>0</fileSize></file>\
             </HostDatastoreBrowserSearchResults></val>",
        )
        .unwrap();
        let files = read_results(&val);
        let names: Vec<String> = files.iter().map(DsFile::volume_name).collect();
        assert_eq!(names, ["boot.iso", "vm1/vm1.vmdk", "vm2/vm2.vmdk"]);
        assert_eq!(files[0].kind, FileKind::Iso);
        assert_eq!(files[0].sizes(), (2048, 2048));
        assert_eq!(files[1].sizes(), (4096 * 1024, 512));
        assert_eq!(files[2].kind, FileKind::Disk);
    }

    #[test]
    fn disk_uuids_in_libvirt_form() {
        assert_eq!(
            reformat_uuid("60 00 C2 9b 4d d1 ed 4c-5d ae 6a 09 11 4b 4f 9b").unwrap(),
            "6000c29b-4dd1-ed4c-5dae-6a09114b4f9b"
        );
        assert_eq!(
            reformat_uuid("6000c29b-4dd1-ed4c-5dae-6a09114b4f9b").unwrap(),
            "6000c29b-4dd1-ed4c-5dae-6a09114b4f9b"
        );
        assert!(reformat_uuid("zz").is_err());
        assert!(reformat_uuid("").is_err());
    }
}
