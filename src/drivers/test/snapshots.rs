//! The test driver's domain snapshots: a tree per domain with a current
//! snapshot, and reverting, with libvirt's test driver semantics.

use crate::abi::*;
use crate::domain::snapshot::{self, SnapshotDef, SnapshotFormatOptions, SnapshotParseOptions};
use crate::domain::{ParseOptions, Profile};
use crate::domain_events::{DomainEvent, DomainEventState};
use crate::driver::DomainRef;
use crate::error::{Error, Result};

use super::domains::{check_flags, DomainObj, Domains};
use super::moments::{Listing, Moments};

/// A domain's snapshots.
pub type Snapshots = Moments<SnapshotDef>;

/// Seconds since the epoch: snapshot creation times and default names.
pub fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Snapshot names matching `VIR_DOMAIN_SNAPSHOT_LIST_*` flags: of the whole
/// domain, or (with `parent`) of that snapshot's children; `func` names the
/// driver function in flag errors.
pub fn list(snaps: &Snapshots, parent: Option<&str>, flags: u32, func: &str) -> Result<Vec<String>> {
    let allowed = VIR_DOMAIN_SNAPSHOT_LIST_ROOTS
        | VIR_DOMAIN_SNAPSHOT_LIST_METADATA
        | VIR_DOMAIN_SNAPSHOT_LIST_LEAVES
        | VIR_DOMAIN_SNAPSHOT_LIST_NO_LEAVES
        | VIR_DOMAIN_SNAPSHOT_LIST_NO_METADATA
        | VIR_DOMAIN_SNAPSHOT_LIST_INACTIVE
        | VIR_DOMAIN_SNAPSHOT_LIST_ACTIVE
        | VIR_DOMAIN_SNAPSHOT_LIST_DISK_ONLY
        | VIR_DOMAIN_SNAPSHOT_LIST_INTERNAL
        | VIR_DOMAIN_SNAPSHOT_LIST_EXTERNAL
        | VIR_DOMAIN_SNAPSHOT_LIST_TOPOLOGICAL;
    check_flags(flags, allowed, func)?;
    // Every snapshot here has metadata: NO_METADATA alone matches none.
    if flags & VIR_DOMAIN_SNAPSHOT_LIST_NO_METADATA != 0 && flags & VIR_DOMAIN_SNAPSHOT_LIST_METADATA == 0 {
        return Ok(Vec::new());
    }
    let listing = Listing {
        deep: flags & VIR_DOMAIN_SNAPSHOT_LIST_ROOTS != 0,
        topological: flags & VIR_DOMAIN_SNAPSHOT_LIST_TOPOLOGICAL != 0,
        leaves: flags & VIR_DOMAIN_SNAPSHOT_LIST_LEAVES != 0,
        no_leaves: flags & VIR_DOMAIN_SNAPSHOT_LIST_NO_LEAVES != 0,
    };
    let states = VIR_DOMAIN_SNAPSHOT_LIST_INACTIVE
        | VIR_DOMAIN_SNAPSHOT_LIST_ACTIVE
        | VIR_DOMAIN_SNAPSHOT_LIST_DISK_ONLY;
    let locations = VIR_DOMAIN_SNAPSHOT_LIST_INTERNAL | VIR_DOMAIN_SNAPSHOT_LIST_EXTERNAL;
    snaps.list(parent, listing, |snap| {
        let state_ok = flags & states == 0
            || match snap.state.as_deref().unwrap_or("") {
                "shutoff" => flags & VIR_DOMAIN_SNAPSHOT_LIST_INACTIVE != 0,
                "disk-snapshot" => flags & VIR_DOMAIN_SNAPSHOT_LIST_DISK_ONLY != 0,
                _ => flags & VIR_DOMAIN_SNAPSHOT_LIST_ACTIVE != 0,
            };
        let external = snap.memory.as_deref() == Some("external")
            || snap
                .disks
                .iter()
                .any(|d| d.snapshot.as_deref() == Some("external"));
        let location_ok = flags & locations == 0
            || (flags & VIR_DOMAIN_SNAPSHOT_LIST_EXTERNAL != 0 && external)
            || (flags & VIR_DOMAIN_SNAPSHOT_LIST_INTERNAL != 0 && !external);
        state_ok && location_ok
    })
}

impl Domains {
    fn snapshot_domain(&mut self, dom: &DomainRef) -> Result<usize> {
        self.index_of(dom)
    }

