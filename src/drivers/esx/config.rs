//! Domain XML: the VM's VMX file fetched from its datastore over HTTP(S)
//! and converted, and defining a domain by converting its XML to VMX,
//! uploading it and registering the VM; undefining unregisters it.

use super::soap;
use super::vi::{escape_name, object_spec, prop_spec, traversal};
use super::vms::Power;
use super::EsxDriver;
use crate::abi::*;
use crate::domain::{self, DomainDef, FormatOptions, ParseOptions, Profile};
use crate::driver::DomainRef;
use crate::error::{Error, Result};
use crate::native::vmx;

/// A datastore of the host and where it is mounted.
#[derive(Debug, Clone)]
pub struct Datastore {
    /// Its name.
    pub name: String,
    /// Its mount path on the host (`/vmfs/volumes/<uuid>`), if known.
    pub mount: Option<String>,
}

/// Percent-encodes `s` for a URL: unreserved characters stay, and `/`
/// too when `keep_slash`.
pub fn percent_encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) || (keep_slash && b == b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Splits `[datastore] directory/file` into its parts.
pub fn split_datastore_path(path: &str) -> Result<(String, String)> {
    let bad = || {
        Error::invalid_arg(
            VIR_FROM_ESX,
            format!("Datastore path '{path}' doesn't have expected format '[<datastore>] <path>'"),
        )
    };
    let rest = path.strip_prefix('[').ok_or_else(bad)?;
    let (ds, file) = rest.split_once(']').ok_or_else(bad)?;
    if ds.is_empty() {
        return Err(bad());
    }
    Ok((ds.to_string(), file.trim_start().to_string()))
}

/// A domain name made safe as a datastore file name, the way VMware tools
/// name files: characters Windows forbids become `_`, `%` is written `%25`,
/// and runs of other unusual bytes are base64 between `+` and `-` (with `,`
/// for `/`), so the name stays readable and reversible.
pub fn escape_datastore_item(name: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";
    let normal = |b: u8| b.is_ascii_alphanumeric() || b"'(),. _-".contains(&b);
    let replaced: String = name
        .chars()
        .map(|c| if "\"*<>:|?".contains(c) { '_' } else { c })
        .collect();
    let bytes = replaced.replace('%', "%25").into_bytes();
    let mut out = String::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if normal(bytes[i]) {
            out.push(bytes[i] as char);
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !normal(bytes[i]) {
            i += 1;
        }
        out.push('+');
        for chunk in bytes[start..i].chunks(3) {
            let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            // Unpadded: one more character than bytes in the chunk.
            for k in 0..=chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * k)) & 0x3f) as usize] as char);
            }
        }
        if i < bytes.len() {
            out.push('-');
        }
    }
    out
}

/// The SCSI controller model a VMDK descriptor's `ddb.adapterType` names
/// (None for IDE disks, binary images or unknown types).
pub fn adapter_model(descriptor: &str) -> Option<&'static str> {
    let value = descriptor.lines().find_map(|line| {
        let (key, value) = line.split_once('=')?;
        (key.trim() == "ddb.adapterType").then(|| value.trim().trim_matches('"').to_string())
    })?;
    match value.as_str() {
        "buslogic" | "legacyESX" => Some("buslogic"),
        "lsilogic" => Some("lsilogic"),
        "lsisas1068" => Some("lsisas1068"),
        "pvscsi" => Some("vmpvscsi"),
        _ => None,
    }
}

/// The virtual hardware version a new VM gets on a product version.
pub fn default_hw_version(version: &str) -> i32 {
    let mut parts = version.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    match (major, minor) {
        (0..=3, _) => 4,
        (4, _) => 7,
        (5, 0) => 8,
        (5, 1) => 9,
        (5, _) => 10,
        (6, 0) => 11,
        (6, 5) => 13,
        (6, _) => 14,
        (7, _) => 17,
        _ => 20,
    }
}

