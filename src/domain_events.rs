//! Domain events as libvirt delivers them: drivers queue events, and a timer on
//! the application's event loop hands them to the registered callbacks, in
//! registration order, outside any driver lock.

use std::collections::VecDeque;
use std::sync::{Arc, Weak};

use parking_lot::Mutex;

use crate::abi::*;
use crate::domain::Uuid;
use crate::driver::DomainRef;
use crate::error::{Error, Result};

/// One event, with the data its callback type carries.
#[derive(Debug, Clone, PartialEq)]
pub enum DomainEvent {
    /// `VIR_DOMAIN_EVENT_ID_LIFECYCLE`: a `virDomainEventType` and its detail.
    Lifecycle {
        /// `VIR_DOMAIN_EVENT_*`.
        event: i32,
        /// The type-specific detail.
        detail: i32,
    },
    /// `VIR_DOMAIN_EVENT_ID_REBOOT`.
    Reboot,
    /// `VIR_DOMAIN_EVENT_ID_METADATA_CHANGE`: a `virDomainMetadataType` and,
    /// for an element, its namespace.
    MetadataChange {
        /// `VIR_DOMAIN_METADATA_*`.
        kind: i32,
        /// The element's namespace URI.
        uri: Option<String>,
    },
}

impl DomainEvent {
    /// The `VIR_DOMAIN_EVENT_ID_*` this event is delivered under.
    pub fn id(&self) -> i32 {
        match self {
            DomainEvent::Lifecycle { .. } => VIR_DOMAIN_EVENT_ID_LIFECYCLE,
            DomainEvent::Reboot => VIR_DOMAIN_EVENT_ID_REBOOT,
            DomainEvent::MetadataChange { .. } => VIR_DOMAIN_EVENT_ID_METADATA_CHANGE,
        }
    }

    /// A lifecycle event.
    pub fn lifecycle(event: i32, detail: i32) -> Self {
        DomainEvent::Lifecycle { event, detail }
    }
}

/// What a registration calls: the domain and the event.
pub type EventFn = Box<dyn Fn(&DomainRef, &DomainEvent) + Send + Sync>;

struct Registration {
    id: i32,
    /// Which connection registered it (its handle address): callbacks belong
    /// to a connection and go away with it.
    owner: usize,
    event_id: i32,
    domain: Option<Uuid>,
    /// Marks the old `virConnectDomainEventRegister` kind, found by function.
    legacy_key: Option<usize>,
    func: Arc<EventFn>,
}

#[derive(Default)]
struct Inner {
    registrations: Vec<Registration>,
    next_id: i32,
    queue: VecDeque<(DomainRef, DomainEvent)>,
    timer: Option<i32>,
}

/// The events of one driver state, shared by every connection to it.
#[derive(Default)]
pub struct DomainEventState {
    inner: Mutex<Inner>,
}

/// A new registration.
pub struct Subscription {
    /// The connection registering (its handle address).
    pub owner: usize,
    /// `VIR_DOMAIN_EVENT_ID_*`.
    pub event_id: i32,
    /// Only this domain's events, when given.
    pub domain: Option<Uuid>,
    /// Identifies old-style registrations (the callback's address).
    pub legacy_key: Option<usize>,
    /// The callback.
    pub func: EventFn,
}

impl DomainEventState {
    /// A state with no registrations.
    pub fn new() -> Arc<Self> {
        Arc::new(DomainEventState::default())
    }

    /// Adds a registration and returns its callback id (0, 1, ...).  Needs an
    /// event loop to deliver on, as libvirt does.
    pub fn register(self: &Arc<Self>, sub: Subscription) -> Result<i32> {
        let mut inner = self.inner.lock();
        if let Some(key) = sub.legacy_key {
            if inner
                .registrations
                .iter()
                .any(|r| r.owner == sub.owner && r.legacy_key == Some(key))
            {
                return Err(Error::invalid_arg(
                    VIR_FROM_NONE,
                    "event callback already tracked",
                ));
            }
        }
        if inner.timer.is_none() {
            let weak: Weak<Self> = Arc::downgrade(self);
            let timer = crate::event::add_timeout(-1, move |_| {
                if let Some(state) = weak.upgrade() {
                    state.dispatch();
                }
            })
            .ok_or_else(|| Error::internal(VIR_FROM_NONE, "could not initialize domain event timer"))?;
            inner.timer = Some(timer);
        }
        let id = inner.next_id;
        inner.next_id += 1;
        inner.registrations.push(Registration {
            id,
            owner: sub.owner,
            event_id: sub.event_id,
            domain: sub.domain,
            legacy_key: sub.legacy_key,
            func: Arc::new(sub.func),
        });
        Ok(id)
    }

