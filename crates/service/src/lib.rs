//! The use cases of abholbox.
//!
//! Each use case opens one store transaction, applies the pure rules of `abholbox-core`, writes the
//! new state together with what follows from it (event feed, outbox, audit), commits, and only then
//! talks to the box. Nothing is sent from inside a request: the outbox worker sends SMS, so a crash
//! never loses a message or sends two different PINs. Box facts (doors, the reader) arrive as events
//! and are handled in [`box_events`].

pub mod box_events;
pub mod clock;
pub mod deposits;
mod error;
mod history;
pub mod kiosk;
mod notifications;
pub mod outbox;
pub mod pickups;
pub mod recovery;
pub mod secrets;
pub mod setup;
pub mod tokens;

use std::collections::HashMap;
use std::sync::Arc;

use abholbox_box::BoxDriver;
use abholbox_core::ids::BoxId;
use abholbox_core::kiosk::SessionLimits;
use abholbox_core::pin::PinPolicy;
use abholbox_messages::Messages;
use abholbox_store::Store;
use chrono::Duration;
use tokio::sync::Notify;

pub use error::{Error, Result};

use crate::clock::Clock;
use crate::secrets::KeyRing;

/// The rules a deployment may tune.
#[derive(Debug, Clone)]
pub struct Policy {
    pub pin: PinPolicy,
    /// Wrong PINs per pickup (across sessions) before it is locked for a supervisor.
    pub lockout_after: u32,
    pub session: SessionLimits,
    /// How long a document waits in its compartment before it expires (most cities: 10 days).
    pub pickup_window: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            pin: PinPolicy::default(),
            lockout_after: 5,
            session: SessionLimits::default(),
            pickup_window: Duration::days(10),
        }
    }
}

/// Who asked for a change; recorded in the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// The registry software, by its token id.
    Integration(String),
    /// A kiosk panel at a box.
    Kiosk(BoxId),
    /// The box hardware reporting a fact.
    Box(BoxId),
    /// A person at the command line, by the name they gave.
    Operator(String),
    /// The service itself (start-up checks, workers).
    System,
}

impl std::fmt::Display for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Integration(id) => write!(f, "token:{id}"),
            Self::Kiosk(b) => write!(f, "kiosk:{b}"),
            Self::Box(b) => write!(f, "box:{b}"),
            Self::Operator(name) => write!(f, "operator:{name}"),
            Self::System => f.write_str("system"),
        }
    }
}

/// Everything the use cases need; cheap to clone.
#[derive(Clone)]
pub struct Service {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    keys: Arc<KeyRing>,
    drivers: Arc<HashMap<BoxId, Arc<dyn BoxDriver>>>,
    messages: Arc<Messages>,
    policy: Policy,
    outbox_wakeup: Arc<Notify>,
}

impl Service {
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        keys: KeyRing,
        drivers: HashMap<BoxId, Arc<dyn BoxDriver>>,
        messages: Arc<Messages>,
        policy: Policy,
    ) -> Self {
        Self {
            store,
            clock,
            keys: Arc::new(keys),
            drivers: Arc::new(drivers),
            messages,
            policy,
            outbox_wakeup: Arc::new(Notify::new()),
        }
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    fn driver(&self, box_id: &BoxId) -> Result<&Arc<dyn BoxDriver>> {
        self.drivers.get(box_id).ok_or(Error::NoDriver)
    }

    /// Wakes the outbox worker after a commit that queued a message.
    fn wake_outbox(&self) {
        self.outbox_wakeup.notify_one();
    }
}