/// Maps a VMX file name to a libvirt source: files on a datastore (by its
/// mount path or `/vmfs/volumes/<name>`) become `[datastore] path`, other
/// absolute paths (devices, the host's ISO images) stay, and relative names
/// live beside the VMX file (`vmx_dir`, `[datastore] directory`).  A file on
/// a datastore the host does not have is missing: `Ok(None)` when
/// `allow_missing` (an empty CD-ROM drive), an error otherwise.
pub fn map_vmx_file_name(
    datastores: &[Datastore],
    vmx_dir: &str,
    name: &str,
    allow_missing: bool,
) -> Result<Option<String>> {
    if !name.starts_with('/') {
        return Ok(Some(if vmx_dir.is_empty() {
            name.to_string()
        } else {
            format!("{vmx_dir}/{name}")
        }));
    }
    for ds in datastores {
        let mounts = [ds.mount.clone(), Some(format!("/vmfs/volumes/{}", ds.name))];
        for m in mounts.iter().flatten() {
            let m = m.trim_end_matches('/');
            if let Some(tail) = name.strip_prefix(m).and_then(|t| t.strip_prefix('/')) {
                return Ok(Some(format!("[{}] {tail}", ds.name)));
            }
        }
    }
    if let Some(rest) = name.strip_prefix("/vmfs/volumes/") {
        if allow_missing {
            return Ok(None);
        }
        let ds = rest.split('/').next().unwrap_or(rest);
        return Err(Error::internal(
            VIR_FROM_ESX,
            format!("File name '{name}' refers to non-existing datastore '{ds}'"),
        ));
    }
    Ok(Some(name.to_string()))
}

/// The one native format this driver speaks, and no flags.
fn check_native(format: &str, flags: u32, func: &str) -> Result<()> {
    if flags != 0 {
        return Err(Error::bad_flags(VIR_FROM_ESX, func, flags));
    }
    if format != "vmware-vmx" {
        return Err(Error::with(
            VIR_FROM_ESX,
            VIR_ERR_INVALID_ARG,
            format!("Unsupported config format '{format}'"),
        ));
    }
    Ok(())
}

impl EsxDriver {
    /// The host's datastores (one retrieval along the host's `datastore`).
    pub(super) fn datastores(&self) -> Result<Vec<Datastore>> {
        let specs = format!(
            "{}{}",
            prop_spec("Datastore", &["summary.name", "summary.url", "info.url"]),
            object_spec(
                &self.placement.host,
                true,
                &[traversal("hostToDatastore", "HostSystem", "datastore", &[])]
            )
        );
        Ok(self
            .session
            .retrieve(&specs)?
            .into_iter()
            .filter(|o| o.obj.kind == "Datastore")
            .filter_map(|o| {
                let url = o.text("info.url").or_else(|| o.text("summary.url"));
                Some(Datastore {
                    name: o.text("summary.name")?,
                    mount: url.map(|u| {
                        u.strip_prefix("ds://")
                            .unwrap_or(&u)
                            .trim_end_matches('/')
                            .to_string()
                    }),
                })
            })
            .collect())
    }

    /// The URL of a datastore file.
    fn file_url(&self, ds: &str, file: &str) -> String {
        format!(
            "{}/folder/{}?dcPath={}&dsName={}",
            self.session.base(),
            percent_encode(file, true),
            percent_encode(&self.placement.datacenter_path, true),
            percent_encode(ds, false)
        )
    }

    /// A datastore text file; with `head`, only its first bytes when the
    /// server honours ranges (a disk descriptor may sit in a large image).
    fn download(&self, ds_path: &str, head: Option<u64>) -> Result<String> {
        let (ds, file) = split_datastore_path(ds_path)?;
        let url = self.file_url(&ds, &file);
        self.session.count_request();
        let range = head.map(|n| format!("bytes=0-{}", n.saturating_sub(1)));
        let headers: Vec<(&str, &str)> = range.iter().map(|r| ("Range", r.as_str())).collect();
        let reply = self.session.http().request("GET", &url, &headers, None)?;
        if reply.status != 200 && reply.status != 206 {
            return Err(Error::internal(
                VIR_FROM_ESX,
                format!("HTTP response code {} for download from '{url}'", reply.status),
            ));
        }
        if head.is_some() {
            return Ok(String::from_utf8_lossy(&reply.body).into_owned());
        }
        String::from_utf8(reply.body)
            .map_err(|_| Error::internal(VIR_FROM_ESX, format!("The file '{ds_path}' is not UTF-8 text")))
    }

    fn upload(&self, ds_path: &str, content: &str) -> Result<()> {
        let (ds, file) = split_datastore_path(ds_path)?;
        let url = self.file_url(&ds, &file);
        self.session.count_request();
        let reply = self.session.http().request(
            "PUT",
            &url,
            &[("Content-Type", "application/octet-stream")],
            Some(content.as_bytes()),
        )?;
        if !(200..300).contains(&reply.status) {
            return Err(Error::internal(
                VIR_FROM_ESX,
                format!("HTTP response code {} for upload to '{url}'", reply.status),
            ));
        }
        Ok(())
    }

