//! Pool XML (`<pool type=...>`).

use crate::abi::*;
use crate::domain::util::{missing_attr, prop_enum_str};
use crate::domain::Uuid;
use crate::error::{Error, Result};
use crate::xml::dom::{self, Element};
use crate::xml::Writer;

use super::{clean_path, xml_error, Permissions};

/// Pool types, in libvirt's order (`virStoragePoolType`).
pub const POOL_TYPES: &[&str] = &[
    "dir",
    "fs",
    "netfs",
    "logical",
    "disk",
    "iscsi",
    "iscsi-direct",
    "scsi",
    "mpath",
    "rbd",
    "sheepdog",
    "gluster",
    "zfs",
    "vstorage",
];

/// What a pool type's `<source>` holds and needs.
struct Kind {
    name: &'static str,
    host: bool,
    device: bool,
    dir: bool,
    adapter: bool,
    initiator: bool,
    src_name: bool,
    format: Option<&'static str>,
    target: bool,
}

const fn kind(name: &'static str) -> Kind {
    Kind {
        name,
        host: false,
        device: false,
        dir: false,
        adapter: false,
        initiator: false,
        src_name: false,
        format: None,
        target: true,
    }
}

/// Per type: the source parts libvirt keeps and writes, the format it
/// assumes when none is given, and whether a target path is needed.
const KINDS: &[Kind] = &[
    kind("dir"),
    Kind {
        device: true,
        format: Some("auto"),
        ..kind("fs")
    },
    Kind {
        host: true,
        dir: true,
        format: Some("auto"),
        ..kind("netfs")
    },
    Kind {
        device: true,
        src_name: true,
        format: Some("lvm2"),
        ..kind("logical")
    },
    Kind {
        device: true,
        format: Some("unknown"),
        ..kind("disk")
    },
    Kind {
        host: true,
        device: true,
        initiator: true,
        ..kind("iscsi")
    },
    Kind {
        host: true,
        device: true,
        initiator: true,
        target: false,
        ..kind("iscsi-direct")
    },
    Kind {
        adapter: true,
        ..kind("scsi")
    },
    kind("mpath"),
    Kind {
        host: true,
        src_name: true,
        target: false,
        ..kind("rbd")
    },
    Kind {
        host: true,
        src_name: true,
        target: false,
        ..kind("sheepdog")
    },
    Kind {
        host: true,
        dir: true,
        src_name: true,
        target: false,
        ..kind("gluster")
    },
    Kind {
        device: true,
        src_name: true,
        ..kind("zfs")
    },
    Kind {
        src_name: true,
        ..kind("vstorage")
    },
];

fn kind_of(t: &str) -> &'static Kind {
    KINDS.iter().find(|k| k.name == t).unwrap_or(&KINDS[0])
}

/// A pool's `<source>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PoolSource {
    /// `<host name port>` entries.
    pub hosts: Vec<(String, Option<u32>)>,
    /// `<device path>` entries.
    pub devices: Vec<String>,
    /// `<dir path>`.
    pub dir: Option<String>,
    /// `<adapter name>` (a scsi_host adapter).
    pub adapter: Option<String>,
    /// `<initiator><iqn name>`.
    pub initiator: Option<String>,
    /// `<name>`.
    pub name: Option<String>,
    /// `<format type>`.
    pub format: Option<String>,
    /// `<auth>`: type, username and the secret's (`uuid` or `usage`, value).
    pub auth: Option<SourceAuth>,
}

/// A pool source's `<auth>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SourceAuth {
    /// "chap" or "ceph".
    pub kind: String,
    /// User name.
    pub username: String,
    /// How `<secret>` names the secret: ("uuid" | "usage", value).
    pub secret: Option<(String, String)>,
}

/// Which formats a pool's volumes may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VolFormats {
    /// File formats (raw, qcow2, vmdk, ...), raw by default.
    File,
    /// Partition types of a disk pool, "none" by default.
    Disk,
    /// No format is kept.
    Nothing,
}

