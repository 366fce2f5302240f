//! The use cases of abholbox.
//!
//! Each use case opens one store transaction, applies the pure rules of `abholbox-core`, writes the
//! new state together with what follows from it (event feed, outbox, audit), commits, and only then
//! talks to the box. Nothing is sent from inside a request: the outbox worker sends SMS, so a crash
//! never loses a message or sends two different PINs. Box facts (doors, the reader) arrive as events:
//! door events are stored before they are applied ([`box_events`]). Jobs on the service's clock end
//! sessions whose door stays open and expire what was not collected ([`housekeeping`]).
//!
//! Work that must not be cut off halfway (a committed claim being opened, a document being kept)
//! runs as a tracked task, so that shutdown waits for it ([`Service::finish_in_flight`]).

pub mod alarms;
pub mod audit;
pub mod bin;
pub mod box_events;
pub mod clock;
pub mod deposits;
mod error;
mod history;
mod hours;
pub mod housekeeping;
pub mod kiosk;
pub mod metrics;
pub mod notifications;
pub mod outbox;
pub mod overview;
mod personal;
pub mod phone_changes;
pub mod pickups;
pub mod principal;
pub mod recovery;
pub mod repairs;
pub mod retention;
pub mod secrets;
pub mod service_openings;
pub mod setup;
pub mod staff;
pub mod staff_sessions;
pub mod tokens;
pub mod waiting;
pub mod withdrawals;

use std::collections::HashMap;
use std::sync::Arc;

use abholbox_box::BoxDriver;
use abholbox_core::ids::BoxId;
use abholbox_core::kiosk::SessionLimits;
use abholbox_core::pickup::PickupRules;
use abholbox_core::pin::PinPolicy;
use abholbox_messages::Messages;
use abholbox_store::Store;
use tokio::sync::Notify;
use tokio_util::task::TaskTracker;

pub use error::{Error, Result};
pub use principal::Principal;

use crate::clock::Clock;
use crate::secrets::KeyRing;

/// The name of a server process that was not given one.
pub const DEFAULT_SERVER_NAME: &str = "abholbox";
/// How often a use case is tried again after a concurrent writer won.
const CONTENTION_RETRIES: u32 = 8;

/// The rules a deployment may tune.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    pub pin: PinPolicy,
    /// Lockouts across sessions and the pickup window.
    pub rules: PickupRules,
    /// What one kiosk session may try and how long it may wait.
    pub session: SessionLimits,
    /// How long what remains of an ended pickup is kept.
    pub retention: retention::RetentionPolicy,
    /// The least time a PIN step takes to answer, whatever it found.
    pub pin_step_floor: std::time::Duration,
    /// How refusals slow a panel down and when staff are alarmed.
    pub panel: abholbox_core::panel_limits::PanelLimits,
    /// When SMS are given up, held back and sent as reminders.
    pub sms: outbox::SmsPolicy,
}

/// Who asked for a change; recorded in the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// The registry software, by its token id.
    Integration(String),
    /// A kiosk panel at a box, by its token id.
    Kiosk(BoxId, String),
    /// The box hardware reporting a fact.
    Box(BoxId),
    /// A signed-in staff member, by their account id.
    Staff(String),
    /// Someone at the server's command line.
    Operator(String),
    /// The service itself (start-up checks, workers).
    System,
}

impl std::fmt::Display for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Integration(id) => write!(f, "token:{id}"),
            Self::Kiosk(b, token) => write!(f, "kiosk:{b}:{token}"),
            Self::Box(b) => write!(f, "box:{b}"),
            Self::Staff(id) => write!(f, "staff:{id}"),
            Self::Operator(name) => write!(f, "operator:{name}"),
            Self::System => f.write_str("system"),
        }
    }
}

/// Everything the use cases need; cheap to clone: one shared count, since the HTTP layer clones it
/// for every request, where a dozen counts of its parts cost a hundredth of the server's CPU.
#[derive(Clone)]
pub struct Service(Arc<Parts>);

impl std::ops::Deref for Service {
    type Target = Parts;

    fn deref(&self) -> &Parts {
        &self.0
    }
}

