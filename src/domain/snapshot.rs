//! `<domainsnapshot>`: a snapshot's description, as libvirt reads and
//! writes it (the domain it captured is formatted by the domain formatter,
//! one level deeper), and what libvirt's test driver does to complete a new
//! snapshot ([`complete_new`]) or to accept a redefined one
//! ([`super::moment::check_parent`], [`check_redefine`]), and the schema check of
//! `VIR_DOMAIN_SNAPSHOT_CREATE_VALIDATE` ([`validate_schema`]).
//!
//! The one look at the host: libvirt names the new image of an external
//! disk snapshot after the disk's current image only when that is a regular
//! file, which it finds out with stat(2) (relative paths from the process's
//! working directory), and so do [`complete_new`] and [`check_redefine`].

use std::collections::HashMap;

use super::checkpoint::{
    element_children, has_attrs, is_xmlns, local, plausible_domain, text_only, token_is, valid_abs_path,
    valid_target,
};
use super::devices::disk::{self, Disk, DiskSource, FORMATS};
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
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotDisk {
    /// `name`: the disk's target (or, as requested, its source path).
    pub name: String,
    /// `snapshot`: no, internal, external, manual (None: default).
    pub snapshot: Option<String>,
    /// The new image of an external snapshot; its `kind` is the `type`
    /// attribute (file unless given).
    pub source: DiskSource,
    /// `<driver type=...>`: the new image's format.
    pub driver_type: Option<String>,
}

impl SnapshotDisk {
    /// An entry for disk `name` with no new image.
    pub fn new(name: &str, snapshot: Option<&str>) -> SnapshotDisk {
        SnapshotDisk {
            name: name.to_string(),
            snapshot: snapshot.map(str::to_string),
            source: DiskSource {
                kind: "file".into(),
                ..Default::default()
            },
            driver_type: None,
        }
    }

    /// The new image's path, as libvirt sees it (see [`storage_path`]).
    pub fn path(&self) -> Option<&str> {
        storage_path(&self.source)
    }
}

