//! Facts from the boxes: doors and the document slots.
//!
//! A door that closes is the moment that matters: after loading it makes a pickup ready, after a
//! claim it is the proof of hand-over, after a withdrawal the document is out. So a door event is
//! stored the moment it arrives and applied from storage, in arrival order, until it succeeds: a busy
//! database or a restart delays it but cannot lose it, and the transaction that applies it also marks
//! it applied, so it takes effect exactly once. Only the door of the compartment opened for a loading,
//! a claim or a withdrawal counts; anything else is recorded for staff, never acted on.
//!
//! A document read is not stored: it carries personal data, and the citizen is standing at the slot.
//! It is handled at once and, when that fails, the document is given back to be inserted again.

use std::time::Duration;

use abholbox_box::{BoxEvent, BoxReport};
use abholbox_core::compartment::{CompartmentState, Defect};
use abholbox_core::ids::{BoxId, CompartmentNo};
use abholbox_core::kiosk::SessionEvent;
use abholbox_core::pickup::{PickupEvent, door_closed_event, expects_door};
use abholbox_store::{BoxEventRecord, DoorMove, NewAuditEntry, NewBoxEvent, Tx};
use chrono::{DateTime, Utc};
use serde_json::json;
use tokio::sync::{mpsc, watch};

use crate::history::AfterCommit;
use crate::kiosk::save;
use crate::{Actor, Error, Result, Service};

/// How long the applier waits between looks when nothing wakes it (events of another process).
const IDLE_POLL: Duration = Duration::from_secs(1);
/// The longest wait between two tries of an event that keeps failing.
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// Events applied per look at the store.
const BATCH: u32 = 100;
/// Box reports handled side by side; each compartment's and each slot's stay in one lane, in order.
/// The lanes do not bound their queues: a lane opening a compartment sends that box's next report
/// into the channel the dispatcher drains, so a dispatcher waiting for a full lane could wait for
/// itself. Reports come at the pace of hands and doors, and the drivers' channel bounds them.
const REPORT_LANES: usize = 8;

fn backoff(failures: u32) -> Duration {
    Duration::from_millis(50u64.saturating_mul(1 << failures.min(10))).min(MAX_BACKOFF)
}

impl Service {
    /// Takes box reports until the drivers are gone or `shutdown` turns true. Reports are spread over
    /// [`REPORT_LANES`] lanes by compartment (door events) or slot (document reads), so one
    /// compartment's events stay in order while the others' go on beside them. Door events are stored
    /// (retrying while the store fails; the lane waits meanwhile) and applied; document reads are
    /// handled at once. At shutdown the channel is closed to new reports and the door events it
    /// already holds are still stored, so a door that closed just before the stop counts; a document
    /// read then is given back, since no hand-over may start any more.
    pub async fn run_box_reports(&self, mut reports: mpsc::Receiver<BoxReport>, mut shutdown: watch::Receiver<bool>) {
        let mut lanes = Vec::with_capacity(REPORT_LANES);
        let mut workers = tokio::task::JoinSet::new();
        for _ in 0..REPORT_LANES {
            let (lane, mut queue) = mpsc::unbounded_channel::<BoxReport>();
            let (service, stopping) = (self.clone(), shutdown.clone());
            workers.spawn(async move {
                while let Some(report) = queue.recv().await {
                    match report.event {
                        BoxEvent::DocumentRead { slot, .. } if *stopping.borrow() => {
                            if let Ok(driver) = service.driver(&report.box_id) {
                                let _ = driver.return_document(slot).await;
                            }
                        }
                        _ => service.take_report(report).await,
                    }
                }
            });
            lanes.push(lane);
        }
        let lane_of = |report: &BoxReport| {
            use std::hash::{Hash, Hasher};
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            report.box_id.hash(&mut hasher);
            match &report.event {
                BoxEvent::DoorOpened { compartment } | BoxEvent::DoorClosed { compartment, .. } => {
                    ("door", compartment.get()).hash(&mut hasher)
                }
                BoxEvent::DocumentRead { slot, .. } => ("slot", slot.get()).hash(&mut hasher),
                BoxEvent::BoardSilent { .. } | BoxEvent::BoardAnswers { .. } | BoxEvent::Fault { .. } => {}
            }
            usize::try_from(hasher.finish() % REPORT_LANES as u64).unwrap_or(0)
        };
        loop {
            tokio::select! {
                report = reports.recv() => match report {
                    Some(report) => {
                        if let Some(lane) = lanes.get(lane_of(&report)) {
                            let _ = lane.send(report);
                        }
                    }
                    None => break,
                },
                _ = shutdown.changed() => break,
            }
        }
        reports.close();
        while let Some(report) = reports.recv().await {
            if let Some(lane) = lanes.get(lane_of(&report)) {
                let _ = lane.send(report);
            }
        }
        drop(lanes);
        while workers.join_next().await.is_some() {}
    }

