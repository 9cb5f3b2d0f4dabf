//! Snapshots: the VM's snapshot tree (`snapshot` property) read in one
//! retrieval, created, reverted and removed with tasks.  ESX keeps no libvirt
//! metadata, so every snapshot reports none.

use super::soap::{child, child_text, children, MoRef};
use super::vms::{Power, Vm};
use super::EsxDriver;
use crate::abi::*;
use crate::driver::{DomainRef, SnapshotRef};
use crate::error::{Error, Result};
use crate::xml::dom::Element;
use crate::xml::Writer;

/// One snapshot of the tree.
#[derive(Debug, Clone)]
pub struct Snap {
    /// Its managed object.
    pub obj: MoRef,
    /// Its name.
    pub name: String,
    /// Its description.
    pub description: String,
    /// Index of its parent in the flat list.
    pub parent: Option<usize>,
    /// Creation time, seconds since the epoch.
    pub created: i64,
    /// The VM's power state when it was taken.
    pub state: String,
}

/// The tree flattened in pre-order, and the current snapshot's index.
#[derive(Debug, Default)]
pub struct Tree {
    /// Every snapshot, parents before children.
    pub snaps: Vec<Snap>,
    /// The current snapshot.
    pub current: Option<usize>,
}

impl Tree {
    fn from_property(info: Option<&Element>) -> Tree {
        let mut tree = Tree::default();
        let Some(info) = info else {
            return tree;
        };
        for root in children(info, "rootSnapshotList") {
            tree.add(root, None);
        }
        if let Some(cur) = child(info, "currentSnapshot")
            .and_then(|c| MoRef::from_element(c, Some("VirtualMachineSnapshot")))
        {
            tree.current = tree.snaps.iter().position(|s| s.obj == cur);
        }
        tree
    }

    fn add(&mut self, node: &Element, parent: Option<usize>) {
        let Some(obj) =
            child(node, "snapshot").and_then(|s| MoRef::from_element(s, Some("VirtualMachineSnapshot")))
        else {
            return;
        };
        let idx = self.snaps.len();
        self.snaps.push(Snap {
            obj,
            name: child_text(node, "name").unwrap_or_default(),
            description: child_text(node, "description").unwrap_or_default(),
            parent,
            created: child_text(node, "createTime")
                .and_then(|t| parse_datetime(&t))
                .unwrap_or(0),
            state: child_text(node, "state").unwrap_or_default(),
        });
        for c in children(node, "childSnapshotList") {
            self.add(c, Some(idx));
        }
    }

    fn find(&self, name: &str) -> Result<usize> {
        self.snaps.iter().position(|s| s.name == name).ok_or_else(|| {
            Error::with(
                VIR_FROM_ESX,
                VIR_ERR_NO_DOMAIN_SNAPSHOT,
                format!("Could not find snapshot with name '{name}'"),
            )
        })
    }

    fn is_descendant(&self, mut idx: usize, of: usize) -> bool {
        while let Some(p) = self.snaps[idx].parent {
            if p == of {
                return true;
            }
            idx = p;
        }
        false
    }

    fn has_children(&self, idx: usize) -> bool {
        self.snaps.iter().any(|s| s.parent == Some(idx))
    }
}

/// Seconds since the epoch of an `xsd:dateTime` (`2024-05-01T12:00:00.5Z`,
/// with an optional `+hh:mm` offset).
pub fn parse_datetime(text: &str) -> Option<i64> {
    let (date, time) = text.trim().split_once('T')?;
    let mut d = date.splitn(3, '-');
    let y: i64 = d.next()?.parse().ok()?;
    let m: i64 = d.next()?.parse().ok()?;
    let day: i64 = d.next()?.parse().ok()?;
    let (clock, offset) = match time.find(['Z', '+', '-']) {
        Some(i) => (&time[..i], &time[i..]),
        None => (time, ""),
    };
    let mut c = clock.splitn(3, ':');
    let hh: i64 = c.next()?.parse().ok()?;
    let mm: i64 = c.next()?.parse().ok()?;
    let ss: i64 = c.next()?.split('.').next()?.parse().ok()?;
    let off = match offset.as_bytes().first() {
        Some(b'+') | Some(b'-') => {
            let (oh, om) = offset[1..].split_once(':')?;
            let secs = oh.parse::<i64>().ok()? * 3600 + om.parse::<i64>().ok()? * 60;
            if offset.starts_with('-') {
                -secs
            } else {
                secs
            }
        }
        _ => 0,
    };
    // Days from the civil date (proleptic Gregorian calendar).
    let yy = if m <= 2 { y - 1 } else { y };
    let era = yy.div_euclid(400);
    let yoe = yy - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146097 + doe - 719468;
    Some(days * 86400 + hh * 3600 + mm * 60 + ss - off)
}

