//! The filters of `virConnectListAllDomains`, shared by every driver and by
//! the stats calls (whose first eight flags are the same bits): a pair of
//! opposite flags keeps one side only when exactly one of them is given, and
//! state flags keep only the states they name.

use crate::abi::*;

/// The four state flags.
const STATES: u32 = VIR_CONNECT_LIST_DOMAINS_RUNNING
    | VIR_CONNECT_LIST_DOMAINS_PAUSED
    | VIR_CONNECT_LIST_DOMAINS_SHUTOFF
    | VIR_CONNECT_LIST_DOMAINS_OTHER;

/// A listing's flags.
#[derive(Debug, Clone, Copy)]
pub struct Filter(pub u32);

/// What the filters look at in one domain.
#[derive(Debug, Clone, Copy, Default)]
pub struct Facts {
    /// Running or paused.
    pub active: bool,
    /// Has a persistent configuration.
    pub persistent: bool,
    /// Its `virDomainState`.
    pub state: i32,
    /// Has a managed save image.
    pub managed_save: bool,
    /// Starts with the host.
    pub autostart: bool,
    /// Has a snapshot.
    pub has_snapshot: bool,
    /// Has a checkpoint.
    pub has_checkpoint: bool,
}

impl Filter {
    /// Whether exactly one of the opposite flags `yes` and `no` is given:
    /// only then does the fact matter (and need fetching).
    pub fn asks(self, yes: u32, no: u32) -> bool {
        (self.0 & yes != 0) != (self.0 & no != 0)
    }

    /// Whether `yes` is asked and its opposite `no` is not: a driver whose
    /// domains can never be `yes` lists nothing then.
    pub fn only(self, yes: u32, no: u32) -> bool {
        self.0 & yes != 0 && self.0 & no == 0
    }

    /// Whether `value` passes the pair `yes`/`no`.
    pub fn pair(self, yes: u32, no: u32, value: bool) -> bool {
        !self.asks(yes, no) || value == (self.0 & yes != 0)
    }

    /// Whether `state` passes the state flags (a state other than running,
    /// paused and shut off counts as "other", as libvirt counts it).
    pub fn state(self, state: i32) -> bool {
        if self.0 & STATES == 0 {
            return true;
        }
        let flag = match state {
            VIR_DOMAIN_RUNNING => VIR_CONNECT_LIST_DOMAINS_RUNNING,
            VIR_DOMAIN_PAUSED => VIR_CONNECT_LIST_DOMAINS_PAUSED,
            VIR_DOMAIN_SHUTOFF => VIR_CONNECT_LIST_DOMAINS_SHUTOFF,
            _ => VIR_CONNECT_LIST_DOMAINS_OTHER,
        };
        self.0 & flag != 0
    }

    /// Whether a domain with `facts` passes every filter.
    pub fn matches(self, facts: &Facts) -> bool {
        self.state(facts.state)
            && self.pair(
                VIR_CONNECT_LIST_DOMAINS_ACTIVE,
                VIR_CONNECT_LIST_DOMAINS_INACTIVE,
                facts.active,
            )
            && self.pair(
                VIR_CONNECT_LIST_DOMAINS_PERSISTENT,
                VIR_CONNECT_LIST_DOMAINS_TRANSIENT,
                facts.persistent,
            )
            && self.pair(
                VIR_CONNECT_LIST_DOMAINS_MANAGEDSAVE,
                VIR_CONNECT_LIST_DOMAINS_NO_MANAGEDSAVE,
                facts.managed_save,
            )
            && self.pair(
                VIR_CONNECT_LIST_DOMAINS_AUTOSTART,
                VIR_CONNECT_LIST_DOMAINS_NO_AUTOSTART,
                facts.autostart,
            )
            && self.pair(
                VIR_CONNECT_LIST_DOMAINS_HAS_SNAPSHOT,
                VIR_CONNECT_LIST_DOMAINS_NO_SNAPSHOT,
                facts.has_snapshot,
            )
            && self.pair(
                VIR_CONNECT_LIST_DOMAINS_HAS_CHECKPOINT,
                VIR_CONNECT_LIST_DOMAINS_NO_CHECKPOINT,
                facts.has_checkpoint,
            )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_decide_only_when_one_side_is_asked() {
        let (a, i) = (VIR_CONNECT_LIST_DOMAINS_ACTIVE, VIR_CONNECT_LIST_DOMAINS_INACTIVE);
        assert!(Filter(0).pair(a, i, false));
        assert!(Filter(a | i).pair(a, i, false));
        assert!(Filter(a).pair(a, i, true));
        assert!(!Filter(a).pair(a, i, false));
        assert!(Filter(i).pair(a, i, false));
        assert!(!Filter(i).pair(a, i, true));
        assert!(Filter(a).only(a, i));
        assert!(!Filter(a | i).only(a, i));
        assert!(!Filter(i).only(a, i));
    }

    #[test]
    fn states_other_than_the_three_are_other() {
        let running = Filter(VIR_CONNECT_LIST_DOMAINS_RUNNING);
        assert!(running.state(VIR_DOMAIN_RUNNING));
        assert!(!running.state(VIR_DOMAIN_BLOCKED));
        assert!(Filter(VIR_CONNECT_LIST_DOMAINS_OTHER).state(VIR_DOMAIN_BLOCKED));
        assert!(Filter(0).state(VIR_DOMAIN_CRASHED));
        let facts = Facts {
            active: true,
            persistent: true,
            state: VIR_DOMAIN_PAUSED,
            ..Facts::default()
        };
        assert!(
            Filter(VIR_CONNECT_LIST_DOMAINS_PAUSED | VIR_CONNECT_LIST_DOMAINS_PERSISTENT).matches(&facts)
        );
        assert!(!Filter(VIR_CONNECT_LIST_DOMAINS_HAS_SNAPSHOT).matches(&facts));
    }
}