    /// Takes one report: a door event is stored and the applier woken, a read handled, a fault
    /// recorded.
    pub async fn take_report(&self, report: BoxReport) {
        match report.event {
            BoxEvent::DoorOpened { compartment } => {
                self.store_door(&report.box_id, DoorMove::Opened, compartment, report.at, None).await
            }
            BoxEvent::DoorClosed { compartment, item_inside } => {
                self.store_door(&report.box_id, DoorMove::Closed, compartment, report.at, item_inside).await
            }
            BoxEvent::BoardSilent { board, compartments } => {
                let detail = json!({ "board": board, "compartments": compartments.len(), "seq": report.seq });
                // One alarm per board: named by the first compartment it drives.
                let first = compartments.iter().min().copied();
                if let Err(e) = self.board_silent(&report.box_id, first, report.at, detail).await {
                    tracing::error!(error = %e, "silent board not recorded");
                }
            }
            BoxEvent::BoardAnswers { board } => {
                tracing::info!(box_id = %report.box_id, %board, "lock controller answers again");
                if let Err(e) = self.audit_box(&report.box_id, "board_answers", json!({ "board": board })).await {
                    tracing::error!(error = %e, "board's return not recorded");
                }
            }
            BoxEvent::DocumentRead { slot, mrz } => {
                if let Err(e) = self.document_read(&report.box_id, slot, &mrz).await {
                    tracing::error!(box_id = %report.box_id, %slot, error = %e, "document read not handled; given back");
                    if let Ok(driver) = self.driver(&report.box_id) {
                        let _ = driver.return_document(slot).await;
                    }
                }
            }
            BoxEvent::Fault { detail } => {
                tracing::warn!(box_id = %report.box_id, %detail, "box fault");
                if let Err(e) = self.audit_box(&report.box_id, "box_fault", json!({ "detail": detail })).await {
                    tracing::error!(error = %e, "box fault not recorded");
                }
            }
        }
    }

