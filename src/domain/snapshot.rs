//! `<domainsnapshot>`: a snapshot's description, as libvirt reads and
//! writes it (the domain it captured is formatted by the domain formatter,
//! one level deeper).

use super::util::*;
use super::{DomainDef, FormatOptions, ParseOptions};
use crate::abi::*;
use crate::error::{Error, Result};
use crate::xml::dom::{self, Element};
use crate::xml::Writer;

/// Snapshot states (`virDomainSnapshotState`), index = value.
pub const STATES: &[&str] = &[
    "nostate",
    "running",
    "blocked",
    "paused",
    "shutdown",
    "shutoff",
    "crashed",
    "pmsuspended",
    "disk-snapshot",
];

/// Snapshot locations (`virDomainSnapshotLocation`) a user may name.
pub const LOCATIONS: &[&str] = &["no", "internal", "external", "manual"];

/// A `<disks><disk>` entry.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SnapshotDisk {
    /// `name`: the disk's target (or source) name.
    pub name: String,
    /// `snapshot`: no, internal, external, manual (None: default).
    pub snapshot: Option<String>,
    /// `type` of the new source (file, block, ...).
    pub source_type: String,
    /// `<source file|dev=...>`.
    pub source: Option<String>,
    /// `<driver type=...>`.
    pub driver_type: Option<String>,
}

/// A snapshot definition.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SnapshotDef {
    /// `<name>`.
    pub name: String,
    /// `<description>`.
    pub description: Option<String>,
    /// `<state>` (one of [`STATES`]).
    pub state: Option<String>,
    /// `<parent><name>`.
    pub parent: Option<String>,
    /// `<creationTime>` (seconds since the epoch).
    pub creation_time: i64,
    /// `<memory snapshot=...>`.
    pub memory: Option<String>,
    /// `<memory file=...>`.
    pub memory_file: Option<String>,
    /// `<disks>`.
    pub disks: Vec<SnapshotDisk>,
    /// `<domain>`: the definition captured.
    pub domain: Option<DomainDef>,
    /// `<inactiveDomain>`: the persistent definition of a running domain.
    pub inactive_domain: Option<DomainDef>,
    /// `<active>` (the current-snapshot marker of libvirt's own files).
    pub active: Option<bool>,
}

/// How to parse a snapshot (`VIR_DOMAIN_SNAPSHOT_PARSE_*`).
#[derive(Debug, Clone)]
pub struct SnapshotParseOptions<'a> {
    /// Parsing of the embedded domain.
    pub domain: ParseOptions<'a>,
    /// `REDEFINE`: the document describes an existing snapshot.
    pub redefine: bool,
    /// `DISKS`: `<disks>` may be given.
    pub disks: bool,
    /// `INTERNAL`: read `<active>`.
    pub internal: bool,
    /// The time to use as creation time and default name (seconds).
    pub now: i64,
}

/// How to format a snapshot.
#[derive(Debug, Clone, Default)]
pub struct SnapshotFormatOptions {
    /// `VIR_DOMAIN_SNAPSHOT_XML_SECURE`.
    pub secure: bool,
    /// Write `<active>` (libvirt's own state files).
    pub internal: bool,
}

fn snap_xml_error(detail: impl AsRef<str>) -> Error {
    Error::with(VIR_FROM_DOMAIN_SNAPSHOT, VIR_ERR_XML_ERROR, detail)
}

fn parse_disk(el: &Element) -> Result<SnapshotDisk> {
    let name = el
        .attr("name")
        .ok_or_else(|| snap_xml_error("missing name from disk snapshot element"))?;
    let snapshot = prop_enum_str(el, "snapshot", LOCATIONS, false)?.map(str::to_string);
    let source_type = prop_enum_str(
        el,
        "type",
        &["file", "block", "dir", "network", "volume", "nvme", "vhostuser"],
        false,
    )?
    .unwrap_or("file");
    if source_type == "volume" || source_type == "dir" {
        return Err(Error::with(
            VIR_FROM_DOMAIN_SNAPSHOT,
            VIR_ERR_XML_ERROR,
            format!("unsupported disk snapshot type '{source_type}'"),
        ));
    }
    let source = el
        .child("source")
        .and_then(|s| s.attr("file").or_else(|| s.attr("dev")))
        .filter(|p| !p.is_empty())
        .map(str::to_string);
    let driver_type = el
        .child("driver")
        .and_then(|d| d.attr("type"))
        .filter(|d| !d.is_empty())
        .map(str::to_string);
    let mut d = SnapshotDisk {
        name: name.to_string(),
        snapshot,
        source_type: source_type.to_string(),
        source,
        driver_type,
    };
    if d.snapshot.is_none() && (d.source.is_some() || d.driver_type.is_some()) {
        d.snapshot = Some("external".into());
    }
    Ok(d)
}