/// What libvirt calls a storage source's path: the file, device or
/// directory of local storage, and a network disk's image name (without
/// the pool or volume of rbd and gluster); nothing for the other kinds.
pub fn storage_path(src: &DiskSource) -> Option<&str> {
    match src.kind.as_str() {
        "file" | "block" | "dir" => src.path.as_deref(),
        "network" => {
            let name = src.name.as_deref()?;
            match src.protocol.as_deref() {
                Some("rbd") | Some("gluster") => name.split_once('/').map(|(_, image)| image),
                _ => Some(name),
            }
        }
        _ => None,
    }
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

fn parse_disk(el: &Element, domain_opts: &ParseOptions) -> Result<SnapshotDisk> {
    let name = el.attr("name").ok_or_else(|| {
        Error::with(
            VIR_FROM_DOMAIN_SNAPSHOT,
            VIR_ERR_INTERNAL_ERROR,
            "missing name from disk snapshot element",
        )
    })?;
    let snapshot = prop_enum_str(el, "snapshot", LOCATIONS, false)?.map(str::to_string);
    let kind = prop_enum_str(
        el,
        "type",
        &["file", "block", "dir", "network", "volume", "nvme", "vhostuser"],
        false,
    )?
    .unwrap_or("file");
    if kind == "volume" || kind == "dir" {
        return Err(snap_xml_error(format!("unsupported disk snapshot type '{kind}'")));
    }
    // The snapshot's new image is read as a plain storage source: what only
    // a domain's disk has (the startup policy, nbd reconnection, iscsi's
    // implied LUN) is not taken.
    let mut source_el = el.child("source").cloned();
    if let Some(s) = &mut source_el {
        s.attrs.retain(|(k, _)| k != "startupPolicy");
    }
    let mut source = disk::parse_source(source_el.as_ref(), kind, domain_opts.inactive)?;
    source.reconnect = None;
    if source.protocol.as_deref() == Some("iscsi") {
        source.name = source_el
            .as_ref()
            .and_then(|s| s.attr("name"))
            .filter(|n| !n.is_empty())
            .map(str::to_string);
    }
    let driver_type = match el
        .child("driver")
        .and_then(|d| d.attr("type"))
        .filter(|t| !t.is_empty())
    {
        None => None,
        Some(t) if FORMATS[1..].contains(&t) => Some(t.to_string()),
        Some(t) => {
            return Err(Error::with(
                VIR_FROM_DOMAIN_SNAPSHOT,
                VIR_ERR_CONFIG_UNSUPPORTED,
                format!("unknown disk snapshot driver '{t}'"),
            ))
        }
    };
    let mut d = SnapshotDisk {
        name: name.to_string(),
        snapshot,
        source,
        driver_type,
    };
    if d.snapshot.is_none() && (d.path().is_some() || d.driver_type.is_some()) {
        d.snapshot = Some("external".into());
    }
    Ok(d)
}

/// The schema libvirt names in its validation errors.
pub const SCHEMA: &str = "/usr/share/libvirt/schemas/domainsnapshot.rng";

/// The groups of the schema's interleave, in the order libxml2 checks them.
const MEMBERS: &[&str] = &[
    "name",
    "description",
    "state",
    "creationTime",
    "memory",
    "disks",
    "active",
    "domain",
    "inactiveDomain",
    "parent",
    "cookie",
];

/// Attributes other than namespace declarations, or None when one of them
/// is not among `allowed`.
fn attrs_among<'a>(el: &'a Element, allowed: &[&str]) -> Option<HashMap<&'a str, &'a str>> {
    let mut out = HashMap::new();
    for (k, v) in &el.attrs {
        if is_xmlns(k) {
            continue;
        }
        if !allowed.contains(&k.as_str()) {
            return None;
        }
        out.insert(k.as_str(), v.as_str());
    }
    Some(out)
}

/// `<memory>`: `snapshot` no or internal alone, or a `file` (external).
fn valid_memory(el: &Element) -> bool {
    let Some(a) = attrs_among(el, &["snapshot", "file"]) else {
        return false;
    };
    if element_children(el).is_none_or(|c| !c.is_empty()) {
        return false;
    }
    match (a.get("snapshot"), a.get("file")) {
        (Some(s), None) => token_is(s, "no") || token_is(s, "internal"),
        (s, Some(f)) => valid_abs_path(f) && s.is_none_or(|s| token_is(s, "external")),
        (None, None) => false,
    }
}

/// A `<source>` of a new file or block image (`attr` names the path).
fn valid_local_source(el: &Element, attr: &str, required: bool) -> bool {
    match attrs_among(el, &[attr, "index"]) {
        Some(a) => match a.get(attr) {
            Some(p) => valid_abs_path(p),
            None => !required,
        },
        None => false,
    }
}

/// `<driver>` of a new image: only a backing-capable format.
fn valid_snapshot_driver(el: &Element) -> bool {
    const BACKING: &[&str] = &["cow", "qcow", "qcow2", "qed", "vmdk"];
    match attrs_among(el, &["type"]) {
        Some(a) => {
            a.get("type")
                .is_none_or(|t| BACKING.iter().any(|b| token_is(t, b)))
                && element_children(el).is_some_and(|c| c.iter().all(|x| x.name == "metadata_cache"))
        }
        None => false,
    }
}