/// The volume formats of a pool type.
pub fn volume_formats(pool_type: &str) -> VolFormats {
    match pool_type {
        "dir" | "fs" | "netfs" | "gluster" | "rbd" | "vstorage" => VolFormats::File,
        "disk" => VolFormats::Disk,
        _ => VolFormats::Nothing,
    }
}

/// A pool definition.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PoolDef {
    /// Pool type ("dir", "fs", ...).
    pub pool_type: String,
    /// Name.
    pub name: String,
    /// UUID.
    pub uuid: Uuid,
    /// Size in bytes.
    pub capacity: u64,
    /// Bytes in use.
    pub allocation: u64,
    /// Bytes free.
    pub available: u64,
    /// `<source>`.
    pub source: PoolSource,
    /// `<target><path>`.
    pub target_path: Option<String>,
    /// `<target><permissions>`.
    pub perms: Permissions,
}

impl PoolDef {
    /// Parses a pool document with libvirt's checks and messages.
    pub fn parse(xml: &str) -> Result<PoolDef> {
        let root = dom::parse(xml).map_err(|e| {
            Error::with(
                VIR_FROM_STORAGE,
                VIR_ERR_XML_DETAIL,
                e.detail("(storage_pool_definition)"),
            )
        })?;
        Self::from_element(&root)
    }

    /// Reads a parsed `<pool>` element.
    pub fn from_element(root: &Element) -> Result<PoolDef> {
        if root.name != "pool" {
            return Err(crate::domain::util::prop_error(format!(
                "expecting root element of 'pool', not '{}'",
                root.name
            )));
        }
        let pool_type =
            prop_enum_str(root, "type", POOL_TYPES, true)?.ok_or_else(|| missing_attr(root, "type"))?;
        let k = kind_of(pool_type);
        if root.child_text("name").filter(|n| !n.is_empty()).is_none() {
            return Err(xml_error("missing pool source name element"));
        }
        let name = root.child_text("name").unwrap_or_default();
        if name.contains('/') {
            return Err(xml_error(format!("name {name} cannot contain '/'")));
        }
        let uuid = match root.child_text("uuid").filter(|u| !u.is_empty()) {
            Some(text) => Uuid::parse(&text).ok_or_else(|| xml_error("malformed uuid element"))?,
            None => Uuid::generate(),
        };
        let mut def = PoolDef {
            pool_type: pool_type.to_string(),
            name,
            uuid,
            ..PoolDef::default()
        };
        if let Some(s) = root.child("source") {
            def.source = read_source(s, k)?;
        }
        if k.src_name && def.source.name.is_none() && k.name == "logical" {
            def.source.name = Some(def.name.clone());
        }
        if def.source.format.is_none() {
            def.source.format = k.format.map(str::to_string);
        }
        if k.host && k.name != "iscsi-direct" && def.source.hosts.is_empty() {
            return Err(xml_error("missing storage pool source host name"));
        }
        if k.device && matches!(k.name, "fs" | "disk") && def.source.devices.is_empty() {
            return Err(xml_error("missing storage pool source device name"));
        }
        if k.src_name && def.source.name.is_none() {
            return Err(xml_error("missing storage pool source name"));
        }
        if k.adapter && def.source.adapter.is_none() {
            return Err(xml_error("missing storage pool source adapter"));
        }
        if let Some(t) = root.child("target") {
            def.target_path = t
                .child_text("path")
                .filter(|p| !p.is_empty())
                .map(|p| clean_path(&p));
            if let Some(p) = t.child("permissions") {
                def.perms = Permissions::parse(p, "pool")?;
            }
        }
        if k.name == "zfs" && def.target_path.is_none() {
            def.target_path = def.source.name.as_ref().map(|n| format!("/dev/zvol/{n}"));
        }
        if k.target && def.target_path.is_none() {
            return Err(xml_error("missing storage pool target path"));
        }
        if !k.target {
            def.target_path = None;
        }
        Ok(def)
    }