fn snapshot_state(state: &str) -> &'static str {
    match state {
        "poweredOn" => "running",
        "suspended" => "paused",
        _ => "shutoff",
    }
}

impl EsxDriver {
    fn snapshot_tree(&self, dom: &DomainRef) -> Result<(Vm, Tree)> {
        let vm = self.vm(dom, &["snapshot"])?;
        let tree = Tree::from_property(vm.props.get("snapshot"));
        Ok((vm, tree))
    }

    /// virDomainSnapshotCreateXML: CreateSnapshot_Task without memory.
    pub(super) fn snap_create(&self, dom: &DomainRef, xml: &str, flags: u32) -> Result<(SnapshotRef, bool)> {
        if flags & !VIR_DOMAIN_SNAPSHOT_CREATE_QUIESCE != 0 {
            return Err(Error::bad_flags(
                VIR_FROM_ESX,
                "esxDomainSnapshotCreateXML",
                flags,
            ));
        }
        let doc = crate::xml::dom::parse(xml).map_err(|e| {
            Error::with(
                VIR_FROM_DOMAIN_SNAPSHOT,
                VIR_ERR_XML_DETAIL,
                e.detail("(domain_snapshot)"),
            )
        })?;
        if doc.name != "domainsnapshot" {
            return Err(Error::with(
                VIR_FROM_DOMAIN_SNAPSHOT,
                VIR_ERR_XML_ERROR,
                format!(
                    "unexpected root element <{}>, expecting <domainsnapshot>",
                    doc.name
                ),
            ));
        }
        if doc.child("disks").is_some() || doc.child("memory").is_some() {
            return Err(Error::with(
                VIR_FROM_ESX,
                VIR_ERR_CONFIG_UNSUPPORTED,
                "Domain snapshot with disks or memory settings is not supported",
            ));
        }
        let name = doc
            .child_text("name")
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs())
                    .unwrap_or(0)
                    .to_string()
            });
        let description = doc.child_text("description").unwrap_or_default();
        let (vm, tree) = self.snapshot_tree(dom)?;
        if tree.snaps.iter().any(|s| s.name == name) {
            return Err(Error::with(
                VIR_FROM_ESX,
                VIR_ERR_OPERATION_INVALID,
                format!("Snapshot '{name}' already exists"),
            ));
        }
        let args = format!(
            "{}{}<memory>false</memory><quiesce>{}</quiesce>",
            super::soap::text("name", &name),
            super::soap::text("description", &description),
            flags & VIR_DOMAIN_SNAPSHOT_CREATE_QUIESCE != 0
        );
        self.run_task(
            "CreateSnapshot_Task",
            &vm.obj,
            &args,
            Some(&vm.obj),
            "Could not create snapshot",
        )?;
        Ok((
            SnapshotRef {
                domain: dom.clone(),
                name,
            },
            false,
        ))
    }

    /// Snapshot names of the domain or of a snapshot's children.
    pub(super) fn snap_list(&self, dom: &DomainRef, parent: Option<&str>, flags: u32) -> Result<Vec<String>> {
        let known = VIR_DOMAIN_SNAPSHOT_LIST_ROOTS
            | VIR_DOMAIN_SNAPSHOT_LIST_METADATA
            | VIR_DOMAIN_SNAPSHOT_LIST_NO_METADATA
            | VIR_DOMAIN_SNAPSHOT_LIST_LEAVES
            | VIR_DOMAIN_SNAPSHOT_LIST_NO_LEAVES
            | VIR_DOMAIN_SNAPSHOT_LIST_TOPOLOGICAL;
        if flags & !known != 0 {
            return Err(Error::bad_flags(
                VIR_FROM_ESX,
                "esxDomainSnapshotListNames",
                flags,
            ));
        }
        let (_, tree) = self.snapshot_tree(dom)?;
        // No snapshot carries libvirt metadata.
        if flags & VIR_DOMAIN_SNAPSHOT_LIST_METADATA != 0 && flags & VIR_DOMAIN_SNAPSHOT_LIST_NO_METADATA == 0
        {
            return Ok(Vec::new());
        }
        let bit0 = flags & VIR_DOMAIN_SNAPSHOT_LIST_ROOTS != 0;
        let base = match parent {
            Some(p) => Some(tree.find(p)?),
            None => None,
        };
        let leaves = flags & VIR_DOMAIN_SNAPSHOT_LIST_LEAVES != 0;
        let no_leaves = flags & VIR_DOMAIN_SNAPSHOT_LIST_NO_LEAVES != 0;
        Ok(tree
            .snaps
            .iter()
            .enumerate()
            .filter(|(i, s)| match base {
                None => !bit0 || s.parent.is_none(),
                Some(b) if bit0 => tree.is_descendant(*i, b),
                Some(b) => s.parent == Some(b),
            })
            .filter(|(i, _)| {
                let leaf = !tree.has_children(*i);
                !(leaves != no_leaves && leaf != leaves)
            })
            .map(|(_, s)| s.name.clone())
            .collect())
    }

    /// The snapshot with this name.
    pub(super) fn snap_lookup(&self, dom: &DomainRef, name: &str, flags: u32) -> Result<SnapshotRef> {
        if flags != 0 {
            return Err(Error::bad_flags(
                VIR_FROM_ESX,
                "esxDomainSnapshotLookupByName",
                flags,
            ));
        }
        let (_, tree) = self.snapshot_tree(dom)?;
        let i = tree.find(name)?;
        Ok(SnapshotRef {
            domain: dom.clone(),
            name: tree.snaps[i].name.clone(),
        })
    }

    /// The snapshot's XML.
    pub(super) fn snap_xml(&self, snap: &SnapshotRef, flags: u32) -> Result<String> {
        if flags & !VIR_DOMAIN_SNAPSHOT_XML_SECURE != 0 {
            return Err(Error::bad_flags(
                VIR_FROM_ESX,
                "esxDomainSnapshotGetXMLDesc",
                flags,
            ));
        }
        let (_, tree) = self.snapshot_tree(&snap.domain)?;
        let s = &tree.snaps[tree.find(&snap.name)?];
        let mut w = Writer::new();
        w.open("domainsnapshot", &[]);
        w.text("name", &[], &s.name);
        if !s.description.is_empty() {
            w.text("description", &[], &s.description);
        }
        // libvirt's element order: state before parent.
        w.text("state", &[], snapshot_state(&s.state));
        if let Some(p) = s.parent {
            w.open("parent", &[]);
            w.text("name", &[], &tree.snaps[p].name);
            w.close("parent");
        }
        w.text("creationTime", &[], &s.created.to_string());
        w.open("domain", &[]);
        w.text("uuid", &[], &snap.domain.uuid.to_string());
        w.close("domain");
        w.close("domainsnapshot");
        Ok(w.finish())
    }

    /// The current snapshot, if any.
    pub(super) fn snap_current(&self, dom: &DomainRef, flags: u32) -> Result<Option<SnapshotRef>> {
        if flags != 0 {
            return Err(Error::bad_flags(VIR_FROM_ESX, "esxDomainSnapshotCurrent", flags));
        }
        let (_, tree) = self.snapshot_tree(dom)?;
        Ok(tree.current.map(|i| SnapshotRef {
            domain: dom.clone(),
            name: tree.snaps[i].name.clone(),
        }))
    }

    /// The snapshot's parent.
    pub(super) fn snap_parent(&self, snap: &SnapshotRef, flags: u32) -> Result<SnapshotRef> {
        if flags != 0 {
            return Err(Error::bad_flags(
                VIR_FROM_ESX,
                "esxDomainSnapshotGetParent",
                flags,
            ));
        }
        let (_, tree) = self.snapshot_tree(&snap.domain)?;
        let i = tree.find(&snap.name)?;
        let p = tree.snaps[i].parent.ok_or_else(|| {
            Error::with(
                VIR_FROM_ESX,
                VIR_ERR_NO_DOMAIN_SNAPSHOT,
                format!("snapshot '{}' does not have a parent", snap.name),
            )
        })?;
        Ok(SnapshotRef {
            domain: snap.domain.clone(),
            name: tree.snaps[p].name.clone(),
        })
    }

    /// Whether the snapshot is the current one.
    pub(super) fn snap_is_current(&self, snap: &SnapshotRef, flags: u32) -> Result<bool> {
        if flags != 0 {
            return Err(Error::bad_flags(
                VIR_FROM_ESX,
                "esxDomainSnapshotIsCurrent",
                flags,
            ));
        }
        let (_, tree) = self.snapshot_tree(&snap.domain)?;
        let i = tree.find(&snap.name)?;
        Ok(tree.current == Some(i))
    }

    /// Whether libvirt keeps metadata for it: never on ESX.
    pub(super) fn snap_has_metadata(&self, snap: &SnapshotRef, flags: u32) -> Result<bool> {
        if flags != 0 {
            return Err(Error::bad_flags(
                VIR_FROM_ESX,
                "esxDomainSnapshotHasMetadata",
                flags,
            ));
        }
        let (_, tree) = self.snapshot_tree(&snap.domain)?;
        tree.find(&snap.name)?;
        Ok(false)
    }

    /// Reverts to the snapshot; true when the domain stopped on the way.
    pub(super) fn snap_revert(&self, snap: &SnapshotRef, flags: u32) -> Result<bool> {
        if flags != 0 {
            return Err(Error::bad_flags(VIR_FROM_ESX, "esxDomainRevertToSnapshot", flags));
        }
        let (vm, tree) = self.snapshot_tree(&snap.domain)?;
        let s = &tree.snaps[tree.find(&snap.name)?];
        self.run_task(
            "RevertToSnapshot_Task",
            &s.obj,
            "",
            Some(&vm.obj),
            &format!("Could not revert to snapshot '{}'", snap.name),
        )?;
        let after = self.vm(&snap.domain, &[])?;
        Ok(vm.power == Power::On && after.power != Power::On)
    }

    /// Removes the snapshot (with or only its children).
    pub(super) fn snap_delete(&self, snap: &SnapshotRef, flags: u32) -> Result<()> {
        let known = VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN | VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN_ONLY;
        if flags & !known != 0 {
            return Err(Error::bad_flags(VIR_FROM_ESX, "esxDomainSnapshotDelete", flags));
        }
        let (vm, tree) = self.snapshot_tree(&snap.domain)?;
        let i = tree.find(&snap.name)?;
        let what = format!("Could not delete snapshot '{}'", snap.name);
        if flags & VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN_ONLY != 0 {
            for c in tree.snaps.iter().filter(|s| s.parent == Some(i)) {
                self.run_task(
                    "RemoveSnapshot_Task",
                    &c.obj,
                    "<removeChildren>true</removeChildren>",
                    Some(&vm.obj),
                    &what,
                )?;
            }
            return Ok(());
        }
        let children = flags & VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN != 0;
        self.run_task(
            "RemoveSnapshot_Task",
            &tree.snaps[i].obj,
            &format!("<removeChildren>{children}</removeChildren>"),
            Some(&vm.obj),
            &what,
        )
        .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetimes() {
        assert_eq!(parse_datetime("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_datetime("2000-03-01T00:00:00Z"), Some(951868800));
        assert_eq!(parse_datetime("2024-05-01T12:00:00.123456Z"), Some(1714564800));
        assert_eq!(parse_datetime("2024-05-01T14:00:00+02:00"), Some(1714564800));
        assert_eq!(parse_datetime("garbage"), None);
        assert_eq!(parse_datetime("2024-05-01T"), None);
    }

    #[test]
    fn tree_from_property() {
        let xml = r#"<val><currentSnapshot type="VirtualMachineSnapshot">s-2</currentSnapshot>
            <rootSnapshotList><snapshot type="VirtualMachineSnapshot">s-1</snapshot><name>a</name><createTime>1970-01-01T00:00:10Z</createTime><state>poweredOn</state>
              <childSnapshotList><snapshot type="VirtualMachineSnapshot">s-2</snapshot><name>b</name><state>poweredOff</state></childSnapshotList>
            </rootSnapshotList></val>"#;
        let el = crate::xml::dom::parse(xml).unwrap();
        let t = Tree::from_property(Some(&el));
        assert_eq!(t.snaps.len(), 2);
        assert_eq!(t.current, Some(1));
        assert_eq!(t.snaps[1].parent, Some(0));
        assert_eq!(t.snaps[0].created, 10);
        assert!(t.is_descendant(1, 0));
        assert!(t.has_children(0) && !t.has_children(1));
        assert!(t.find("zz").is_err());
    }
}
