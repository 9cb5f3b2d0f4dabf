//! `<domaincheckpoint>`: a checkpoint's description, as libvirt reads and
//! writes it.  Unlike snapshots, libvirt always validates these documents
//! against its RelaxNG schema, so the schema's verdicts (and libxml2's
//! wording of them) are reproduced here for everything but the embedded
//! `<domain>`, which only gets a token check before the domain parser sees
//! it.

use super::devices::Disk;
use super::util::*;
use super::{DomainDef, FormatOptions, ParseOptions};
use crate::abi::*;
use crate::error::{Error, Result};
use crate::xml::dom::{self, Element, Node};
use crate::xml::Writer;

/// Checkpoint kinds (`virDomainCheckpointType`) a document may name.
pub const KINDS: &[&str] = &["no", "bitmap"];

/// The schema libvirt names in its validation errors.
pub const SCHEMA: &str = "/usr/share/libvirt/schemas/domaincheckpoint.rng";

/// A `<disks><disk>` entry.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CheckpointDisk {
    /// `name`: the disk's target (or, as requested, its source path).
    pub name: String,
    /// `checkpoint`: "no" or "bitmap"; None when the document held a value
    /// libvirt could not read (the schema lets `' no'` through), which it
    /// keeps and writes back as `checkpoint='(null)'`.
    pub checkpoint: Option<String>,
    /// `bitmap`: the bitmap's name (kept verbatim, even when empty).
    pub bitmap: Option<String>,
}

/// A checkpoint definition.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CheckpointDef {
    /// `<name>`.
    pub name: String,
    /// `<description>`.
    pub description: Option<String>,
    /// `<parent><name>`.
    pub parent: Option<String>,
    /// `<creationTime>` (seconds since the epoch; 0 is not written).
    pub creation_time: i64,
    /// `<disks>`.
    pub disks: Vec<CheckpointDisk>,
    /// `<domain>`: the definition the checkpoint belongs to.
    pub domain: Option<DomainDef>,
}

/// How to parse a checkpoint (`VIR_DOMAIN_CHECKPOINT_PARSE_*`).
#[derive(Debug, Clone)]
pub struct CheckpointParseOptions<'a> {
    /// Parsing of the embedded domain (read only when redefining).
    pub domain: ParseOptions<'a>,
    /// `REDEFINE`: the document describes an existing checkpoint.
    pub redefine: bool,
    /// The time to use as creation time and default name (seconds).
    pub now: i64,
}

/// How to format a checkpoint (`VIR_DOMAIN_CHECKPOINT_XML_*`; `SIZE` has
/// nothing to add on drivers that keep no bitmap sizes, the test driver
/// among them).
#[derive(Debug, Clone, Default)]
pub struct CheckpointFormatOptions {
    /// `VIR_DOMAIN_CHECKPOINT_XML_SECURE`.
    pub secure: bool,
    /// `VIR_DOMAIN_CHECKPOINT_XML_NO_DOMAIN`.
    pub no_domain: bool,
}

fn checkpoint_error(code: i32, detail: impl AsRef<str>) -> Error {
    Error::with(VIR_FROM_DOMAIN_CHECKPOINT, code, detail)
}

pub(crate) fn local(name: &str) -> &str {
    name.rsplit_once(':').map_or(name, |(_, l)| l)
}

pub(crate) fn is_xmlns(attr: &str) -> bool {
    attr == "xmlns" || attr.starts_with("xmlns:")
}

/// Whether an element sits in an XML namespace of its own (which none of
/// the schema's elements do).
pub(crate) fn namespaced(el: &Element) -> bool {
    el.name.contains(':') || el.attr("xmlns").is_some_and(|u| !u.is_empty())
}

/// The schema's `checkpointName`: `[a-zA-Z0-9_\-][a-zA-Z0-9_\-.]*`.
fn valid_name(s: &str) -> bool {
    let mut chars = s.chars();
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    chars.next().is_some_and(word) && chars.all(|c| word(c) || c == '.')
}

/// The schema's `unsignedLong`: digits only (leading zeros allowed), at
/// most 2^64 - 1.
fn unsigned_long(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match s.trim_start_matches('0') {
        "" => Some(0),
        digits => digits.parse().ok(),
    }
}

