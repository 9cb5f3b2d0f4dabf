//! A domain's snapshots or checkpoints ("moments", as libvirt calls both):
//! a tree of named definitions with a current one, listed, filtered and
//! pruned by the rules libvirt's test driver applies to either kind.

use crate::abi::*;
use crate::domain::checkpoint::CheckpointDef;
use crate::domain::moment;
use crate::domain::snapshot::SnapshotDef;
use crate::error::{Error, Result};

/// A snapshot or checkpoint definition as the tree sees it.
pub trait Moment {
    /// What the error messages call it ("snapshot", "checkpoint").
    const KIND: &'static str;
    /// `VIR_ERR_NO_DOMAIN_SNAPSHOT` or `VIR_ERR_NO_DOMAIN_CHECKPOINT`.
    const NOT_FOUND: i32;
    /// Its name.
    fn name(&self) -> &str;
    /// Its parent's name.
    fn parent(&self) -> Option<&str>;
    /// Moves it under another parent.
    fn set_parent(&mut self, parent: Option<String>);
}

impl Moment for SnapshotDef {
    const KIND: &'static str = "snapshot";
    const NOT_FOUND: i32 = VIR_ERR_NO_DOMAIN_SNAPSHOT;
    fn name(&self) -> &str {
        &self.name
    }
    fn parent(&self) -> Option<&str> {
        self.parent.as_deref()
    }
    fn set_parent(&mut self, parent: Option<String>) {
        self.parent = parent;
    }
}

impl Moment for CheckpointDef {
    const KIND: &'static str = "checkpoint";
    const NOT_FOUND: i32 = VIR_ERR_NO_DOMAIN_CHECKPOINT;
    fn name(&self) -> &str {
        &self.name
    }
    fn parent(&self) -> Option<&str> {
        self.parent.as_deref()
    }
    fn set_parent(&mut self, parent: Option<String>) {
        self.parent = parent;
    }
}

/// The listing flags both kinds share (their bit values differ).
#[derive(Debug, Clone, Copy, Default)]
pub struct Listing {
    /// `ROOTS` without a parent, `DESCENDANTS` with one.
    pub deep: bool,
    /// `TOPOLOGICAL`: parents before children.
    pub topological: bool,
    /// `LEAVES`.
    pub leaves: bool,
    /// `NO_LEAVES`.
    pub no_leaves: bool,
}

/// The moments of one domain, oldest first.
#[derive(Debug, Clone)]
pub struct Moments<T> {
    list: Vec<T>,
    current: Option<String>,
}

impl<T> Default for Moments<T> {
    fn default() -> Self {
        Moments {
            list: Vec::new(),
            current: None,
        }
    }
}

/// The error for a name no moment has.
pub fn not_found<T: Moment>(name: &str) -> Error {
    Error::with(
        VIR_FROM_TEST,
        T::NOT_FOUND,
        format!("no domain {} with matching name '{name}'", T::KIND),
    )
}

impl<T: Moment + Clone> Moments<T> {
    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// How many there are.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// The moment called `name`.
    pub fn get(&self, name: &str) -> Result<&T> {
        self.list
            .iter()
            .find(|m| m.name() == name)
            .ok_or_else(|| not_found::<T>(name))
    }

    /// Whether a moment is called `name`.
    pub fn contains(&self, name: &str) -> bool {
        self.list.iter().any(|m| m.name() == name)
    }

    /// The current moment's name.
    pub fn current(&self) -> Option<&str> {
        self.current.as_deref()
    }

    /// Makes `name` (or nothing) current.
    pub fn set_current(&mut self, name: Option<String>) {
        self.current = name;
    }

    /// Adds a moment, or replaces the one of the same name in place.
    pub fn put(&mut self, def: T) {
        match self.list.iter_mut().find(|m| m.name() == def.name()) {
            Some(slot) => *slot = def,
            None => self.list.push(def),
        }
    }