/// One `<disks><disk>`.  The contents of a new image's `<source>` (labels,
/// encryption, network hosts) are not judged.
fn valid_snapshot_disk(el: &Element) -> bool {
    if el.name != "disk" {
        return false;
    }
    let (Some(a), Some(children)) = (
        attrs_among(el, &["name", "snapshot", "type"]),
        element_children(el),
    ) else {
        return false;
    };
    if !a
        .get("name")
        .is_some_and(|n| valid_target(n) || valid_abs_path(n))
    {
        return false;
    }
    let mode = a.get("snapshot").copied();
    if mode.is_some_and(|m| ["no", "internal", "manual"].iter().any(|x| token_is(m, x))) {
        return !a.contains_key("type") && children.is_empty();
    }
    if mode.is_some_and(|m| !token_is(m, "external")) {
        return false;
    }
    let count = |name: &str| children.iter().filter(|c| c.name == name).count();
    if children.iter().any(|c| c.name != "source" && c.name != "driver")
        || count("source") > 1
        || count("driver") > 1
    {
        return false;
    }
    let source = children.iter().find(|c| c.name == "source");
    let driver_ok = children
        .iter()
        .filter(|c| c.name == "driver")
        .all(|d| valid_snapshot_driver(d));
    let kind = a.get("type").copied().unwrap_or("file");
    if token_is(kind, "file") {
        driver_ok && source.is_none_or(|s| valid_local_source(s, "file", false))
    } else if token_is(kind, "block") {
        driver_ok && source.is_none_or(|s| valid_local_source(s, "dev", true))
    } else if token_is(kind, "network") {
        driver_ok && source.is_some_and(|s| s.attr("protocol").is_some())
    } else {
        false
    }
}

/// The schema's `UUID`: 32 hex digits, bare or grouped 8-4-4-4-12.
fn schema_uuid(s: &str) -> bool {
    let hex = |p: &str, n: usize| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit());
    let parts: Vec<&str> = s.split('-').collect();
    match parts.as_slice() {
        [all] => hex(all, 32),
        [a, b, c, d, e] => hex(a, 8) && hex(b, 4) && hex(c, 4) && hex(d, 4) && hex(e, 12),
        _ => false,
    }
}

/// A top-level element of the schema's interleave, judged on its own.
fn valid_snapshot_member(el: &Element) -> bool {
    const STATES_ALLOWED: &[&str] = &[
        "running",
        "blocked",
        "paused",
        "shutdown",
        "shutoff",
        "crashed",
        "disk-snapshot",
    ];
    match el.name.as_str() {
        "name" | "description" | "creationTime" => text_only(el).is_some(),
        "state" => text_only(el).is_some_and(|t| STATES_ALLOWED.iter().any(|s| token_is(&t, s))),
        "memory" => valid_memory(el),
        "disks" => {
            !has_attrs(el) && element_children(el).is_some_and(|c| c.iter().all(|d| valid_snapshot_disk(d)))
        }
        "active" => text_only(el).is_some_and(|t| token_is(&t, "0") || token_is(&t, "1")),
        "domain" => {
            let uuid_only = !has_attrs(el)
                && element_children(el).is_some_and(|c| {
                    c.len() == 1 && c[0].name == "uuid" && text_only(c[0]).is_some_and(|t| schema_uuid(&t))
                });
            uuid_only || plausible_domain(el)
        }
        "inactiveDomain" => plausible_domain(el),
        "parent" => {
            !has_attrs(el)
                && element_children(el)
                    .is_some_and(|c| c.len() == 1 && c[0].name == "name" && text_only(c[0]).is_some())
        }
        "cookie" => !has_attrs(el) && element_children(el).is_some(),
        _ => false,
    }
}

