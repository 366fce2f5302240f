//! Long-polls: a panel or an integrator asks once and hears of the next change, instead of asking
//! again and again. A waiter registers for its key before it reads, so a change committed after the
//! read wakes it; the store wakes it only after the commit, so what it reads then is the new state.
//! Another server process on the same database does not wake it, so it also reads again every
//! [`RECHECK`].

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use abholbox_core::ids::{PickupId, SessionId};
use abholbox_core::kiosk::Step;
use abholbox_core::pickup::PickupStatus;
use abholbox_store::PickupRecord;
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::kiosk::SessionView;
use crate::tokens::Principal;
use crate::{Result, Service};

/// The longest a request may wait, below the server's request time limit.
pub const MAX_WAIT: Duration = Duration::from_secs(10);

/// How often a waiter reads again without being woken: changes made by another server process.
pub const RECHECK: Duration = Duration::from_secs(1);

/// Long-polls held at once. A city's panels and integrators need a few hundred; past this, a request
/// is answered at once, as without `wait`, so that waiters cannot exhaust the server's memory.
pub const MAX_WAITERS: usize = 1000;

/// The long-polls in progress: counted, and told when the server stops.
#[derive(Debug, Default)]
pub struct WaitingRoom {
    waiters: AtomicUsize,
    closing: AtomicBool,
    closed: Notify,
    /// Sessions whose PIN step is being answered, with the moment the answer is due: a refusal
    /// commits before its answer waits out the floor, and nobody may read it off the session sooner.
    answers_due: std::sync::Mutex<HashMap<String, Instant>>,
}

/// A PIN step's hold on its session's reads, let go when the step has answered.
pub(crate) struct AnswerDue<'a> {
    room: &'a WaitingRoom,
    key: String,
    due: Instant,
}

impl Drop for AnswerDue<'_> {
    fn drop(&mut self) {
        let mut due = self.room.answers_due.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // A later step of the same session (a press twice over) keeps its own, later hold.
        if due.get(&self.key) == Some(&self.due) {
            due.remove(&self.key);
        }
    }
}

/// A place in the waiting room, given back when the request ends.
struct Seat<'a>(&'a WaitingRoom);

impl Drop for Seat<'_> {
    fn drop(&mut self) {
        self.0.waiters.fetch_sub(1, Ordering::AcqRel);
    }
}

impl WaitingRoom {
    /// Holds reads of the session `key` until `due` (or until the step answers, if sooner).
    pub(crate) fn answer_due(&self, key: &str, due: Instant) -> AnswerDue<'_> {
        let mut answers = self.answers_due.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let held = answers.entry(key.to_owned()).or_insert(due);
        *held = (*held).max(due);
        AnswerDue { room: self, key: key.to_owned(), due }
    }

    /// Waits while a PIN step of the session `key` has not answered yet, at most until its answer is
    /// due: what a read shows then, the step's own answer has shown too.
    pub(crate) async fn until_answered(&self, key: &str) {
        let due = self.answers_due.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(key).copied();
        if let Some(due) = due {
            tokio::time::sleep_until(due).await;
        }
    }

    fn enter(&self) -> Option<Seat<'_>> {
        if self.closing.load(Ordering::Acquire) {
            return None;
        }
        let before = self.waiters.fetch_add(1, Ordering::AcqRel);
        let seat = Seat(self);
        (before < MAX_WAITERS).then_some(seat)
    }
}

impl Service {
    /// Answers every long-poll at once with the state as it stands, and lets no new one wait: called
    /// when the server stops, so that a stop does not wait out the polls.
    pub fn stop_waiting(&self) {
        self.waiting.closing.store(true, Ordering::Release);
        self.waiting.closed.notify_waiters();
    }

    /// The session once its step differs from `seen` (the step the panel shows; without it, the step
    /// when the request came), or as it stands after `wait`.
    pub async fn wait_for_session(
        &self,
        kiosk: &Principal,
        id: &SessionId,
        seen: Option<Step>,
        wait: Duration,
    ) -> Result<SessionView> {
        self.wait_for(id.as_str(), seen, wait, || self.session(kiosk, id), |v| v.step).await
    }

    /// The session once anything in it changed since `seen_version` (a refused old document as much
    /// as a new step), or as it stands after `wait`: what the panel's pages wait on.
    pub async fn wait_for_session_change(
        &self,
        kiosk: &Principal,
        id: &SessionId,
        seen_version: i64,
        wait: Duration,
    ) -> Result<SessionView> {
        self.wait_for(id.as_str(), Some(seen_version), wait, || self.session(kiosk, id), |v| v.version).await
    }

    /// The pickup once its status differs from `seen` (or from its status when the request came), or
    /// as it stands after `wait`.
    pub async fn wait_for_pickup(
        &self,
        id: &PickupId,
        seen: Option<PickupStatus>,
        wait: Duration,
    ) -> Result<PickupRecord> {
        self.wait_for(id.as_str(), seen, wait, || self.pickup(id), |p| p.status).await
    }

    async fn wait_for<T, S, F, Fut>(
        &self,
        key: &str,
        mut seen: Option<S>,
        wait: Duration,
        read: F,
        state_of: impl Fn(&T) -> S,
    ) -> Result<T>
    where
        S: PartialEq + Copy,
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let Some(_seat) = self.waiting.enter() else { return read().await };
        let deadline = Instant::now() + wait.min(MAX_WAIT);
        loop {
            let notify = self.store.changes().watch(key);
            let changed = notify.notified();
            let stopping = self.waiting.closed.notified();
            tokio::pin!(changed, stopping);
            changed.as_mut().enable();
            stopping.as_mut().enable();
            let current = read().await?;
            let now = state_of(&current);
            match seen {
                Some(s) if s != now => return Ok(current),
                None => seen = Some(now),
                Some(_) => {}
            }
            let now = Instant::now();
            if now >= deadline || self.waiting.closing.load(Ordering::Acquire) {
                return Ok(current);
            }
            tokio::select! {
                _ = tokio::time::timeout_at(deadline.min(now + RECHECK), changed) => {}
                () = stopping => return read().await,
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_pin_answer_holds_its_session_reads_until_it_is_due() {
        use tokio::time::timeout;
        let room = WaitingRoom::default();
        let far = Instant::now() + Duration::from_secs(600);
        let first = room.answer_due("ks_1", far);
        timeout(Duration::from_secs(5), room.until_answered("ks_2")).await.expect("another session's reads go on");
        assert!(timeout(Duration::from_millis(50), room.until_answered("ks_1")).await.is_err(), "held");
        let again = room.answer_due("ks_1", far + Duration::from_secs(1));
        drop(first);
        assert!(timeout(Duration::from_millis(50), room.until_answered("ks_1")).await.is_err(), "the later hold stays");
        drop(again);
        timeout(Duration::from_secs(5), room.until_answered("ks_1")).await.expect("let go once answered");
        let start = Instant::now();
        let _soon = room.answer_due("ks_3", start + Duration::from_millis(30));
        room.until_answered("ks_3").await;
        assert!(start.elapsed() >= Duration::from_millis(30), "until the answer is due");
    }

    #[test]
    fn the_room_is_bounded_and_closes() {
        let room = WaitingRoom::default();
        let seats: Vec<_> = (0..MAX_WAITERS).map(|_| room.enter().unwrap()).collect();
        assert!(room.enter().is_none(), "one more than the room holds answers at once");
        drop(seats);
        let seat = room.enter();
        assert!(seat.is_some(), "places are given back");
        room.closing.store(true, Ordering::Release);
        assert!(room.enter().is_none(), "a stopping server lets nobody wait");
    }
}