    /// The VM, its VMX file's datastore path and the file's text.
    fn fetch_vmx(&self, dom: &DomainRef) -> Result<(super::vms::Vm, String, String)> {
        let vm = self.vm(dom, &["config.files.vmPathName"])?;
        let vmx_path = vm
            .props
            .text("config.files.vmPathName")
            .ok_or_else(|| Error::internal(VIR_FROM_ESX, "Missing 'config.files.vmPathName' property"))?;
        let text = self.download(&vmx_path, None)?;
        Ok((vm, vmx_path, text))
    }

    /// The VMX file of a domain, as its datastore holds it.
    pub fn domain_vmx(&self, dom: &DomainRef) -> Result<String> {
        Ok(self.fetch_vmx(dom)?.2)
    }

    /// virDomainGetXMLDesc: the VMX file converted to domain XML.
    pub(super) fn xml_desc(&self, dom: &DomainRef, flags: u32) -> Result<String> {
        let known = VIR_DOMAIN_XML_SECURE | VIR_DOMAIN_XML_INACTIVE;
        if flags & !known != 0 {
            return Err(Error::bad_flags(VIR_FROM_ESX, "esxDomainGetXMLDesc", flags));
        }
        let (vm, vmx_path, vmx_text) = self.fetch_vmx(dom)?;
        let (ds, file) = split_datastore_path(&vmx_path)?;
        let datastores = self.datastores()?;
        let vmx_dir = match file.rsplit_once('/') {
            Some((dir, _)) => format!("[{ds}] {dir}"),
            None => format!("[{ds}]"),
        };
        let parse_name = |name: &str, allow_missing: bool| -> Result<Option<String>> {
            map_vmx_file_name(&datastores, &vmx_dir, name, allow_missing)
        };
        let ctx = vmx::Context {
            parse_file_name: Some(&parse_name),
            format_file_name: None,
            autodetect_scsi_model: None,
            datacenter_path: Some(&self.placement.datacenter_path),
        };
        let def = vmx::parse_config(&ctx, &vmx_text)?;
        let opts = FormatOptions {
            id: (vm.power == Power::On && flags & VIR_DOMAIN_XML_INACTIVE == 0).then(|| vm.number()),
            secure: flags & VIR_DOMAIN_XML_SECURE != 0,
            inactive: flags & VIR_DOMAIN_XML_INACTIVE != 0,
            ..FormatOptions::default()
        };
        Ok(domain::format(&def, &opts))
    }

    /// The SCSI controller model a disk image was made for, from the
    /// `ddb.adapterType` of its descriptor on the datastore.
    fn scsi_model_of(&self, disk: &crate::domain::devices::Disk) -> Result<String> {
        let source = disk.source.path.clone().unwrap_or_default();
        let fail = || {
            Error::internal(
                VIR_FROM_ESX,
                format!("Could not autodetect SCSI controller model for disk '{source}'"),
            )
        };
        if !source.starts_with('[') {
            return Err(fail());
        }
        let descriptor = self.download(&source, Some(64 * 1024)).map_err(|_| fail())?;
        adapter_model(&descriptor).map(str::to_string).ok_or_else(fail)
    }

    /// A definition as this host's VMX: datastore paths as VMFS paths, the
    /// server's default hardware version, SCSI models from disk descriptors.
    fn to_vmx(&self, def: &DomainDef) -> Result<String> {
        let format_name = |source: &str| vmx::offline::format_file_name(source);
        let autodetect = |disk: &crate::domain::devices::Disk| self.scsi_model_of(disk);
        let ctx = vmx::Context {
            parse_file_name: None,
            format_file_name: Some(&format_name),
            autodetect_scsi_model: Some(&autodetect),
            datacenter_path: Some(&self.placement.datacenter_path),
        };
        let hw = default_hw_version(&self.session.content.about.version);
        vmx::format_config(&ctx, def, hw)
    }