/// What `VIR_DOMAIN_SNAPSHOT_CREATE_VALIDATE` adds: validation against
/// libvirt's snapshot schema, reported as libxml2 reports the first
/// problem.  Documents that [`parse_snapshot`] refuses before validating
/// (malformed, or another root element) pass here; call it first, then
/// parse.  The embedded domain is judged only by its hypervisor type and
/// name (the domain schema is not reproduced), and the new images' sources
/// only by their paths.
pub fn validate_schema(xml: &str) -> Result<()> {
    let Ok(root) = dom::parse(xml) else {
        return Ok(());
    };
    if local(&root.name) != "domainsnapshot" {
        return Ok(());
    }
    let fail = |problem: String| {
        Err(Error::with(
            VIR_FROM_XML,
            VIR_ERR_XML_INVALID_SCHEMA,
            format!("Unable to validate doc against {SCHEMA}\n{problem}\n"),
        ))
    };
    match super::checkpoint::interleave_problem(&root, MEMBERS, valid_snapshot_member) {
        Some(problem) => fail(problem),
        None => Ok(()),
    }
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
        if memory.as_deref() == Some("manual") {
            return Err(snap_xml_error("'manual' memory snapshot mode not supported"));
        }
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
    // A redefined snapshot without <memory> saved its memory when the
    // domain was running; a new one's is settled by complete_new.
    if memory.is_none() && opts.redefine {
        memory = Some(if offline { "no" } else { "internal" }.into());
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
            def.disks.push(parse_disk(d, &opts.domain)?);
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
            .ok_or_else(|| Error::internal(VIR_FROM_DOMAIN_SNAPSHOT, "Could not find 'active' element"))?;
        def.active = Some(active != 0);
    }
    Ok(def)
}

fn unsupported(detail: String) -> Error {
    Error::with(VIR_FROM_DOMAIN_SNAPSHOT, VIR_ERR_CONFIG_UNSUPPORTED, detail)
}

/// libvirt's "empty" disk (no medium): local storage without a path, or a
/// network disk without a protocol.
fn disk_is_empty(disk: &Disk) -> bool {
    match disk.kind() {
        "file" | "block" | "dir" => disk.path().is_none(),
        "network" => disk.source.protocol.is_none(),
        _ => false,
    }
}

/// The disk's own snapshot mode: its `snapshot` attribute, and for a
/// read-only disk (every cdrom is one) "no" when it has none.
fn disk_mode(disk: &Disk) -> Option<&str> {
    disk.snapshot.as_deref().or(disk.readonly.then_some("no"))
}

/// Settles the mode of a requested disk whose domain disk has mode `attr`:
/// unnamed, it takes the disk's own mode (under `uniform` only "no" or the
/// default itself) or else the default; named, under `uniform` it must be
/// the default (or "no" on a disk that is "no" anyway).  A new image can
/// only come with an external snapshot.
fn resolve_requested(d: &mut SnapshotDisk, attr: Option<&str>, default: &str, uniform: bool) -> Result<()> {
    match d.snapshot.as_deref() {
        None => {
            let mode = match attr {
                Some(a) if !uniform || a == "no" || a == default => a,
                _ => default,
            };
            d.snapshot = Some(mode.to_string());
        }
        Some(m) if uniform && m != default && !(m == "no" && attr == Some("no")) => {
            return Err(unsupported(format!(
                "disk '{}' must use snapshot mode '{default}'",
                d.name
            )));
        }
        Some(_) => {}
    }
    if let Some(p) = d.path() {
        if d.snapshot.as_deref() != Some("external") {
            return Err(unsupported(format!(
                "file '{p}' for disk '{}' requires use of external snapshot mode",
                d.name
            )));
        }
    }
    Ok(())
}

/// `virDomainSnapshotAlignDisks` as libvirt's test driver uses it: every
/// disk of `disks` ends up listed once, in the domain's order, under its
/// target name.  Requested disks are found by target or source path and
/// settled by [`resolve_requested`]; the others get no snapshot when they
/// have no medium, else their own mode, else `default`.  A domain without
/// disks leaves the list alone (it can only be empty by then).
fn align(def: &mut SnapshotDef, disks: &[Disk], default: &str, uniform: bool) -> Result<()> {
    if def.disks.len() > disks.len() {
        return Err(unsupported("too many disk snapshot requests for domain".into()));
    }
    if disks.is_empty() {
        return Ok(());
    }
    let mut slots: Vec<Option<SnapshotDisk>> = vec![None; disks.len()];
    for mut d in std::mem::take(&mut def.disks) {
        let idx = super::checkpoint::find_disk(disks, &d.name)
            .ok_or_else(|| unsupported(format!("no disk named '{}'", d.name)))?;
        if slots[idx].is_some() {
            return Err(unsupported(format!("disk '{}' specified twice", d.name)));
        }
        resolve_requested(&mut d, disk_mode(&disks[idx]), default, uniform)?;
        d.name = disks[idx].target.clone();
        slots[idx] = Some(d);
    }
    def.disks = slots
        .into_iter()
        .zip(disks)
        .map(|(slot, disk)| {
            slot.unwrap_or_else(|| {
                let mode = if disk_is_empty(disk) {
                    "no"
                } else {
                    disk_mode(disk).unwrap_or(default)
                };
                SnapshotDisk::new(&disk.target, Some(mode))
            })
        })
        .collect();
    Ok(())
}