/// Reads a `<domainsnapshot>` document.
pub fn parse_snapshot(xml: &str, opts: &SnapshotParseOptions) -> Result<SnapshotDef> {
    let root = dom::parse(xml).map_err(|e| {
        Error::with(
            VIR_FROM_DOMAIN_SNAPSHOT,
            VIR_ERR_XML_DETAIL,
            e.detail("(domain_snapshot)"),
        )
    })?;
    if root.name != "domainsnapshot" {
        return Err(prop_error(format!(
            "expecting root element of 'domainsnapshot', not '{}'",
            root.name
        )));
    }
    let mut def = SnapshotDef {
        name: child_text_nonempty(&root, "name").unwrap_or_default(),
        description: child_text_nonempty(&root, "description"),
        ..Default::default()
    };
    let mut offline = false;
    if opts.redefine {
        if def.name.is_empty() {
            return Err(snap_xml_error("a redefined snapshot must have a name"));
        }
        def.creation_time = child_text_nonempty(&root, "creationTime")
            .and_then(|t| parse_ll(&t))
            .ok_or_else(|| {
                Error::with(
                    VIR_FROM_DOMAIN_SNAPSHOT,
                    VIR_ERR_INTERNAL_ERROR,
                    "missing creationTime from existing snapshot",
                )
            })?;
        def.parent = root.child("parent").and_then(|p| child_text_nonempty(p, "name"));
        let state = child_text_nonempty(&root, "state")
            .ok_or_else(|| snap_xml_error("missing state from existing snapshot"))?;
        match STATES.iter().position(|s| *s == state) {
            Some(i) if i > 0 => def.state = Some(state.clone()),
            _ => {
                return Err(Error::with(
                    VIR_FROM_DOMAIN_SNAPSHOT,
                    VIR_ERR_CONFIG_UNSUPPORTED,
                    format!("Invalid state '{state}' in domain snapshot XML"),
                ))
            }
        }
        offline = state == "shutoff" || state == "disk-snapshot";
        if let Some(d) = root.child("domain") {
            def.domain = Some(super::parse_element_with_source(
                d.clone(),
                &opts.domain,
                Some((xml, &["domain", "metadata"])),
            )?);
        }
        if let Some(d) = root.child("inactiveDomain") {
            let mut d = d.clone();
            d.name = "domain".into();
            def.inactive_domain = Some(super::parse_element_with_source(
                d,
                &opts.domain,
                Some((xml, &["inactiveDomain", "metadata"])),
            )?);
        }
    } else {
        if def.name.is_empty() {
            def.name = opts.now.to_string();
        }
        def.creation_time = opts.now;
    }
    let mut memory = None;
    if let Some(m) = root.child("memory") {
        memory = prop_enum_str(m, "snapshot", LOCATIONS, false)?.map(str::to_string);
        def.memory_file = m.attr("file").map(str::to_string);
    }
    if let Some(f) = &def.memory_file {
        match memory.as_deref() {
            None => memory = Some("external".into()),
            Some("external") => {}
            Some(_) => {
                return Err(snap_xml_error(format!(
                    "memory filename '{f}' requires external snapshot"
                )))
            }
        }
    } else if memory.as_deref() == Some("external") {
        return Err(snap_xml_error("external memory snapshots require a filename"));
    }
    if offline && memory.as_deref().is_some_and(|m| m != "no") {
        return Err(snap_xml_error(
            "memory state cannot be saved with offline or disk-only snapshot",
        ));
    }
    def.memory = memory;
    if let Some(f) = &def.memory_file {
        if !f.starts_with('/') {
            return Err(snap_xml_error(format!(
                "memory snapshot file path ({f}) must be absolute"
            )));
        }
    }
    let disks: Vec<&Element> = root
        .child("disks")
        .map(|d| d.elements().collect())
        .unwrap_or_default();
    if opts.disks {
        for d in disks {
            def.disks.push(parse_disk(d)?);
        }
    } else if !disks.is_empty() {
        return Err(Error::with(
            VIR_FROM_DOMAIN_SNAPSHOT,
            VIR_ERR_ARGUMENT_UNSUPPORTED,
            "unable to handle disk requests in snapshot",
        ));
    }
    if opts.internal {
        let active = child_text_nonempty(&root, "active")
            .and_then(|a| parse_i(&a))
            .ok_or_else(|| snap_xml_error("Could not find 'active' element"))?;
        def.active = Some(active != 0);
    }
    Ok(def)
}

/// A disk of the snapshotted domain, as [`align_disks`] needs it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DomainDiskInfo {
    /// Target name (`vda`).
    pub target: String,
    /// Source path, for matching requests that name it.
    pub source: Option<String>,
    /// The disk's own `snapshot` attribute.
    pub snapshot: Option<String>,
    /// Read-only or without media: not snapshotted by default.
    pub skip: bool,
}