    /// Stores a door event as it arrives and, when no earlier event of its compartment waits, applies
    /// it in the same transaction: one commit, and the pickup moves on at once. When that cannot be
    /// done (an earlier event waits, or applying fails), the event is stored alone and the applier
    /// takes it from storage. Never gives up storing, because a lost door event is a lost proof.
    async fn store_door(
        &self,
        box_id: &BoxId,
        door: DoorMove,
        compartment: CompartmentNo,
        at: DateTime<Utc>,
        item_inside: Option<bool>,
    ) {
        let event = NewBoxEvent { box_id: box_id.clone(), door, compartment, at, item_inside };
        match self.store_and_apply(&event).await {
            Ok(Some(after)) => {
                if let Err(e) = self.after_commit(after).await {
                    tracing::error!(%box_id, %compartment, error = %e, "after a door event");
                }
                return;
            }
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(%box_id, %compartment, error = %e, "door event not applied at once; stored for the applier");
                let mut failures = 0;
                while let Err(e) = self.insert_box_event(&event).await {
                    tracing::error!(%box_id, %compartment, error = %e, "door event not stored yet; retrying");
                    tokio::time::sleep(backoff(failures)).await;
                    failures += 1;
                }
            }
        }
        self.box_events_wakeup.notify_one();
    }

    /// Stores a door event and applies it in one transaction; `None` when an earlier event of the
    /// compartment still waits, and the new one was stored behind it.
    async fn store_and_apply(&self, event: &NewBoxEvent) -> Result<Option<Vec<AfterCommit>>> {
        let mut tx = self.store.begin().await?;
        let (_, applied) = tx.insert_box_event_unless_behind(event, self.clock.now()).await?;
        if !applied {
            tx.commit().await?;
            return Ok(None);
        }
        let after = self
            .apply_door(tx.as_mut(), event.door, &event.box_id, event.compartment, event.at, event.item_inside)
            .await?;
        tx.commit().await?;
        Ok(Some(after))
    }

    async fn insert_box_event(&self, event: &NewBoxEvent) -> Result<()> {
        let mut tx = self.store.begin().await?;
        tx.insert_box_event(event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Applies stored door events until `shutdown` turns true. An event that fails for a passing
    /// reason is tried again, with growing pauses, for as long as it takes; later events wait behind
    /// it, because a door's close means nothing before its open.
    pub async fn run_box_event_applier(&self, mut shutdown: watch::Receiver<bool>) {
        let mut failures = 0;
        loop {
            if *shutdown.borrow() {
                return;
            }
            let pause = match self.apply_pending_box_events().await {
                Ok(0) => {
                    failures = 0;
                    tokio::select! {
                        () = self.box_events_wakeup.notified() => {}
                        () = tokio::time::sleep(IDLE_POLL) => {}
                        _ = shutdown.changed() => {}
                    }
                    continue;
                }
                Ok(_) => {
                    failures = 0;
                    continue;
                }
                Err(e) => {
                    tracing::error!(error = %e, attempt = failures + 1, "door event not applied yet; retrying");
                    failures += 1;
                    backoff(failures)
                }
            };
            tokio::select! {
                () = tokio::time::sleep(pause) => {}
                _ = shutdown.changed() => {}
            }
        }
    }

    /// Applies the stored door events in order; returns how many it applied. Stops at the first that
    /// fails for a passing reason (it stays pending, its attempt counted). One that can never apply is
    /// given up, kept in the store and recorded for staff.
    pub async fn apply_pending_box_events(&self) -> Result<usize> {
        let mut applied = 0;
        for event in self.store.pending_box_events(BATCH).await? {
            match self.apply_box_event(&event).await {
                Ok(after) => {
                    applied += 1;
                    self.after_commit(after).await?;
                }
                Err(e @ (Error::Contention | Error::Store(_))) => {
                    if let Err(also) = self.store.box_event_attempt_failed(event.id, &e.to_string()).await {
                        tracing::warn!(error = %also, "failed attempt not counted");
                    }
                    return Err(e);
                }
                Err(e) => {
                    tracing::error!(event = event.id, error = %e, "door event can never apply; given up for staff");
                    self.store.box_event_given_up(event.id, self.clock.now(), &e.to_string()).await?;
                    let detail =
                        json!({ "event": event.id, "compartment": event.compartment.get(), "error": e.to_string() });
                    self.audit_box(&event.box_id, "box_event_given_up", detail).await?;
                }
            }
        }
        Ok(applied)
    }

    /// Applies one stored door event and marks it applied, in one transaction.
    async fn apply_box_event(&self, event: &BoxEventRecord) -> Result<Vec<AfterCommit>> {
        let mut tx = self.store.begin().await?;
        if !tx.box_event_applied(event.id, self.clock.now()).await? {
            return Ok(Vec::new());
        }
        let after = self
            .apply_door(tx.as_mut(), event.door, &event.box_id, event.compartment, event.at, event.item_inside)
            .await?;
        tx.commit().await?;
        Ok(after)
    }

    async fn apply_door(
        &self,
        tx: &mut dyn Tx,
        door: DoorMove,
        box_id: &BoxId,
        c: CompartmentNo,
        at: DateTime<Utc>,
        item_inside: Option<bool>,
    ) -> Result<Vec<AfterCommit>> {
        match door {
            DoorMove::Opened => {
                self.door_opened(tx, box_id, c, at).await?;
                Ok(Vec::new())
            }
            DoorMove::Closed => self.door_closed(tx, box_id, c, at, item_inside).await,
        }
    }

    async fn door_opened(&self, tx: &mut dyn Tx, box_id: &BoxId, c: CompartmentNo, at: DateTime<Utc>) -> Result<()> {
        match tx.pickup_in_compartment(box_id, c).await? {
            Some(mut p) if expects_door(&p.state()) => {
                p.door_opened_at = Some(at);
                p.updated_at = at;
                if !tx.update_pickup(&p).await? {
                    return Err(Error::Contention);
                }
            }
            _ if tx.open_service_opening(box_id, c).await?.is_some() => {
                tx.append_audit(&audit(box_id, at, "service_door_opened", json!({ "compartment": c.get() }))).await?;
            }
            _ => {
                // Forced, or a lock that let go: whatever is inside may be gone or tampered with, so
                // the compartment is blocked until a person has looked (`return-to-service`).
                tracing::warn!(%box_id, compartment = %c, "door opened without a loading, a claim or a withdrawal");
                tx.append_audit(&audit(box_id, at, "door_opened_unexpectedly", json!({ "compartment": c.get() })))
                    .await?;
                for from in [CompartmentState::Free, CompartmentState::Occupied] {
                    tx.retire_compartment(box_id, c, from, Defect::DoorForced).await?;
                }
                self.box_alarm(tx, box_id, "door_forced", Some(c), at, json!({})).await?;
            }
        }
        Ok(())
    }

    /// A lock controller went silent: its compartments are not offered meanwhile (the driver says
    /// so), and staff are told.
    async fn board_silent(
        &self,
        box_id: &BoxId,
        first: Option<CompartmentNo>,
        at: DateTime<Utc>,
        detail: serde_json::Value,
    ) -> Result<()> {
        let mut tx = self.store.begin().await?;
        tx.append_audit(&audit(box_id, at, "board_silent", detail.clone())).await?;
        self.box_alarm(tx.as_mut(), box_id, "board_silent", first, at, detail).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn door_closed(
        &self,
        tx: &mut dyn Tx,
        box_id: &BoxId,
        c: CompartmentNo,
        at: DateTime<Utc>,
        item_inside: Option<bool>,
    ) -> Result<Vec<AfterCommit>> {
        let actor = Actor::Box(box_id.clone());
        if let Some(opening) = tx.open_service_opening(box_id, c).await? {
            tx.close_service_opening(opening, at).await?;
            tx.append_audit(&audit(box_id, at, "service_door_closed", json!({ "compartment": c.get() }))).await?;
            return Ok(Vec::new());
        }
        let Some(pickup) = tx.pickup_in_compartment(box_id, c).await? else {
            tx.append_audit(&audit(box_id, at, "door_closed_empty", json!({ "compartment": c.get() }))).await?;
            return Ok(Vec::new());
        };
        if pickup.door_opened_at.is_none() {
            tx.append_audit(&audit(box_id, at, "door_closed_unopened", json!({ "compartment": c.get() }))).await?;
            return Ok(Vec::new());
        }
        let Some(event) = door_closed_event(&pickup.state()) else {
            tx.append_audit(&audit(box_id, at, "door_closed", json!({ "compartment": c.get() }))).await?;
            return Ok(Vec::new());
        };
        if event == PickupEvent::HandedOver && item_inside == Some(true) {
            return self.document_left_inside(tx, &pickup, box_id, c, at).await;
        }
        let handed_over = event == PickupEvent::HandedOver;
        let (_, after) = self.apply_at(tx, &pickup, event, &actor, None, at).await?;
        if handed_over {
            self.advance_session(tx, &pickup.id, pickup.claimed_by.as_ref(), at).await?;
            tracing::info!(pickup = %pickup.id, "document handed over");
        }
        Ok(after)
    }

    /// The claimed compartment's door closed on its document: the item sensor still sees it, so this
    /// is no hand-over. The pickup keeps its claim and is flagged, the session ends (the citizen goes
    /// to the counter), and staff are told.
    async fn document_left_inside(
        &self,
        tx: &mut dyn Tx,
        pickup: &abholbox_store::PickupRecord,
        box_id: &BoxId,
        c: CompartmentNo,
        at: DateTime<Utc>,
    ) -> Result<Vec<AfterCommit>> {
        let actor = Actor::Box(box_id.clone());
        let (_, after) = self.apply_at(tx, pickup, PickupEvent::DocumentLeftInside, &actor, None, at).await?;
        if let Some(session_id) = &pickup.claimed_by
            && let Some(mut session) = tx.session(session_id).await?
            && session.state.apply(SessionEvent::OpenFailed, at, &self.policy.session).is_ok()
        {
            session.last_error = Some("document_left_inside".into());
            save(tx, &mut session).await?;
        }
        let detail = json!({ "pickup": pickup.id.as_str() });
        self.box_alarm(tx, box_id, "document_left_inside", Some(c), at, detail).await?;
        tracing::warn!(pickup = %pickup.id, "door closed on the document; not handed over, staff are told");
        Ok(after)
    }

    /// Moves the session that collected a document on to the next of its family's run, skipping what
    /// can no longer be handed out here. A session that already ended (its door left open) stays so.
    async fn advance_session(
        &self,
        tx: &mut dyn Tx,
        pickup: &abholbox_core::ids::PickupId,
        session: Option<&abholbox_core::ids::SessionId>,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let Some(session_id) = session else { return Ok(()) };
        let Some(mut session) = tx.session(session_id).await? else { return Ok(()) };
        if session.state.current().is_none_or(|q| q.pickup != *pickup) {
            return Ok(());
        }
        // The hand-over stands whatever the session makes of it: a session that cannot move on is left
        // as it is rather than undoing the proof.
        if let Err(e) = session.state.apply(SessionEvent::DoorClosed, at, &self.policy.session) {
            tracing::warn!(session = %session.id, error = %e, "session did not move on after its hand-over");
            return Ok(());
        }
        while let Some(next) = session.state.current().cloned() {
            let claimable = tx
                .pickup(&next.pickup)
                .await?
                .is_some_and(|p| p.state().collectable(at) && next.let_in_with(crate::kiosk::pin_issue(&p).as_deref()));
            if claimable || session.state.apply(SessionEvent::Skip, at, &self.policy.session).is_err() {
                break;
            }
        }
        save(tx, &mut session).await
    }

    pub(crate) async fn audit_box(
        &self,
        box_id: &BoxId,
        action: &'static str,
        detail: serde_json::Value,
    ) -> Result<()> {
        let mut tx = self.store.begin().await?;
        tx.append_audit(&audit(box_id, self.clock.now(), action, detail)).await?;
        tx.commit().await?;
        Ok(())
    }
}

fn audit(box_id: &BoxId, at: DateTime<Utc>, action: &'static str, detail: serde_json::Value) -> NewAuditEntry {
    NewAuditEntry { at, actor: Actor::Box(box_id.clone()).to_string(), action, object: format!("box:{box_id}"), detail }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff(0), Duration::from_millis(50));
        assert_eq!(backoff(3), Duration::from_millis(400));
        assert_eq!(backoff(30), MAX_BACKOFF);
    }
}