/// The name libvirt gives the new image of an external snapshot `snapshot`
/// of the image at `path`: the path without its file name's extension,
/// then `.` and the snapshot's name.
pub fn external_name(path: &str, snapshot: &str) -> String {
    let file_start = path.rfind('/').map_or(0, |i| i + 1);
    let stem = match path[file_start..].rfind('.') {
        Some(dot) => &path[..file_start + dot],
        None => path,
    };
    format!("{stem}.{snapshot}")
}

fn is_regular_file(path: &str) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file())
}

/// Names the new image of every aligned external disk snapshot that was
/// given none, after the disk's current image (which must be a regular
/// file on the host), refusing a name an earlier disk already uses.
fn assign_external_names(def: &mut SnapshotDef, disks: &[Disk]) -> Result<()> {
    for i in 0..def.disks.len() {
        let d = &def.disks[i];
        if d.snapshot.as_deref() != Some("external") || d.path().is_some() {
            continue;
        }
        if d.source.kind != "file" {
            return Err(unsupported(format!(
                "cannot generate external snapshot name for disk '{}' on a '{}' device",
                d.name, d.source.kind
            )));
        }
        let Some(current) = disks.get(i).and_then(|disk| storage_path(&disk.source)) else {
            return Err(unsupported(format!(
                "cannot generate external snapshot name for disk '{}' without source",
                d.name
            )));
        };
        if !is_regular_file(current) {
            return Err(unsupported(format!(
                "source for disk '{}' is not a regular file; refusing to generate external snapshot name",
                d.name
            )));
        }
        let name = external_name(current, &def.name);
        if let Some(other) = def.disks[..i].iter().find(|o| o.path() == Some(name.as_str())) {
            return Err(unsupported(format!(
                "cannot generate external snapshot name for disk '{}': collision with disk '{}'",
                d.name, other.name
            )));
        }
        def.disks[i].source.path = Some(name);
    }
    Ok(())
}

/// The snapshot state name of a domain state (`virDomainState`).
pub fn state_name(state: i32) -> &'static str {
    usize::try_from(state)
        .ok()
        .and_then(|i| STATES.get(i))
        .copied()
        .unwrap_or("nostate")
}

/// What libvirt's test driver does to a new (not redefined) snapshot of
/// `domain` (its running definition when active), in state `state` (a
/// `virDomainState`), after parsing it: it refuses disks asked for 'manual'
/// snapshots, records the state, saves memory (internally) exactly when
/// the domain runs unless an external memory file was asked for, embeds a
/// copy of the domain, aligns the disks with the domain's (external
/// snapshots only when memory goes external, internal ones otherwise) and
/// names the external images, and takes `parent` (the current snapshot).
///
/// No `VIR_DOMAIN_SNAPSHOT_CREATE_*` flag the test driver accepts changes
/// any of this.  The caller checks the flags and a transient domain's HALT
/// before parsing, and after this the name's uniqueness ("domain moment %s
/// already exists"), before storing the snapshot and making it current.
pub fn complete_new(
    def: &mut SnapshotDef,
    domain: &DomainDef,
    state: i32,
    parent: Option<String>,
) -> Result<()> {
    if def.disks.iter().any(|d| d.snapshot.as_deref() == Some("manual")) {
        return Err(Error::with(
            VIR_FROM_TEST,
            VIR_ERR_OPERATION_UNSUPPORTED,
            "'manual' snapshot mode is not supported by the test driver",
        ));
    }
    def.state = Some(state_name(state).to_string());
    let external = def.memory.as_deref() == Some("external");
    if !external {
        let active = state != VIR_DOMAIN_SHUTOFF;
        def.memory = Some(if active { "internal" } else { "no" }.to_string());
    }
    def.domain = Some(domain.clone());
    let disks = &domain.devices.disks;
    let default = if external { "external" } else { "internal" };
    align(def, disks, default, !external)?;
    assign_external_names(def, disks)?;
    def.parent = parent;
    Ok(())
}