    /// `virDomainSnapshotCreateXML`: the snapshot's name, and whether it
    /// halted the running domain.
    pub fn snapshot_create(
        &mut self,
        dom: &DomainRef,
        xml: &str,
        flags: u32,
        events: &DomainEventState,
    ) -> Result<(String, bool)> {
        let allowed = VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE
            | VIR_DOMAIN_SNAPSHOT_CREATE_CURRENT
            | VIR_DOMAIN_SNAPSHOT_CREATE_HALT
            | VIR_DOMAIN_SNAPSHOT_CREATE_QUIESCE
            | VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC
            | VIR_DOMAIN_SNAPSHOT_CREATE_LIVE
            | VIR_DOMAIN_SNAPSHOT_CREATE_VALIDATE;
        check_flags(flags, allowed, "testDomainSnapshotCreateXML")?;
        let i = self.snapshot_domain(dom)?;
        if !self.obj_mut(i).checkpoints.is_empty() {
            return Err(Error::with(
                VIR_FROM_TEST,
                VIR_ERR_OPERATION_UNSUPPORTED,
                "cannot create snapshot while checkpoint exists",
            ));
        }
        let halt = flags & VIR_DOMAIN_SNAPSHOT_CREATE_HALT != 0;
        if halt && !self.obj_mut(i).persistent {
            return Err(Error::with(
                VIR_FROM_TEST,
                VIR_ERR_OPERATION_INVALID,
                "cannot halt after transient domain snapshot",
            ));
        }
        if flags & VIR_DOMAIN_SNAPSHOT_CREATE_VALIDATE != 0 {
            snapshot::validate_schema(xml)?;
        }
        let redefine = flags & VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE != 0;
        let opts = SnapshotParseOptions {
            domain: ParseOptions {
                profile: &Profile::TEST,
                inactive: true,
            },
            redefine,
            disks: true,
            internal: false,
            now: now_secs(),
        };
        let mut def = snapshot::parse_snapshot(xml, &opts)?;
        let obj: &mut DomainObj = self.obj_mut(i);
        if redefine {
            obj.snapshots.check_parent(&def.name, def.parent.as_deref())?;
            let existing = obj.snapshots.get(&def.name).ok();
            snapshot::check_redefine(&mut def, &obj.def, existing)?;
            let name = def.name.clone();
            obj.snapshots.put(def);
            if flags & VIR_DOMAIN_SNAPSHOT_CREATE_CURRENT != 0 {
                obj.snapshots.set_current(Some(name.clone()));
            }
            return Ok((name, false));
        }
        let current = obj.snapshots.current().map(str::to_string);
        snapshot::complete_new(&mut def, &obj.def, obj.state, current)?;
        if obj.snapshots.contains(&def.name) {
            return Err(Error::with(
                VIR_FROM_DOMAIN,
                VIR_ERR_OPERATION_FAILED,
                format!("domain moment {} already exists", def.name),
            ));
        }
        let active = obj.active();
        let name = def.name.clone();
        obj.snapshots.put(def);
        obj.snapshots.set_current(Some(name.clone()));
        let halt = halt && active;
        if halt {
            let r = obj.reference();
            self.stop_at(i, VIR_DOMAIN_SHUTOFF_FROM_SNAPSHOT);
            events.queue(
                &r,
                DomainEvent::lifecycle(VIR_DOMAIN_EVENT_STOPPED, VIR_DOMAIN_EVENT_STOPPED_FROM_SNAPSHOT),
            );
        }
        Ok((name, halt))
    }

    /// The snapshots of a domain.
    pub fn snapshots(&self, dom: &DomainRef) -> Result<&Snapshots> {
        Ok(&self.get(dom)?.snapshots)
    }

    /// `virDomainSnapshotLookupByName` (and the check every snapshot call makes).
    pub fn snapshot_lookup(&self, dom: &DomainRef, name: &str) -> Result<()> {
        self.get(dom)?.snapshots.get(name).map(|_| ())
    }

    /// `virDomainSnapshotGetXMLDesc`.
    pub fn snapshot_xml(&self, dom: &DomainRef, name: &str, flags: u32) -> Result<String> {
        check_flags(
            flags,
            VIR_DOMAIN_SNAPSHOT_XML_SECURE,
            "testDomainSnapshotGetXMLDesc",
        )?;
        let def = self.get(dom)?.snapshots.get(name)?;
        let opts = SnapshotFormatOptions {
            secure: flags & VIR_DOMAIN_SNAPSHOT_XML_SECURE != 0,
            internal: false,
        };
        Ok(snapshot::format_snapshot(def, &opts))
    }