    /// virConnectDomainXMLFromNative: a VMX text as (inactive) domain XML,
    /// its file names mapped through this host's datastores.
    pub(super) fn xml_from_native(&self, format: &str, config: &str, flags: u32) -> Result<String> {
        check_native(format, flags, "esxConnectDomainXMLFromNative")?;
        let datastores = self.datastores()?;
        let parse_name = |name: &str, allow_missing: bool| -> Result<Option<String>> {
            map_vmx_file_name(&datastores, "", name, allow_missing)
        };
        let ctx = vmx::Context {
            parse_file_name: Some(&parse_name),
            format_file_name: None,
            autodetect_scsi_model: None,
            datacenter_path: Some(&self.placement.datacenter_path),
        };
        let def = vmx::parse_config(&ctx, config)?;
        let opts = FormatOptions {
            inactive: true,
            ..FormatOptions::default()
        };
        Ok(domain::format(&def, &opts))
    }

    /// virConnectDomainXMLToNative: domain XML as the VMX this host would get.
    pub(super) fn xml_to_native(&self, format: &str, xml: &str, flags: u32) -> Result<String> {
        check_native(format, flags, "esxConnectDomainXMLToNative")?;
        let def = domain::parse(
            xml,
            &ParseOptions {
                profile: &Profile::VMWARE,
                inactive: true,
            },
        )?;
        self.to_vmx(&def)
    }

    /// virDomainDefineXML: converts, uploads the VMX file and registers the VM.
    pub(super) fn define(&self, xml: &str, flags: u32) -> Result<DomainRef> {
        if flags != 0 {
            return Err(Error::bad_flags(VIR_FROM_ESX, "esxDomainDefineXMLFlags", flags));
        }
        let def = domain::parse(
            xml,
            &ParseOptions {
                profile: &Profile::VMWARE,
                inactive: true,
            },
        )?;
        let vms = self.vms(&[])?;
        if vms.iter().any(|vm| vm.uuid == def.uuid) {
            return Err(Error::with(
                VIR_FROM_ESX,
                VIR_ERR_OPERATION_INVALID,
                "Domain already exists, editing existing domains is not supported yet",
            ));
        }
        if vms.iter().any(|vm| vm.name == def.name) {
            return Err(Error::with(
                VIR_FROM_ESX,
                VIR_ERR_OPERATION_INVALID,
                format!("Domain with name '{}' already exists", def.name),
            ));
        }
        // The VMX file goes beside the first file-based hard disk.
        let disk_path = def
            .devices
            .disks
            .iter()
            .filter(|d| d.device == "disk" && d.source.kind == "file")
            .find_map(|d| d.source.path.clone())
            .filter(|p| p.starts_with('['))
            .ok_or_else(|| {
                Error::internal(
                    VIR_FROM_ESX,
                    "Domain XML doesn't contain any file-based harddisks, cannot deduce datastore and path for VMX file",
                )
            })?;
        let (ds, disk_file) = split_datastore_path(&disk_path)?;
        let datastores = self.datastores()?;
        if !datastores.iter().any(|d| d.name == ds) {
            return Err(Error::internal(
                VIR_FROM_ESX,
                format!("Could not find datastore '{ds}'"),
            ));
        }
        let dir = disk_file.rsplit_once('/').map(|(d, _)| d.to_string());
        let vmx_file = match &dir {
            Some(d) => format!("{d}/{}.vmx", escape_datastore_item(&def.name)),
            None => format!("{}.vmx", escape_datastore_item(&def.name)),
        };
        let vmx_path = format!("[{ds}] {vmx_file}");
        let vmx_text = self.to_vmx(&def)?;
        self.upload(&vmx_path, &vmx_text)?;
        let folder = self
            .placement
            .vm_folder
            .clone()
            .ok_or_else(|| Error::internal(VIR_FROM_ESX, "The datacenter has no VM folder"))?;
        let mut args = format!(
            "{}{}<asTemplate>false</asTemplate>",
            soap::text("path", &vmx_path),
            soap::text("name", &escape_name(&def.name))
        );
        if let Some(pool) = &self.placement.resource_pool {
            args.push_str(&pool.xml("pool"));
        }
        args.push_str(&self.placement.host.xml("host"));
        self.run_task("RegisterVM_Task", &folder, &args, None, "Could not define domain")?;
        let vm = self
            .vms(&[])?
            .into_iter()
            .find(|vm| vm.name == def.name)
            .ok_or_else(|| super::vms::no_name(&def.name))?;
        Ok(vm.domain_ref())
    }