fn offline(state: Option<&str>) -> bool {
    matches!(state, Some("shutoff") | Some("disk-snapshot"))
}

/// What libvirt's test driver checks and fills in on a redefined snapshot
/// of `owner`, after [`super::moment::check_parent`]: the embedded domain must be the
/// owner (by uuid); replacing `existing` (the snapshot of that name, if
/// any) must keep its online/offline and disk-only/full nature, and takes
/// its domain when none is given; then the disks are aligned with the
/// embedded domain's (external snapshots allowed when memory, the state
/// or any requested disk is external, internal ones only otherwise) and
/// the external images named, as for a new snapshot.
pub fn check_redefine(
    def: &mut SnapshotDef,
    owner: &DomainDef,
    existing: Option<&SnapshotDef>,
) -> Result<()> {
    if let Some(d) = &def.domain {
        if d.uuid != owner.uuid {
            return Err(Error::with(
                VIR_FROM_DOMAIN_SNAPSHOT,
                VIR_ERR_INVALID_ARG,
                format!(
                    "definition for snapshot {} must use uuid {}",
                    def.name, owner.uuid
                ),
            ));
        }
    }
    if let Some(old) = existing {
        let change = |what: &str| {
            Error::with(
                VIR_FROM_DOMAIN_SNAPSHOT,
                VIR_ERR_INVALID_ARG,
                format!("cannot change between {what} in snapshot {}", def.name),
            )
        };
        if offline(old.state.as_deref()) != offline(def.state.as_deref()) {
            return Err(change("online and offline snapshot state"));
        }
        let disk_only = |s: &SnapshotDef| s.state.as_deref() == Some("disk-snapshot");
        if disk_only(old) != disk_only(def) {
            return Err(change("disk only and full system"));
        }
        if def.domain.is_none() {
            def.domain = old.domain.clone();
        }
    }
    let Some(domain) = def.domain.take() else {
        return Err(Error::with(
            VIR_FROM_DOMAIN_SNAPSHOT,
            VIR_ERR_INTERNAL_ERROR,
            "missing domain in snapshot",
        ));
    };
    let external = def.memory.as_deref() == Some("external")
        || def.state.as_deref() == Some("disk-snapshot")
        || def
            .disks
            .iter()
            .any(|d| d.snapshot.as_deref() == Some("external"));
    let default = if external { "external" } else { "internal" };
    let disks = &domain.devices.disks;
    let result = align(def, disks, default, !external).and_then(|_| assign_external_names(def, disks));
    def.domain = Some(domain);
    result
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
            if d.path().is_none() && d.driver_type.is_none() {
                w.empty("disk", &a);
                continue;
            }
            a.push(("type", &d.source.kind));
            w.open("disk", &a);
            if let Some(t) = &d.driver_type {
                w.empty("driver", &[("type", t)]);
            }
            // libvirt writes the new images without secrets (cookies), even
            // for VIR_DOMAIN_SNAPSHOT_XML_SECURE.
            let source = disk::source_out(&d.source, &FormatOptions::default());
            if !source.is_bare() {
                source.write(&mut w);
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
