//! What snapshots and checkpoints ("moments", as libvirt calls both) share:
//! the rules for the parent a redefinition names.

use crate::abi::*;
use crate::error::{Error, Result};

fn tree_error(detail: String) -> Error {
    Error::with(VIR_FROM_DOMAIN, VIR_ERR_INVALID_ARG, detail)
}

/// libvirt's checks of the parent a redefined snapshot or checkpoint `name`
/// names: not itself, an existing one, and not one of its own descendants.
/// `parent_of(n)` is None when there is no moment `n`, else its parent.
pub fn check_parent<F>(name: &str, parent: Option<&str>, parent_of: F) -> Result<()>
where
    F: Fn(&str) -> Option<Option<String>>,
{
    let Some(parent) = parent else {
        return Ok(());
    };
    if parent == name {
        return Err(tree_error(format!("cannot set moment {name} as its own parent")));
    }
    let mut up = match parent_of(parent) {
        None => return Err(tree_error(format!("parent {parent} for moment {name} not found"))),
        Some(p) => p.map(|p| (parent.to_string(), p)),
    };
    // The walk is bounded in case the tree it is given already loops.
    let mut steps = 0;
    while let Some((child, p)) = up {
        if p == name {
            return Err(tree_error(format!("parent {child} would create cycle to {name}")));
        }
        steps += 1;
        if steps > 100_000 {
            break;
        }
        up = parent_of(&p).flatten().map(|pp| (p, pp));
    }
    Ok(())
}