    /// virDomainUndefine: unregisters the VM (its files stay).
    pub(super) fn undefine(&self, dom: &DomainRef, flags: u32) -> Result<()> {
        if flags != 0 {
            return Err(Error::bad_flags(VIR_FROM_ESX, "esxDomainUndefineFlags", flags));
        }
        let vm = self.vm(dom, &[])?;
        if vm.power == Power::On {
            return Err(Error::with(
                VIR_FROM_ESX,
                VIR_ERR_OPERATION_INVALID,
                "Domain is not suspended or powered off",
            ));
        }
        self.session.call("UnregisterVM", &vm.obj, "").map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_map_to_datastores() {
        let ds = vec![
            Datastore {
                name: "datastore1".into(),
                mount: Some("/vmfs/volumes/4b0beca7-7fd401f3-1d7f-000ae484a6a3".into()),
            },
            Datastore {
                name: "nfs".into(),
                mount: None,
            },
        ];
        let map = |name: &str, allow| map_vmx_file_name(&ds, "[datastore1] vm", name, allow);
        assert_eq!(
            map(
                "/vmfs/volumes/4b0beca7-7fd401f3-1d7f-000ae484a6a3/vm/disk.vmdk",
                false
            )
            .unwrap(),
            Some("[datastore1] vm/disk.vmdk".to_string())
        );
        assert_eq!(
            map("/vmfs/volumes/nfs/iso/x.iso", false).unwrap(),
            Some("[nfs] iso/x.iso".to_string())
        );
        assert_eq!(
            map("disk.vmdk", false).unwrap(),
            Some("[datastore1] vm/disk.vmdk".to_string())
        );
        assert_eq!(
            map("sub/disk.vmdk", false).unwrap(),
            Some("[datastore1] vm/sub/disk.vmdk".to_string())
        );
        assert_eq!(map("/dev/cdrom", false).unwrap(), Some("/dev/cdrom".to_string()));
        // A datastore the host lacks: an empty drive, or an error.
        assert_eq!(map("/vmfs/volumes/gone/x.iso", true).unwrap(), None);
        let e = map("/vmfs/volumes/gone/x.vmdk", false).unwrap_err();
        assert!(
            e.message.contains("non-existing datastore 'gone'"),
            "{}",
            e.message
        );
    }

    #[test]
    fn adapter_types() {
        let d = "# Disk DescriptorFile\nversion=1\nddb.adapterType = \"lsilogic\"\nddb.geometry.heads = \"255\"\n";
        assert_eq!(adapter_model(d), Some("lsilogic"));
        assert_eq!(adapter_model("ddb.adapterType=\"buslogic\""), Some("buslogic"));
        assert_eq!(adapter_model("ddb.adapterType = \"legacyESX\""), Some("buslogic"));
        assert_eq!(adapter_model("ddb.adapterType = \"ide\""), None);
        assert_eq!(adapter_model("no descriptor"), None);
    }

    #[test]
    fn datastore_items() {
        assert_eq!(
            escape_datastore_item("Fedora 11 (x86_64), v1.0"),
            "Fedora 11 (x86_64), v1.0"
        );
        assert_eq!(escape_datastore_item("a:b|c"), "a_b_c");
        // '%' becomes %25, and the '%' of that is base64 (JQ).
        assert_eq!(escape_datastore_item("50%"), "50+JQ-25");
        // Base64 of the bytes, without padding, ',' for '/'.
        assert_eq!(escape_datastore_item("ä"), "+w6Q");
        assert_eq!(escape_datastore_item("a/b"), "a+Lw-b");
        assert_eq!(escape_datastore_item("x\u{ff}\u{ff}\u{ff}y"), "x+w7,Dv8O,-y");
    }

    #[test]
    fn helpers() {
        assert_eq!(percent_encode("a b/c%", true), "a%20b/c%25");
        assert_eq!(percent_encode("a/b", false), "a%2Fb");
        assert_eq!(
            split_datastore_path("[ds 1] dir/f.vmx").unwrap(),
            ("ds 1".to_string(), "dir/f.vmx".to_string())
        );
        assert!(split_datastore_path("ds/f").is_err());
        assert!(split_datastore_path("[] f").is_err());
        assert_eq!(default_hw_version("4.1.0"), 7);
        assert_eq!(default_hw_version("6.5.0"), 13);
        assert_eq!(default_hw_version("8.0.2"), 20);
    }
}