/// `virDomainSnapshotAlignDisks`: matches the requested disks with the
/// domain's, fills in the rest with `default_location`, and (when
/// `uniform_internal`) insists every disk use it.
pub fn align_disks(
    def: &mut SnapshotDef,
    domain_disks: &[DomainDiskInfo],
    default_location: &str,
    uniform_internal: bool,
) -> Result<()> {
    let unsupported = |d: String| Error::with(VIR_FROM_DOMAIN_SNAPSHOT, VIR_ERR_CONFIG_UNSUPPORTED, d);
    if def.disks.len() > domain_disks.len() {
        return Err(unsupported("too many disk snapshot requests for domain".into()));
    }
    let mut taken = vec![false; domain_disks.len()];
    let mut indexed: Vec<(usize, SnapshotDisk)> = Vec::new();
    for mut d in std::mem::take(&mut def.disks) {
        let idx = domain_disks
            .iter()
            .position(|x| x.target == d.name || x.source.as_deref() == Some(d.name.as_str()))
            .ok_or_else(|| unsupported(format!("no disk named '{}'", d.name)))?;
        if taken[idx] {
            return Err(unsupported(format!("disk '{}' specified twice", d.name)));
        }
        taken[idx] = true;
        let dom = &domain_disks[idx];
        d.name = dom.target.clone();
        match &d.snapshot {
            None => {
                d.snapshot = Some(match &dom.snapshot {
                    Some(s) if !uniform_internal || s == "internal" => s.clone(),
                    _ => default_location.to_string(),
                })
            }
            Some(s) if uniform_internal && s != default_location => {
                return Err(unsupported(format!(
                    "disk '{}' must use snapshot mode '{default_location}'",
                    d.name
                )))
            }
            _ => {}
        }
        if d.source.is_some() && d.snapshot.as_deref() != Some("external") {
            return Err(unsupported(format!(
                "file '{}' for disk '{}' requires use of external snapshot mode",
                d.source.as_deref().unwrap_or_default(),
                d.name
            )));
        }
        indexed.push((idx, d));
    }
    for (idx, dom) in domain_disks.iter().enumerate() {
        if taken[idx] {
            continue;
        }
        let snapshot = match &dom.snapshot {
            Some(s) => s.clone(),
            None if dom.skip => "no".into(),
            None => default_location.to_string(),
        };
        indexed.push((
            idx,
            SnapshotDisk {
                name: dom.target.clone(),
                snapshot: Some(snapshot),
                source_type: "file".into(),
                ..Default::default()
            },
        ));
    }
    indexed.sort_by_key(|(i, _)| *i);
    def.disks = indexed.into_iter().map(|(_, d)| d).collect();
    Ok(())
}

/// Writes a snapshot as libvirt formats it.
pub fn format_snapshot(def: &SnapshotDef, opts: &SnapshotFormatOptions) -> String {
    let mut w = Writer::new();
    w.open("domainsnapshot", &[]);
    w.text("name", &[], &def.name);
    if let Some(d) = &def.description {
        w.text("description", &[], d);
    }
    if let Some(s) = &def.state {
        w.text("state", &[], s);
    }
    if let Some(p) = &def.parent {
        w.open("parent", &[]);
        w.text("name", &[], p);
        w.close("parent");
    }
    if def.creation_time != 0 {
        w.text("creationTime", &[], &def.creation_time.to_string());
    }
    if let Some(m) = &def.memory {
        let mut a = vec![("snapshot", m.as_str())];
        if let Some(f) = &def.memory_file {
            a.push(("file", f));
        }
        w.empty("memory", &a);
    }
    if !def.disks.is_empty() {
        w.open("disks", &[]);
        for d in &def.disks {
            let mut a = vec![("name", d.name.as_str())];
            if let Some(s) = &d.snapshot {
                a.push(("snapshot", s));
            }
            if d.source.is_none() && d.driver_type.is_none() {
                w.empty("disk", &a);
                continue;
            }
            a.push(("type", &d.source_type));
            w.open("disk", &a);
            if let Some(t) = &d.driver_type {
                w.empty("driver", &[("type", t)]);
            }
            match &d.source {
                Some(p) => {
                    let attr = if d.source_type == "block" { "dev" } else { "file" };
                    w.empty("source", &[(attr, p)]);
                }
                None => w.empty("source", &[]),
            }
            w.close("disk");
        }
        w.close("disks");
    }
    let fopts = FormatOptions {
        secure: opts.secure,
        ..Default::default()
    };
    if let Some(d) = &def.domain {
        super::format_into(d, &fopts, &mut w, 1, "domain");
    }
    if let Some(d) = &def.inactive_domain {
        super::format_into(d, &fopts, &mut w, 1, "inactiveDomain");
    }
    if opts.internal {
        w.text("active", &[], if def.active == Some(true) { "1" } else { "0" });
    }
    w.close("domainsnapshot");
    w.finish()
}