    /// The document as libvirt's formatter writes it.
    pub fn to_xml(&self) -> String {
        let k = kind_of(&self.pool_type);
        let mut w = Writer::new();
        w.open("pool", &[("type", &self.pool_type)]);
        w.text("name", &[], &self.name);
        w.text("uuid", &[], &self.uuid.to_string());
        for (tag, v) in [
            ("capacity", self.capacity),
            ("allocation", self.allocation),
            ("available", self.available),
        ] {
            w.text(tag, &[("unit", "bytes")], &v.to_string());
        }
        self.write_source(&mut w, k);
        if let Some(p) = &self.target_path {
            w.open("target", &[]);
            w.text("path", &[], p);
            self.perms.write(&mut w);
            w.close("target");
        }
        w.close("pool");
        w.finish()
    }

    fn write_source(&self, w: &mut Writer, k: &Kind) {
        let s = &self.source;
        w.open("source", &[]);
        if k.host {
            for (name, port) in &s.hosts {
                let port = port.map(|p| p.to_string());
                let mut a = vec![("name", name.as_str())];
                if let Some(p) = &port {
                    a.push(("port", p.as_str()));
                }
                w.empty("host", &a);
            }
        }
        if k.device {
            for d in &s.devices {
                w.empty("device", &[("path", d)]);
            }
        }
        if k.dir {
            if let Some(d) = &s.dir {
                w.empty("dir", &[("path", d)]);
            }
        }
        if k.adapter {
            if let Some(a) = &s.adapter {
                w.empty("adapter", &[("type", "scsi_host"), ("name", a)]);
            }
        }
        if k.src_name {
            if let Some(n) = &s.name {
                w.text("name", &[], n);
            }
        }
        if k.initiator {
            if let Some(i) = &s.initiator {
                w.open("initiator", &[]);
                w.empty("iqn", &[("name", i)]);
                w.close("initiator");
            }
        }
        if let Some(a) = s.auth.as_ref().filter(|_| k.host) {
            w.open("auth", &[("type", &a.kind), ("username", &a.username)]);
            if let Some((how, value)) = &a.secret {
                w.empty("secret", &[(how.as_str(), value.as_str())]);
            }
            w.close("auth");
        }
        if let Some(f) = &s.format {
            w.empty("format", &[("type", f)]);
        }
        w.close("source");
    }
}

fn read_source(s: &Element, k: &Kind) -> Result<PoolSource> {
    let mut src = PoolSource::default();
    for h in s.children_named("host") {
        let Some(name) = h.attr("name") else {
            return Err(xml_error("missing storage pool host name"));
        };
        let port = match h.attr("port") {
            None => None,
            Some(p) => Some(
                crate::domain::util::parse_uip(p)
                    .ok_or_else(|| xml_error(format!("Invalid port number: {p}")))?,
            ),
        };
        src.hosts.push((name.to_string(), port));
    }
    src.devices = s
        .children_named("device")
        .filter_map(|d| d.attr("path"))
        .map(str::to_string)
        .collect();
    src.dir = s.child("dir").and_then(|d| d.attr("path")).map(str::to_string);
    src.adapter = s
        .child("adapter")
        .and_then(|a| a.attr("name"))
        .map(str::to_string);
    src.initiator = s
        .child("initiator")
        .and_then(|i| i.child("iqn"))
        .and_then(|i| i.attr("name"))
        .map(str::to_string);
    src.name = s.child_text("name").filter(|n| !n.is_empty());
    src.auth = s.child("auth").map(|a| SourceAuth {
        kind: a.attr("type").unwrap_or_default().to_string(),
        username: a.attr("username").unwrap_or_default().to_string(),
        secret: a.child("secret").and_then(|sec| {
            ["uuid", "usage"]
                .iter()
                .find_map(|how| sec.attr(how).map(|v| (how.to_string(), v.to_string())))
        }),
    });
    if k.format.is_some() {
        src.format = s.child("format").and_then(|f| f.attr("type")).map(str::to_string);
    }
    Ok(src)
}
