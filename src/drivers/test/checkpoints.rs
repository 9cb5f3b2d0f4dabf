//! The test driver's domain checkpoints: a tree per running domain with a
//! current checkpoint, which excludes snapshots (and is excluded by them).

use crate::abi::*;
use crate::domain::checkpoint::{self, CheckpointDef, CheckpointFormatOptions, CheckpointParseOptions};
use crate::domain::{ParseOptions, Profile};
use crate::driver::DomainRef;
use crate::error::{Error, Result};

use super::domains::{check_flags, Domains};
use super::moments::{Listing, Moments};
use super::snapshots::now_secs;

/// A domain's checkpoints.
pub type Checkpoints = Moments<CheckpointDef>;

/// The test driver's refusal to mix snapshots and checkpoints, or to
/// checkpoint a domain that does not run.
fn unsupported(detail: &str) -> Error {
    Error::with(VIR_FROM_TEST, VIR_ERR_OPERATION_UNSUPPORTED, detail)
}

impl Domains {
    /// `virDomainCheckpointCreateXML`.
    pub fn checkpoint_create(&mut self, dom: &DomainRef, xml: &str, flags: u32) -> Result<String> {
        check_flags(
            flags,
            VIR_DOMAIN_CHECKPOINT_CREATE_REDEFINE | VIR_DOMAIN_CHECKPOINT_CREATE_QUIESCE,
            "testDomainCheckpointCreateXML",
        )?;
        let redefine = flags & VIR_DOMAIN_CHECKPOINT_CREATE_REDEFINE != 0;
        let i = self.index_of(dom)?;
        let obj = self.obj_mut(i);
        if !obj.active() {
            return Err(unsupported("cannot create checkpoint for inactive domain"));
        }
        if !obj.snapshots.is_empty() {
            return Err(unsupported("cannot create checkpoint while snapshot exists"));
        }
        let opts = CheckpointParseOptions {
            domain: ParseOptions {
                profile: &Profile::TEST,
                inactive: true,
            },
            redefine,
            now: now_secs(),
        };
        let mut def = checkpoint::parse_checkpoint(xml, &opts)?;
        let tree = &mut obj.checkpoints;
        if redefine {
            tree.check_parent(&def.name, def.parent.as_deref())?;
            checkpoint::check_redefine_domain(&def, &obj.def)?;
            if let Some(d) = def.domain.clone() {
                checkpoint::align_disks(&mut def, &d)?;
            }
            // A redefinition becomes current only where it continues the
            // current line (or there is none).
            let current = tree.current();
            if current.is_none() || current == Some(def.name.as_str()) || def.parent.as_deref() == current {
                tree.set_current(Some(def.name.clone()));
            }
        } else {
            checkpoint::align_disks(&mut def, &obj.def)?;
            if tree.contains(&def.name) {
                return Err(Error::with(
                    VIR_FROM_DOMAIN,
                    VIR_ERR_OPERATION_FAILED,
                    format!("domain moment {} already exists", def.name),
                ));
            }
            def.parent = tree.current().map(str::to_string);
            def.domain = Some(obj.def.clone());
            tree.set_current(Some(def.name.clone()));
        }
        let name = def.name.clone();
        tree.put(def);
        Ok(name)
    }

    /// The checkpoints of a domain.
    pub fn checkpoints(&self, dom: &DomainRef) -> Result<&Checkpoints> {
        Ok(&self.get(dom)?.checkpoints)
    }

    /// `virDomainCheckpointGetXMLDesc`.
    pub fn checkpoint_xml(&self, dom: &DomainRef, name: &str, flags: u32) -> Result<String> {
        check_flags(
            flags,
            VIR_DOMAIN_CHECKPOINT_XML_SECURE
                | VIR_DOMAIN_CHECKPOINT_XML_NO_DOMAIN
                | VIR_DOMAIN_CHECKPOINT_XML_SIZE,
            "testDomainCheckpointGetXMLDesc",
        )?;
        let def = self.checkpoints(dom)?.get(name)?;
        let opts = CheckpointFormatOptions {
            secure: flags & VIR_DOMAIN_CHECKPOINT_XML_SECURE != 0,
            no_domain: flags & VIR_DOMAIN_CHECKPOINT_XML_NO_DOMAIN != 0,
        };
        Ok(checkpoint::format_checkpoint(def, &opts))
    }

    /// `virDomainListAllCheckpoints` (and, with `parent`, ListAllChildren).
    pub fn checkpoint_list(
        &self,
        dom: &DomainRef,
        parent: Option<&str>,
        flags: u32,
        func: &str,
    ) -> Result<Vec<String>> {
        check_flags(
            flags,
            VIR_DOMAIN_CHECKPOINT_LIST_ROOTS
                | VIR_DOMAIN_CHECKPOINT_LIST_TOPOLOGICAL
                | VIR_DOMAIN_CHECKPOINT_LIST_LEAVES
                | VIR_DOMAIN_CHECKPOINT_LIST_NO_LEAVES,
            func,
        )?;
        let listing = Listing {
            deep: flags & VIR_DOMAIN_CHECKPOINT_LIST_ROOTS != 0,
            topological: flags & VIR_DOMAIN_CHECKPOINT_LIST_TOPOLOGICAL != 0,
            leaves: flags & VIR_DOMAIN_CHECKPOINT_LIST_LEAVES != 0,
            no_leaves: flags & VIR_DOMAIN_CHECKPOINT_LIST_NO_LEAVES != 0,
        };
        self.checkpoints(dom)?.list(parent, listing, |_| true)
    }

    /// A checkpoint's parent.
    pub fn checkpoint_parent(&self, dom: &DomainRef, name: &str) -> Result<String> {
        let parent = self.checkpoints(dom)?.get(name)?.parent.clone();
        parent.ok_or_else(|| {
            Error::with(
                VIR_FROM_TEST,
                VIR_ERR_NO_DOMAIN_CHECKPOINT,
                format!("checkpoint '{name}' does not have a parent"),
            )
        })
    }

    /// `virDomainCheckpointDelete`.
    pub fn checkpoint_delete(&mut self, dom: &DomainRef, name: &str, flags: u32) -> Result<()> {
        check_flags(
            flags,
            VIR_DOMAIN_CHECKPOINT_DELETE_CHILDREN
                | VIR_DOMAIN_CHECKPOINT_DELETE_METADATA_ONLY
                | VIR_DOMAIN_CHECKPOINT_DELETE_CHILDREN_ONLY,
            "testDomainCheckpointDelete",
        )?;
        let i = self.index_of(dom)?;
        self.obj_mut(i).checkpoints.delete(
            name,
            flags & VIR_DOMAIN_CHECKPOINT_DELETE_CHILDREN != 0,
            flags & VIR_DOMAIN_CHECKPOINT_DELETE_CHILDREN_ONLY != 0,
        )
    }
}