    /// The current snapshot's name.
    pub fn snapshot_current(&self, dom: &DomainRef) -> Result<Option<String>> {
        Ok(self.get(dom)?.snapshots.current().map(str::to_string))
    }

    /// A snapshot's parent.
    pub fn snapshot_parent(&self, dom: &DomainRef, name: &str) -> Result<String> {
        self.get(dom)?.snapshots.get(name)?.parent.clone().ok_or_else(|| {
            Error::with(
                VIR_FROM_TEST,
                VIR_ERR_NO_DOMAIN_SNAPSHOT,
                format!("snapshot '{name}' does not have a parent"),
            )
        })
    }

    /// `virDomainRevertToSnapshot`: the domain takes the snapshot's
    /// definition and run state (paused with `PAUSED`).
    pub fn snapshot_revert(
        &mut self,
        dom: &DomainRef,
        name: &str,
        flags: u32,
        events: &DomainEventState,
    ) -> Result<bool> {
        check_flags(
            flags,
            VIR_DOMAIN_SNAPSHOT_REVERT_RUNNING
                | VIR_DOMAIN_SNAPSHOT_REVERT_PAUSED
                | VIR_DOMAIN_SNAPSHOT_REVERT_FORCE,
            "testDomainRevertToSnapshot",
        )?;
        let i = self.snapshot_domain(dom)?;
        let snap = self.obj_mut(i).snapshots.get(name)?.clone();
        let wants_running = !matches!(snap.state.as_deref(), Some("shutoff") | Some("disk-snapshot"));
        let r = self.obj_mut(i).reference();
        if let Some(def) = snap.domain.clone() {
            let obj = self.obj_mut(i);
            obj.def = def;
            if obj.persistent && obj.active() {
                obj.new_def = Some(obj.def.clone());
            }
        }
        let was_active = self.obj_mut(i).active();
        if !wants_running {
            if was_active {
                self.stop_at(i, VIR_DOMAIN_SHUTOFF_FROM_SNAPSHOT);
                events.queue(
                    &r,
                    DomainEvent::lifecycle(VIR_DOMAIN_EVENT_STOPPED, VIR_DOMAIN_EVENT_STOPPED_FROM_SNAPSHOT),
                );
            } else {
                let obj = self.obj_mut(i);
                obj.reason = VIR_DOMAIN_SHUTOFF_FROM_SNAPSHOT;
            }
        } else {
            if was_active {
                events.queue(
                    &r,
                    DomainEvent::lifecycle(VIR_DOMAIN_EVENT_STOPPED, VIR_DOMAIN_EVENT_STOPPED_FROM_SNAPSHOT),
                );
                let obj = self.obj_mut(i);
                obj.id = -1;
            }
            self.start_at(i, VIR_DOMAIN_RUNNING_FROM_SNAPSHOT);
            let r = self.obj_mut(i).reference();
            events.queue(
                &r,
                DomainEvent::lifecycle(VIR_DOMAIN_EVENT_STARTED, VIR_DOMAIN_EVENT_STARTED_FROM_SNAPSHOT),
            );
            let paused = flags & VIR_DOMAIN_SNAPSHOT_REVERT_PAUSED != 0
                || (snap.state.as_deref() == Some("paused")
                    && flags & VIR_DOMAIN_SNAPSHOT_REVERT_RUNNING == 0);
            if paused {
                let obj = self.obj_mut(i);
                obj.state = VIR_DOMAIN_PAUSED;
                obj.reason = VIR_DOMAIN_PAUSED_FROM_SNAPSHOT;
                events.queue(
                    &r,
                    DomainEvent::lifecycle(
                        VIR_DOMAIN_EVENT_SUSPENDED,
                        VIR_DOMAIN_EVENT_SUSPENDED_FROM_SNAPSHOT,
                    ),
                );
            }
        }
        self.obj_mut(i).snapshots.set_current(Some(name.to_string()));
        Ok(was_active)
    }

    /// `virDomainSnapshotDelete`: children move up to the parent unless they
    /// go too (`CHILDREN`), or only they go (`CHILDREN_ONLY`).
    pub fn snapshot_delete(&mut self, dom: &DomainRef, name: &str, flags: u32) -> Result<()> {
        check_flags(
            flags,
            VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN | VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN_ONLY,
            "testDomainSnapshotDelete",
        )?;
        let i = self.snapshot_domain(dom)?;
        self.obj_mut(i).snapshots.delete(
            name,
            flags & VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN != 0,
            flags & VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN_ONLY != 0,
        )
    }
}