    /// Removes the registration `id` of `owner`.
    pub fn deregister(&self, owner: usize, id: i32) -> Result<()> {
        let removed = {
            let mut inner = self.inner.lock();
            let pos = inner
                .registrations
                .iter()
                .position(|r| r.id == id && r.owner == owner);
            pos.map(|p| inner.registrations.remove(p))
        };
        // Dropped outside the lock: its free callback may call back into us.
        match removed {
            Some(r) => {
                drop(r);
                Ok(())
            }
            None => Err(Error::invalid_arg(
                VIR_FROM_NONE,
                format!("could not find event callback {id} for deletion"),
            )),
        }
    }

    /// Removes an old-style registration of `owner` found by its callback.
    pub fn deregister_legacy(&self, owner: usize, key: usize) -> Result<()> {
        let removed = {
            let mut inner = self.inner.lock();
            let pos = inner
                .registrations
                .iter()
                .position(|r| r.owner == owner && r.legacy_key == Some(key));
            pos.map(|p| inner.registrations.remove(p))
        };
        match removed {
            Some(r) => {
                drop(r);
                Ok(())
            }
            None => Err(Error::invalid_arg(
                VIR_FROM_NONE,
                "could not find event callback for removal",
            )),
        }
    }

    /// Drops every registration of a closing connection.
    pub fn remove_owner(&self, owner: usize) {
        let removed: Vec<Registration> = {
            let mut inner = self.inner.lock();
            let (gone, kept) = std::mem::take(&mut inner.registrations)
                .into_iter()
                .partition(|r| r.owner == owner);
            inner.registrations = kept;
            gone
        };
        drop(removed);
    }

    /// The event id registration `id` of `owner` listens to.
    pub fn event_id_of(&self, owner: usize, id: i32) -> Option<i32> {
        self.inner
            .lock()
            .registrations
            .iter()
            .find(|r| r.owner == owner && r.id == id)
            .map(|r| r.event_id)
    }

    /// How many registrations listen to `event_id` (a remote client keeps
    /// one registration with the daemon while this is non-zero).
    pub fn count(&self, event_id: i32) -> usize {
        self.inner
            .lock()
            .registrations
            .iter()
            .filter(|r| r.event_id == event_id)
            .count()
    }

    /// How many old-style registrations `owner` still has (what libvirt's
    /// `virConnectDomainEventDeregister` returns).
    pub fn legacy_count(&self, owner: usize) -> usize {
        self.inner
            .lock()
            .registrations
            .iter()
            .filter(|r| r.owner == owner && r.legacy_key.is_some())
            .count()
    }

    /// Queues an event; it is delivered on the next loop iteration.
    pub fn queue(&self, dom: &DomainRef, event: DomainEvent) {
        let mut inner = self.inner.lock();
        if inner.registrations.is_empty() {
            return;
        }
        inner.queue.push_back((dom.clone(), event));
        if let Some(timer) = inner.timer {
            crate::event::update_timeout(timer, 0);
        }
    }

    /// Delivers the queued events (the timer's work).
    fn dispatch(&self) {
        let (events, targets): (Vec<_>, Vec<_>) = {
            let mut inner = self.inner.lock();
            if let Some(timer) = inner.timer {
                crate::event::update_timeout(timer, -1);
            }
            let events: Vec<_> = inner.queue.drain(..).collect();
            let targets: Vec<_> = inner
                .registrations
                .iter()
                .map(|r| (r.id, r.event_id, r.domain, r.func.clone()))
                .collect();
            (events, targets)
        };
        for (dom, event) in &events {
            for (id, event_id, domain, func) in &targets {
                if *event_id != event.id() || domain.is_some_and(|u| u != dom.uuid) {
                    continue;
                }
                // A callback removed by an earlier one in this round is skipped.
                if !self.inner.lock().registrations.iter().any(|r| r.id == *id) {
                    continue;
                }
                func(dom, event);
            }
        }
    }
}

impl Drop for DomainEventState {
    fn drop(&mut self) {
        if let Some(timer) = self.inner.get_mut().timer {
            crate::event::remove_timeout(timer);
        }
    }
}
