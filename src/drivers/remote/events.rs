//! Domain events from the daemon: the client keeps its callbacks locally (as
//! libvirt's remote driver does) and holds one daemon-side registration per
//! event id while any local callback wants it; the daemon's event messages
//! are queued on the local state and delivered on the application's loop.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;

use crate::abi::*;
use crate::domain_events::{DomainEvent, DomainEventState, Subscription};
use crate::driver::DomainRef;
use crate::error::{Error, Result};
use crate::rpc::xdr;

use super::client::Client;
use super::protocol::proc_::*;

/// The local callbacks and the daemon-side registrations behind them.
pub struct RemoteEvents {
    /// Where decoded events are queued and callbacks kept.
    pub state: Arc<DomainEventState>,
    /// Event id -> the daemon's callback id; the lock also orders
    /// registrations so only one thread registers an event id.
    server: Mutex<HashMap<i32, i32>>,
}

impl Default for RemoteEvents {
    fn default() -> Self {
        RemoteEvents {
            state: DomainEventState::new(),
            server: Mutex::new(HashMap::new()),
        }
    }
}

impl RemoteEvents {
    /// No callbacks yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// What the reader thread does with a server-sent message.
    pub fn sink(state: Arc<DomainEventState>) -> super::client::EventSink {
        Box::new(move |proc_, payload| {
            if let Some((dom, event)) = decode(proc_, payload) {
                state.queue(&dom, event);
            }
        })
    }

    /// Adds a local callback, registering its event id with the daemon when
    /// it is the first.
    pub fn register(&self, client: &Client, sub: Subscription) -> Result<i32> {
        let event_id = sub.event_id;
        let owner = sub.owner;
        let mut server = self.server.lock();
        let id = self.state.register(sub)?;
        if let std::collections::hash_map::Entry::Vacant(slot) = server.entry(event_id) {
            let none: Option<DomainRef> = None;
            match client.call::<_, (i32,)>(CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY, &(event_id, none)) {
                Ok((cb,)) => {
                    slot.insert(cb);
                }
                Err(e) => {
                    let _ = self.state.deregister(owner, id);
                    return Err(e);
                }
            }
        }
        Ok(id)
    }

    /// Removes local callback `id`, and the daemon's registration with the last.
    pub fn deregister(&self, client: &Client, owner: usize, id: i32) -> Result<()> {
        let mut server = self.server.lock();
        let Some(event_id) = self.state.event_id_of(owner, id) else {
            // libvirt's remote driver looks the id up before anything else.
            return Err(Error::invalid_arg(
                VIR_FROM_NONE,
                format!("event callback id {id} not registered"),
            ));
        };
        self.state.deregister(owner, id)?;
        self.release(client, &mut server, event_id)
    }

    /// Removes an old-style lifecycle callback; how many remain.
    pub fn deregister_legacy(&self, client: &Client, owner: usize, key: usize) -> Result<i32> {
        let mut server = self.server.lock();
        self.state.deregister_legacy(owner, key)?;
        self.release(client, &mut server, VIR_DOMAIN_EVENT_ID_LIFECYCLE)?;
        Ok(self.state.legacy_count(owner) as i32)
    }

    fn release(&self, client: &Client, server: &mut HashMap<i32, i32>, event_id: i32) -> Result<()> {
        if self.state.count(event_id) == 0 {
            if let Some(cb) = server.remove(&event_id) {
                client.call::<_, ()>(CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY, &(cb,))?;
            }
        }
        Ok(())
    }
}

/// The domain and event a `domain_event_callback_*` message carries (after
/// its callback id); None for events this library does not deliver.
fn decode(proc_: i32, payload: &[u8]) -> Option<(DomainRef, DomainEvent)> {
    match proc_ {
        DOMAIN_EVENT_CALLBACK_LIFECYCLE => {
            let (_cb, dom, event, detail): (i32, DomainRef, i32, i32) = xdr::from_bytes(payload).ok()?;
            Some((dom, DomainEvent::lifecycle(event, detail)))
        }
        DOMAIN_EVENT_CALLBACK_REBOOT => {
            let (_cb, dom): (i32, DomainRef) = xdr::from_bytes(payload).ok()?;
            Some((dom, DomainEvent::Reboot))
        }
        DOMAIN_EVENT_CALLBACK_METADATA_CHANGE => {
            let (_cb, dom, kind, uri): (i32, DomainRef, i32, Option<String>) =
                xdr::from_bytes(payload).ok()?;
            Some((dom, DomainEvent::MetadataChange { kind, uri }))
        }
        _ => None,
    }
}
