//! Volume XML (`<volume>`).

use crate::abi::*;
use crate::domain::util::{parse_ullp, prop_error, scale_integer};
use crate::error::{Error, Result};
use crate::xml::dom::{self, Element};
use crate::xml::Writer;

use super::{xml_error, Permissions, VolFormats};

/// Volume types, in libvirt's order.
const VOL_TYPES: &[&str] = &["file", "block", "dir", "network", "netdir", "ploop"];

/// The partition types a disk pool's volume may have.
const DISK_FORMATS: &[&str] = &[
    "none",
    "linux",
    "fat16",
    "fat32",
    "linux-swap",
    "linux-lvm",
    "linux-raid",
    "extended",
];

/// The formats a file volume may have (libvirt's file format names).
const FILE_FORMATS: &[&str] = &[
    "none", "raw", "dir", "bochs", "cloop", "dmg", "iso", "vpc", "vdi", "fat", "vhd", "ploop", "cow", "qcow",
    "qcow2", "qed", "vmdk",
];

/// `<backingStore>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BackingStore {
    /// Path of the backing volume.
    pub path: String,
    /// Its format.
    pub format: Option<String>,
    /// Its permissions.
    pub perms: Permissions,
}

/// A volume definition.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VolumeDef {
    /// `type` ("file" when absent).
    pub vol_type: String,
    /// Name.
    pub name: String,
    /// Key (the driver sets it).
    pub key: Option<String>,
    /// Size in bytes.
    pub capacity: u64,
    /// Bytes allocated (the capacity when absent).
    pub allocation: u64,
    /// `<target><path>` (the driver sets it).
    pub target_path: Option<String>,
    /// `<target><format type>`.
    pub format: Option<String>,
    /// `<target><permissions>`.
    pub perms: Permissions,
    /// `<backingStore>`.
    pub backing: Option<BackingStore>,
}

/// `<capacity>`/`<allocation>` in bytes, with its `unit`.  libvirt calls a
/// bad number of either a "malformed capacity element".
fn read_size(el: &Element) -> Result<u64> {
    let value = parse_ullp(el.text().trim()).ok_or_else(|| xml_error("malformed capacity element"))?;
    scale_integer(value, el.attr("unit"), 1, u64::MAX)
}

fn read_format(el: &Element, formats: VolFormats) -> Result<Option<String>> {
    let known = match formats {
        VolFormats::File => FILE_FORMATS,
        VolFormats::Disk => DISK_FORMATS,
        VolFormats::Nothing => return Ok(None),
    };
    let Some(t) = el.child("format").and_then(|f| f.attr("type")) else {
        return Ok(None);
    };
    if !known.contains(&t) {
        return Err(Error::with(
            VIR_FROM_STORAGE,
            VIR_ERR_CONFIG_UNSUPPORTED,
            format!("unknown volume format type {t}"),
        ));
    }
    Ok(Some(t.to_string()))
}

impl VolumeDef {
    /// Parses a volume document for a pool whose volumes take `formats`,
    /// with libvirt's checks and messages.
    pub fn parse(xml: &str, formats: VolFormats) -> Result<VolumeDef> {
        let root = dom::parse(xml).map_err(|e| {
            Error::with(
                VIR_FROM_STORAGE,
                VIR_ERR_XML_DETAIL,
                e.detail("(storage_volume_definition)"),
            )
        })?;
        Self::from_element(&root, formats)
    }

    /// Reads a parsed `<volume>` element.
    pub fn from_element(root: &Element, formats: VolFormats) -> Result<VolumeDef> {
        if root.name != "volume" {
            return Err(prop_error(format!(
                "expecting root element of 'volume', not '{}'",
                root.name
            )));
        }
        let vol_type = match root.attr("type") {
            None => "file",
            Some(t) => VOL_TYPES.iter().find(|x| **x == t).copied().ok_or_else(|| {
                Error::with(
                    VIR_FROM_STORAGE,
                    VIR_ERR_CONFIG_UNSUPPORTED,
                    format!("unknown volume type '{t}'"),
                )
            })?,
        };
        let name = root
            .child_text("name")
            .filter(|n| !n.is_empty())
            .ok_or_else(|| xml_error("missing volume name element"))?;
        let capacity = match root.child("capacity") {
            Some(c) => read_size(c)?,
            None => return Err(xml_error("missing capacity element")),
        };
        let allocation = match root.child("allocation") {
            Some(a) => read_size(a)?,
            None => capacity,
        };
        let mut def = VolumeDef {
            vol_type: vol_type.to_string(),
            name,
            key: root.child_text("key").filter(|k| !k.is_empty()),
            capacity,
            allocation,
            ..VolumeDef::default()
        };
        if let Some(t) = root.child("target") {
            def.target_path = t.child_text("path").filter(|p| !p.is_empty());
            def.format = read_format(t, formats)?;
            if let Some(p) = t.child("permissions") {
                def.perms = Permissions::parse(p, "volume")?;
            }
        }
        if let Some(b) = root.child("backingStore") {
            let path = b
                .child_text("path")
                .filter(|p| !p.is_empty())
                .ok_or_else(|| xml_error("missing volume backingStore path"))?;
            let perms = match b.child("permissions") {
                Some(p) => Permissions::parse(p, "volume")?,
                None => Permissions::default(),
            };
            def.backing = Some(BackingStore {
                path,
                format: read_format(b, formats)?,
                perms,
            });
        }
        if def.format.is_none() {
            def.format = match formats {
                VolFormats::File => Some("raw".into()),
                VolFormats::Disk => Some("none".into()),
                VolFormats::Nothing => None,
            };
        }
        Ok(def)
    }

    /// The document as libvirt's formatter writes it.
    pub fn to_xml(&self) -> String {
        let mut w = Writer::new();
        w.open("volume", &[("type", &self.vol_type)]);
        w.text("name", &[], &self.name);
        if let Some(k) = &self.key {
            w.text("key", &[], k);
        }
        w.text("capacity", &[("unit", "bytes")], &self.capacity.to_string());
        w.text("allocation", &[("unit", "bytes")], &self.allocation.to_string());
        w.open("target", &[]);
        if let Some(p) = &self.target_path {
            w.text("path", &[], p);
        }
        if let Some(f) = &self.format {
            w.empty("format", &[("type", f)]);
        }
        self.perms.write(&mut w);
        w.close("target");
        if let Some(b) = &self.backing {
            w.open("backingStore", &[]);
            w.text("path", &[], &b.path);
            if let Some(f) = &b.format {
                w.empty("format", &[("type", f)]);
            }
            b.perms.write(&mut w);
            w.close("backingStore");
        }
        w.close("volume");
        w.finish()
    }
}