/// What a [`Service`] holds.
#[derive(Clone)]
pub struct Parts {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    keys: Arc<KeyRing>,
    drivers: Arc<HashMap<BoxId, Arc<dyn BoxDriver>>>,
    messages: Arc<Messages>,
    policy: Policy,
    outbox_wakeup: Arc<Notify>,
    box_events_wakeup: Arc<Notify>,
    in_flight: TaskTracker,
    /// Who long-polls, so that their number stays bounded and a stop answers them at once.
    waiting: Arc<waiting::WaitingRoom>,
    /// This server process's name among those sharing the database.
    server: Arc<str>,
    /// SMS this process handed to a gateway, and gave up.
    sms_counts: Arc<metrics::SmsCounts>,
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
        let keys = Arc::new(keys);
        let sealer = keys.clone();
        store.audit_seal().set(Arc::new(move |entry: &[u8]| sealer.audit_seal(entry)));
        Self(Arc::new(Parts {
            store,
            clock,
            keys,
            drivers: Arc::new(drivers),
            messages,
            policy,
            outbox_wakeup: Arc::new(Notify::new()),
            box_events_wakeup: Arc::new(Notify::new()),
            in_flight: TaskTracker::new(),
            waiting: Arc::default(),
            server: Arc::from(DEFAULT_SERVER_NAME),
            sms_counts: Arc::default(),
        }))
    }

    /// Names this server process among those sharing one database: each takes up after a restart only
    /// the work it left in flight itself.
    pub fn named(mut self, server: &str) -> Self {
        Arc::make_mut(&mut self.0).server = Arc::from(server);
        self
    }

    /// Runs a use case again when a concurrent writer changed what it read (a conditional write that
    /// lost, a deadlock the database broke): nothing was committed, and the next try reads afresh. With
    /// one SQLite writer this does not happen; with several PostgreSQL processes it does.
    pub(crate) async fn retrying<T, F, Fut>(&self, mut attempt: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        let mut tries: u32 = 0;
        loop {
            match attempt().await {
                Err(Error::Contention) if tries < CONTENTION_RETRIES => {
                    tries += 1;
                    let pause = rand::RngExt::random_range(&mut rand::rng(), 1..=5 * u64::from(tries));
                    tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
                }
                other => return other,
            }
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

    /// Wakes the outbox worker: after a commit that queued a message, or when the clock was moved.
    pub fn wake_outbox(&self) {
        self.outbox_wakeup.notify_one();
    }

    /// Runs work that must finish once begun (the box command after a committed claim, a loading's
    /// door) as a task that neither a caller who gives up nor a shutdown can cut off, and answers
    /// what it did. The writes the work saw before they were durable are the caller's to wait for, as
    /// if it had done the work itself: a task does not inherit the caller's [`abholbox_store::settled`]
    /// scope, so it settles in its own and hands a lost flush back.
    async fn in_flight<F>(&self, work: F) -> std::result::Result<F::Output, tokio::task::JoinError>
    where
        F: std::future::Future + Send + 'static,
        F::Output: Send + 'static,
    {
        run_tracked(&self.in_flight, work).await
    }

    /// Like [`Self::in_flight`] for work whose caller does not wait for it (nobody outside hears its
    /// answer, so nothing needs settling).
    fn in_flight_detached<F>(&self, work: F)
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        self.in_flight.spawn(work);
    }

    /// Waits for the work in flight to finish, at most `limit`. Called at shutdown once no more requests
    /// come in and the box reports have stopped; returns whether everything finished in time.
    pub async fn finish_in_flight(&self, limit: std::time::Duration) -> bool {
        self.in_flight.close();
        tokio::time::timeout(limit, self.in_flight.wait()).await.is_ok()
    }
}

/// Spawns `work` on `tracker` and hands what it saw before it was durable back to the caller's scope.
async fn run_tracked<F>(tracker: &TaskTracker, work: F) -> std::result::Result<F::Output, tokio::task::JoinError>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let (out, durable) = tracker.spawn(abholbox_store::settled(work)).await?;
    if let Err(lost) = durable {
        abholbox_store::wait_before_answering(std::future::ready(Err(lost)));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A claim finished in a task of its own must not answer the kiosk before the writes it saw are
    /// durable, nor answer as if they were when their flush failed.
    #[tokio::test]
    async fn a_tracked_task_hands_a_lost_flush_back_to_its_caller() {
        let tracker = TaskTracker::new();
        let (out, durable) = abholbox_store::settled(run_tracked(&tracker, async {
            abholbox_store::wait_before_answering(std::future::ready(Err(abholbox_store::StoreError::Retry)));
            7
        }))
        .await;
        assert_eq!(out.ok(), Some(7));
        assert!(durable.is_err(), "the caller's answer waits for the task's lost flush");
        let (_, durable) = abholbox_store::settled(run_tracked(&tracker, async { 8 })).await;
        assert!(durable.is_ok());
    }
}