/// The schema's `diskTargetDev`: `(ioemu:)?(fd|hd|sd|vd|xvd|ubd)[a-zA-Z0-9_]+`.
pub(crate) fn valid_target(s: &str) -> bool {
    let s = s.strip_prefix("ioemu:").unwrap_or(s);
    ["fd", "hd", "sd", "vd", "xvd", "ubd"].iter().any(|p| {
        s.strip_prefix(p)
            .is_some_and(|r| !r.is_empty() && r.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
    })
}

/// The schema's `absFilePath`: `(/|[a-zA-Z]:\\).+` (`.` is no line end).
pub(crate) fn valid_abs_path(s: &str) -> bool {
    let rest = match s.strip_prefix('/') {
        Some(r) => r,
        None => {
            let b = s.as_bytes();
            if b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && b[2] == b'\\' {
                &s[3..]
            } else {
                return false;
            }
        }
    };
    !rest.is_empty() && !rest.contains(['\n', '\r'])
}

/// A schema `<value>` of the default `token` type: surrounding blanks do
/// not count.
pub(crate) fn token_is(value: &str, want: &str) -> bool {
    value.trim_matches([' ', '\t', '\n', '\r']) == want
}

pub(crate) fn blank(text: &str) -> bool {
    text.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
}

/// Element children, or None when non-blank text sits among them.
pub(crate) fn element_children(el: &Element) -> Option<Vec<&Element>> {
    let mut out = Vec::new();
    for n in &el.children {
        match n {
            Node::Element(c) => out.push(c),
            Node::Text(t) if !blank(t) => return None,
            Node::Text(_) => {}
        }
    }
    Some(out)
}

pub(crate) fn has_attrs(el: &Element) -> bool {
    el.attrs.iter().any(|(k, _)| !is_xmlns(k))
}

/// An element holding only text (a `<data>` or `<text/>` pattern).
pub(crate) fn text_only(el: &Element) -> Option<String> {
    if has_attrs(el) || el.children.iter().any(|n| matches!(n, Node::Element(_))) {
        return None;
    }
    Some(el.text())
}

fn valid_disk(el: &Element) -> bool {
    if el.name != "disk" || element_children(el).is_none_or(|c| !c.is_empty()) {
        return false;
    }
    let mut name = None;
    let (mut checkpoint, mut bitmap, mut size) = (None, false, None);
    for (k, v) in &el.attrs {
        match k.as_str() {
            "name" => name = Some(v.as_str()),
            "checkpoint" => checkpoint = Some(v.as_str()),
            "bitmap" => bitmap = true,
            "size" => size = Some(v.as_str()),
            k if is_xmlns(k) => {}
            _ => return false,
        }
    }
    if !name.is_some_and(|n| valid_target(n) || valid_abs_path(n)) {
        return false;
    }
    match checkpoint {
        Some(c) if token_is(c, "no") => !bitmap && size.is_none(),
        Some(c) if !token_is(c, "bitmap") => false,
        _ => size.is_none_or(|s| unsigned_long(s).is_some()),
    }
}

/// A top-level element of the schema's interleave, judged on its own.
fn valid_member(el: &Element) -> bool {
    match el.name.as_str() {
        "name" => text_only(el).is_some_and(|t| valid_name(&t)),
        "description" => text_only(el).is_some(),
        "creationTime" => text_only(el).is_some_and(|t| unsigned_long(&t).is_some()),
        "disks" => {
            !has_attrs(el)
                && element_children(el).is_some_and(|c| !c.is_empty() && c.iter().all(|d| valid_disk(d)))
        }
        "parent" => {
            !has_attrs(el)
                && element_children(el).is_some_and(|c| {
                    c.len() == 1 && c[0].name == "name" && text_only(c[0]).is_some_and(|t| valid_name(&t))
                })
        }
        "domain" => plausible_domain(el),
        _ => false,
    }
}

/// The domain schema proper is not reproduced: its hypervisor type and
/// name are what every domain needs; the domain parser judges the rest
/// when the domain is read.
pub(crate) fn plausible_domain(el: &Element) -> bool {
    const HVS: &[&str] = &[
        "qemu", "kqemu", "kvm", "xen", "lxc", "uml", "openvz", "test", "vmware", "hyperv", "vbox", "phyp",
        "vz", "bhyve", "hvf",
    ];
    el.attr("type")
        .is_some_and(|t| HVS.iter().any(|h| token_is(t, h)))
        && el.elements().any(|c| c.name == "name")
}

/// The groups of the schema's interleave, in the order libxml2 checks them.
const MEMBERS: &[&str] = &["name", "description", "creationTime", "disks", "domain", "parent"];

/// What libxml2 reports when validating against the checkpoint schema: the
/// first problem only, in its words.
fn schema_problem(root: &Element) -> Option<String> {
    interleave_problem(root, MEMBERS, valid_member)
}

/// libxml2's first complaint about a document element whose schema is an
/// interleave of optional, single `members` (each judged by `valid`), with
/// no attributes: what the snapshot and checkpoint schemas are.
pub(crate) fn interleave_problem(
    root: &Element,
    members: &[&str],
    valid: impl Fn(&Element) -> bool,
) -> Option<String> {
    let root_name = local(&root.name);
    if namespaced(root) {
        return Some(format!("Expecting no namespace for element {root_name}"));
    }
    // Children are dealt to the interleave's groups until one fits none;
    // the groups are judged first, then what was left over.
    let mut groups: Vec<Vec<&Element>> = vec![Vec::new(); members.len()];
    let mut extra = None;
    for n in &root.children {
        match n {
            Node::Text(t) if blank(t) => {}
            Node::Text(_) => {
                extra = Some("text".to_string());
                break;
            }
            Node::Element(el) => match members.iter().position(|m| *m == el.name) {
                Some(i) if !namespaced(el) => groups[i].push(el),
                _ => {
                    extra = Some(local(&el.name).to_string());
                    break;
                }
            },
        }
    }
    for (i, group) in groups.iter().enumerate() {
        if group.len() > 1 || group.first().is_some_and(|el| !valid(el)) {
            return Some(format!(
                "Extra element {} in interleave\nElement {root_name} failed to validate content",
                members[i]
            ));
        }
    }
    if let Some(what) = extra {
        return Some(format!("Element {root_name} has extra content: {what}"));
    }
    root.attrs
        .iter()
        .find(|(k, _)| !is_xmlns(k))
        .map(|(k, _)| format!("Invalid attribute {} for element {root_name}", local(k)))
}

fn parse_disk(el: &Element, checkpoint_name: &str) -> CheckpointDisk {
    let checkpoint = match el.attr("checkpoint") {
        None => Some("bitmap".to_string()),
        Some(c) => KINDS.iter().find(|k| **k == c).map(|k| k.to_string()),
    };
    let mut bitmap = el.attr("bitmap").map(str::to_string);
    if bitmap.is_none() && checkpoint.as_deref() == Some("bitmap") {
        bitmap = Some(checkpoint_name.to_string());
    }
    CheckpointDisk {
        name: el.attr("name").unwrap_or_default().to_string(),
        checkpoint,
        bitmap,
    }
}

/// Reads a `<domaincheckpoint>` document.
pub fn parse_checkpoint(xml: &str, opts: &CheckpointParseOptions) -> Result<CheckpointDef> {
    let detail = |d: String| checkpoint_error(VIR_ERR_XML_DETAIL, d);
    let root = dom::parse(xml).map_err(|e| detail(e.detail("(domain_checkpoint)")))?;
    if local(&root.name) != "domaincheckpoint" {
        return Err(prop_error(format!(
            "expecting root element of 'domaincheckpoint', not '{}'",
            local(&root.name)
        )));
    }
    if let Some(problem) = schema_problem(&root) {
        return Err(Error::with(
            VIR_FROM_XML,
            VIR_ERR_XML_INVALID_SCHEMA,
            format!("Unable to validate doc against {SCHEMA}\n{problem}\n"),
        ));
    }
    let mut def = CheckpointDef {
        name: child_text_nonempty(&root, "name").unwrap_or_default(),
        description: child_text_nonempty(&root, "description"),
        ..Default::default()
    };
    if opts.redefine {
        if def.name.is_empty() {
            return Err(checkpoint_error(
                VIR_ERR_XML_ERROR,
                "a redefined checkpoint must have a name",
            ));
        }
        def.creation_time = child_text_nonempty(&root, "creationTime")
            .and_then(|t| unsigned_long(&t))
            .and_then(|t| i64::try_from(t).ok())
            .ok_or_else(|| {
                checkpoint_error(
                    VIR_ERR_INTERNAL_ERROR,
                    "missing creationTime from existing checkpoint",
                )
            })?;
        def.parent = root.child("parent").and_then(|p| child_text_nonempty(p, "name"));
        if let Some(d) = root.child("domain") {
            def.domain = Some(super::parse_element_with_source(
                d.clone(),
                &opts.domain,
                Some((xml, &["domain", "metadata"])),
            )?);
        }
    } else {
        if def.name.is_empty() {
            def.name = opts.now.to_string();
        }
        def.creation_time = opts.now;
    }
    if let Some(disks) = root.child("disks") {
        def.disks = disks.elements().map(|d| parse_disk(d, &def.name)).collect();
    }
    Ok(def)
}

/// libvirt's "empty" disk: local storage without a path (a volume's path
/// is only known once the pool is asked, so it never counts as empty).
fn disk_is_empty(disk: &Disk) -> bool {
    matches!(disk.kind(), "file" | "block" | "dir") && disk.path().is_none()
}

/// Finds a requested disk by target, or, for absolute names, by source (a
/// path, or a network disk's image name) when exactly one disk has it.
pub(crate) fn find_disk(disks: &[Disk], name: &str) -> Option<usize> {
    if !name.starts_with('/') {
        return disks.iter().position(|d| d.target == name);
    }
    fn source(d: &Disk) -> Option<&str> {
        match d.kind() {
            "network" => d.source.name.as_deref(),
            _ => d.path(),
        }
    }
    let mut found = disks.iter().enumerate().filter(|(_, d)| source(d) == Some(name));
    match (found.next(), found.next()) {
        (Some((i, _)), None) => Some(i),
        _ => None,
    }
}

/// What libvirt does to the disks list of a checkpoint of `domain`: every
/// disk of the domain ends up listed once, in the domain's order, by target
/// name.  Unlisted disks are left out of the checkpoint when any disk was
/// named, and otherwise get a bitmap named after the checkpoint (read-only
/// and empty ones excepted); disks that cannot carry a bitmap must not ask
/// for one.
pub fn align_disks(def: &mut CheckpointDef, domain: &DomainDef) -> Result<()> {
    let unsupported = |d: String| checkpoint_error(VIR_ERR_CONFIG_UNSUPPORTED, d);
    let disks = &domain.devices.disks;
    if disks.is_empty() {
        return Err(unsupported(
            "domain must have at least one disk to perform checkpoints".into(),
        ));
    }
    if def.disks.len() > disks.len() {
        return Err(unsupported("too many disk checkpoint requests for domain".into()));
    }
    let explicit = !def.disks.is_empty();
    let mut slots: Vec<Option<CheckpointDisk>> = vec![None; disks.len()];
    for mut d in std::mem::take(&mut def.disks) {
        let idx =
            find_disk(disks, &d.name).ok_or_else(|| unsupported(format!("no disk named '{}'", d.name)))?;
        if slots[idx].is_some() {
            return Err(unsupported(format!("disk '{}' specified twice", d.name)));
        }
        let disk = &disks[idx];
        if d.checkpoint.as_deref() != Some("no") && (disk.readonly || disk_is_empty(disk)) {
            return Err(unsupported(format!("disk '{}' is empty or readonly", d.name)));
        }
        d.name = disk.target.clone();
        slots[idx] = Some(d);
    }
    def.disks = slots
        .into_iter()
        .zip(disks)
        .map(|(slot, disk)| {
            slot.unwrap_or_else(|| {
                let skip = explicit || disk.readonly || disk_is_empty(disk);
                CheckpointDisk {
                    name: disk.target.clone(),
                    checkpoint: Some(if skip { "no" } else { "bitmap" }.into()),
                    bitmap: (!skip).then(|| def.name.clone()),
                }
            })
        })
        .collect();
    Ok(())
}

/// The check libvirt makes before accepting a redefinition that embeds a
/// domain: it must be the domain the checkpoint is being attached to.
pub fn check_redefine_domain(def: &CheckpointDef, owner: &DomainDef) -> Result<()> {
    match &def.domain {
        Some(d) if d.uuid != owner.uuid => Err(checkpoint_error(
            VIR_ERR_INVALID_ARG,
            format!(
                "definition for checkpoint {} must use uuid {}",
                def.name, owner.uuid
            ),
        )),
        _ => Ok(()),
    }
}

/// Writes a checkpoint as libvirt formats it.
pub fn format_checkpoint(def: &CheckpointDef, opts: &CheckpointFormatOptions) -> String {
    let mut w = Writer::new();
    w.open("domaincheckpoint", &[]);
    w.text("name", &[], &def.name);
    if let Some(d) = &def.description {
        w.text("description", &[], d);
    }
    if let Some(p) = &def.parent {
        w.open("parent", &[]);
        w.text("name", &[], p);
        w.close("parent");
    }
    if def.creation_time != 0 {
        w.text("creationTime", &[], &def.creation_time.to_string());
    }
    if !def.disks.is_empty() {
        w.open("disks", &[]);
        for d in &def.disks {
            let mut a = vec![
                ("name", d.name.as_str()),
                ("checkpoint", d.checkpoint.as_deref().unwrap_or("(null)")),
            ];
            if let Some(b) = &d.bitmap {
                a.push(("bitmap", b));
            }
            w.empty("disk", &a);
        }
        w.close("disks");
    }
    if let (Some(d), false) = (&def.domain, opts.no_domain) {
        let fopts = FormatOptions {
            secure: opts.secure,
            ..Default::default()
        };
        super::format_into(d, &fopts, &mut w, 1, "domain");
    }
    w.close("domaincheckpoint");
    w.finish()
}