    /// Children of `name` (roots for None), newest first.
    fn children<'a>(&'a self, name: Option<&'a str>) -> impl Iterator<Item = &'a T> + 'a {
        self.list.iter().rev().filter(move |m| m.parent() == name)
    }

    /// Whether `name` has no children.
    fn is_leaf(&self, name: &str) -> bool {
        self.children(Some(name)).next().is_none()
    }

    /// Everything below `name` (the whole tree for None), depth first with
    /// the newest child first, as libvirt walks it.
    pub fn descendants(&self, name: Option<&str>) -> Vec<String> {
        let mut out = Vec::new();
        let mut stack: Vec<String> = self.children(name).map(|m| m.name().to_string()).collect();
        stack.reverse();
        while let Some(n) = stack.pop() {
            let mut below: Vec<String> = self.children(Some(&n)).map(|m| m.name().to_string()).collect();
            below.reverse();
            out.push(n);
            stack.extend(below);
        }
        out
    }

    /// Names matching `listing` and `keep`: of the whole domain, or (with
    /// `parent`) below that moment.
    pub fn list(
        &self,
        parent: Option<&str>,
        listing: Listing,
        keep: impl Fn(&T) -> bool,
    ) -> Result<Vec<String>> {
        if let Some(p) = parent {
            self.get(p)?;
        }
        // Unlike the other pairs of filters, both of these match nothing.
        if listing.leaves && listing.no_leaves {
            return Ok(Vec::new());
        }
        let names: Vec<String> = match (parent, listing.deep) {
            (Some(p), true) => self.descendants(Some(p)),
            (Some(p), false) => self.children(Some(p)).map(|m| m.name().to_string()).collect(),
            (None, true) => self.children(None).map(|m| m.name().to_string()).collect(),
            (None, false) if listing.topological => self.descendants(None),
            (None, false) => self.list.iter().map(|m| m.name().to_string()).collect(),
        };
        Ok(names
            .into_iter()
            .filter(|n| {
                let leaf = self.is_leaf(n);
                (!listing.leaves || leaf) && (!listing.no_leaves || !leaf) && self.get(n).is_ok_and(&keep)
            })
            .collect())
    }

    /// Deletes `name`, or its descendants too (`children`), or only them
    /// (`children_only`); the children of a deleted moment move up to its
    /// parent.  A deleted current moment passes the mark to the parent of
    /// what went.
    pub fn delete(&mut self, name: &str, children: bool, children_only: bool) -> Result<()> {
        let parent = self.get(name)?.parent().map(str::to_string);
        let mut gone = Vec::new();
        if children || children_only {
            gone.extend(self.descendants(Some(name)));
        }
        if !children_only {
            gone.push(name.to_string());
            for m in self.list.iter_mut().filter(|m| m.parent() == Some(name)) {
                m.set_parent(parent.clone());
            }
        }
        if self.current.as_ref().is_some_and(|c| gone.contains(c)) {
            self.current = if children_only {
                Some(name.to_string())
            } else {
                parent
            };
        }
        self.list.retain(|m| !gone.iter().any(|g| g == m.name()));
        Ok(())
    }

    /// libvirt's checks of a redefined moment's parent.
    pub fn check_parent(&self, name: &str, parent: Option<&str>) -> Result<()> {
        moment::check_parent(name, parent, |n| {
            self.get(n).ok().map(|m| m.parent().map(str::to_string))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(name: &str, parent: Option<&str>) -> SnapshotDef {
        SnapshotDef {
            name: name.into(),
            parent: parent.map(str::to_string),
            ..Default::default()
        }
    }

    fn tree() -> Moments<SnapshotDef> {
        let mut m = Moments::default();
        for (n, p) in [
            ("a", None),
            ("b", Some("a")),
            ("c", Some("a")),
            ("d", Some("b")),
            ("r", None),
        ] {
            m.put(snap(n, p));
        }
        m
    }

    #[test]
    fn walks_depth_first_newest_first() {
        let m = tree();
        assert_eq!(m.descendants(None), ["r", "a", "c", "b", "d"]);
        assert_eq!(m.descendants(Some("a")), ["c", "b", "d"]);
        let leaves = Listing {
            leaves: true,
            ..Default::default()
        };
        assert_eq!(m.list(None, leaves, |_| true).unwrap(), ["c", "d", "r"]);
    }

    #[test]
    fn deleting_moves_children_up_and_the_current_mark() {
        let mut m = tree();
        m.set_current(Some("b".into()));
        m.delete("b", false, false).unwrap();
        assert_eq!(m.get("d").unwrap().parent(), Some("a"));
        assert_eq!(m.current(), Some("a"));
        m.set_current(Some("d".into()));
        m.delete("a", false, true).unwrap();
        assert_eq!(m.current(), Some("a"));
        assert_eq!(m.len(), 2);
    }

    #[test]
    fn refuses_cycles() {
        let m = tree();
        assert!(m.check_parent("a", Some("d")).is_err());
        assert!(m.check_parent("a", Some("a")).is_err());
        assert!(m.check_parent("x", Some("nope")).is_err());
        assert!(m.check_parent("d", Some("c")).is_ok());
    }
}
