//! Domain statistics records for drivers whose statistics are the domains'
//! states (`VIR_DOMAIN_STATS_STATE`), built from their listing and state
//! calls: one listing, then what the driver already knows of each domain.

use crate::abi::*;
use crate::domain::listing::{Facts, Filter};
use crate::driver::{DomainRef, Driver};
use crate::error::{Error, Result};
use crate::typed_params::{TypedParam, TypedValue};

/// The listing filters, the same bits as `VIR_CONNECT_LIST_DOMAINS_*`.
const FILTERS: u32 = VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE
    | VIR_CONNECT_GET_ALL_DOMAINS_STATS_INACTIVE
    | VIR_CONNECT_GET_ALL_DOMAINS_STATS_PERSISTENT
    | VIR_CONNECT_GET_ALL_DOMAINS_STATS_TRANSIENT
    | VIR_CONNECT_GET_ALL_DOMAINS_STATS_RUNNING
    | VIR_CONNECT_GET_ALL_DOMAINS_STATS_PAUSED
    | VIR_CONNECT_GET_ALL_DOMAINS_STATS_SHUTOFF
    | VIR_CONNECT_GET_ALL_DOMAINS_STATS_OTHER;

/// Every flag the call takes (waiting and backing chains change nothing here).
const FLAGS: u32 = FILTERS
    | VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT
    | VIR_CONNECT_GET_ALL_DOMAINS_STATS_BACKING
    | VIR_CONNECT_GET_ALL_DOMAINS_STATS_ENFORCE_STATS;

/// The state records of `doms` (or of the listed domains the filter flags
/// select), as the driver `func` names itself in errors from `from`.
pub fn state_records(
    driver: &dyn Driver,
    doms: Option<&[DomainRef]>,
    stats: u32,
    flags: u32,
    func: &str,
    from: i32,
) -> Result<Vec<(DomainRef, Vec<TypedParam>)>> {
    if flags & !FLAGS != 0 {
        return Err(Error::bad_flags(from, func, flags & !FLAGS));
    }
    let supported = VIR_DOMAIN_STATS_STATE;
    let unsupported = stats & !supported;
    if flags & VIR_CONNECT_GET_ALL_DOMAINS_STATS_ENFORCE_STATS != 0 && unsupported != 0 {
        return Err(Error::with(
            from,
            VIR_ERR_ARGUMENT_UNSUPPORTED,
            format!("Stats types bits 0x{unsupported:x} are not supported by this daemon"),
        ));
    }
    let wanted = if stats == 0 { supported } else { stats & supported };
    let doms = match doms {
        Some(d) => {
            let mut kept = Vec::with_capacity(d.len());
            for dom in d {
                if selected(driver, dom, flags & FILTERS)? {
                    kept.push(dom.clone());
                }
            }
            kept
        }
        None => driver.list_all_domains(flags & FILTERS)?,
    };
    doms.into_iter()
        .map(|dom| {
            let mut params = Vec::new();
            if wanted & VIR_DOMAIN_STATS_STATE != 0 {
                let (state, reason) = driver.domain_get_state(&dom, 0)?;
                params.push(TypedParam::new("state.state", TypedValue::Int(state))?);
                params.push(TypedParam::new("state.reason", TypedValue::Int(reason))?);
            }
            Ok((dom, params))
        })
        .collect()
}

/// Whether `dom` passes the listing `filters`: libvirt applies them to a
/// caller's own domain list too.
fn selected(driver: &dyn Driver, dom: &DomainRef, filters: u32) -> Result<bool> {
    if filters == 0 {
        return Ok(true);
    }
    let filter = Filter(filters);
    let (state, _) = driver.domain_get_state(dom, 0)?;
    let active = driver.domain_is_active(dom)?;
    // Persistence costs a call: asked only when a filter looks at it.
    let persistent = filter.asks(
        VIR_CONNECT_GET_ALL_DOMAINS_STATS_PERSISTENT,
        VIR_CONNECT_GET_ALL_DOMAINS_STATS_TRANSIENT,
    ) && driver.domain_is_persistent(dom)?;
    Ok(filter.matches(&Facts {
        active,
        persistent,
        state,
        ..Facts::default()
    }))
}
