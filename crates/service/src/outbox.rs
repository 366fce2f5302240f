//! The outbox worker: sends what the transactions queued, and records what gateways report.
//!
//! A message is leased before it is sent, so a second worker (another process on the same database)
//! does not send it at the same time; a worker that dies mid-send loses the lease and the message is
//! sent again with the same message id and the same text (the same PIN): the citizen may get it
//! twice, never two different PINs, and never none. Temporary failures are retried with exponential
//! backoff and jitter; a refusal for good, or no acceptance within [`SmsPolicy::give_up_after`],
//! gives the message up and flags its pickup `sms_not_deliverable` for staff.

use std::sync::Arc;

use std::collections::HashMap;

use abholbox_core::ids::SiteId;
use abholbox_core::notify::QuietHours;
use abholbox_core::pickup::PickupEvent;
use abholbox_sms::{DeliveryReport, OutgoingSms, SmsError, SmsGateway};
use abholbox_store::MessageRef;
use chrono::{Duration, NaiveTime};
use rand::RngExt;
use tokio::sync::{mpsc, watch};

use crate::{Actor, Result, Service};

/// When SMS go out, when they are given up, and when a reminder is sent.
#[derive(Debug, Clone)]
pub struct SmsPolicy {
    /// A message not accepted by a gateway this long after it was due is given up (default 24 h).
    pub give_up_after: Duration,
    /// No SMS goes out in these hours, site time (default 20:00-08:00); `None`: at any hour.
    pub quiet_hours: Option<QuietHours>,
    /// Sites with quiet hours of their own (or none, `None`).
    pub quiet_hours_of_site: HashMap<SiteId, Option<QuietHours>>,
    /// Local days before the deadline that the reminder goes out (default 2); 0: no reminders.
    pub reminder_days_before: u32,
    /// The local time of day reminders go out at (default 10:00).
    pub reminder_time: NaiveTime,
}

impl Default for SmsPolicy {
    fn default() -> Self {
        Self {
            give_up_after: Duration::hours(24),
            quiet_hours: Some(QuietHours::default()),
            quiet_hours_of_site: HashMap::new(),
            reminder_days_before: 2,
            reminder_time: NaiveTime::MIN + Duration::hours(10),
        }
    }
}

impl SmsPolicy {
    /// The quiet hours that hold at a site.
    pub fn quiet_hours(&self, site: &SiteId) -> Option<QuietHours> {
        self.quiet_hours_of_site.get(site).copied().unwrap_or(self.quiet_hours)
    }
}

/// A message id of our own: 128 random bits, so ids never meet across installations that share an
/// aggregator, and nothing in it counts messages or names a pickup.
pub fn new_message_id() -> String {
    let bytes: [u8; 16] = rand::rng().random();
    hex::encode(bytes)
}

/// How long a leased message is reserved for one worker.
const LEASE: i64 = 60;
/// When nothing wakes the worker, it still looks this often (messages due later, other processes).
const IDLE_POLL: std::time::Duration = std::time::Duration::from_secs(1);

/// Messages sent at the same time: a city's evening delivery of documents queues hundreds at once.
/// Two messages to the same phone may overtake each other, as they may in the mobile network anyway.
pub const SENDERS: usize = 4;

/// What one round of the worker did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxRound {
    Sent,
    Retrying,
    /// Refused for good or too old: failed, and its pickup flagged.
    GivenUp,
    Empty,
}

/// Backoff for the n-th failed attempt: 5 s doubling to at most 5 minutes, plus up to 20% jitter. A
/// PIN waits at most that long after its gateway is back; 288 tries a day cost the gateway nothing.
pub fn backoff(attempt: u32) -> Duration {
    let base = 5i64.saturating_mul(1i64 << attempt.min(10)).min(300);
    let jitter = rand::rng().random_range(0..=base / 5);
    Duration::seconds(base + jitter)
}

impl Service {
    /// Sends the next due message, if any.
    pub async fn send_next(&self, gateway: &dyn SmsGateway) -> Result<OutboxRound> {
        let now = self.clock.now();
        let Some(message) = self.store.lease_outbox(now, now + Duration::seconds(LEASE)).await? else {
            return Ok(OutboxRound::Empty);
        };
        let too_late = now - message.due_at >= self.policy.sms.give_up_after;
        if too_late && message.purpose == "reminder" {
            // A reminder that could not go out on its day (the server was down, say) is no use now,
            // and its lateness says nothing about the number: dropped, the pickup not flagged.
            let mut tx = self.store.begin().await?;
            tx.drop_unsent_messages(&message.pickup, now, Some("reminder")).await?;
            tx.commit().await?;
            tracing::info!(message = %message.message_id, "reminder too late to send; dropped");
            return Ok(OutboxRound::GivenUp);
        }
        if too_late {
            let hours = self.policy.sms.give_up_after.num_hours();
            self.give_up(MessageRef::Row(message.id), &format!("not accepted by a gateway within {hours} h")).await?;
            return Ok(OutboxRound::GivenUp);
        }
        let content = self.open_message(&message)?;
        let sms = OutgoingSms {
            message_id: message.message_id.clone(),
            to: content.recipient,
            text: content.body,
            report_token: self.sms_report_token(&message.message_id),
            at: now,
        };
        match gateway.send(&sms).await {
            Ok(accepted) => {
                self.store.outbox_sent(message.id, self.clock.now(), &accepted.gateway, &accepted.gateway_id).await?;
                self.sms_counts.accepted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                tracing::info!(
                    message = %message.message_id, purpose = %message.purpose, gateway = %accepted.gateway,
                    "SMS handed to the gateway"
                );
                Ok(OutboxRound::Sent)
            }
            Err(SmsError::Permanent(reason)) => {
                self.give_up(MessageRef::Row(message.id), &format!("refused: {reason}")).await?;
                Ok(OutboxRound::GivenUp)
            }
            Err(e) => {
                // Tried again after the backoff, but no later than the moment it is to be given up.
                let give_up_at = message.due_at + self.policy.sms.give_up_after;
                // `attempts` counts this one: the first failure waits the shortest backoff.
                let next = (self.clock.now() + backoff(message.attempts.saturating_sub(1))).min(give_up_at);
                let wait = next - self.clock.now();
                tracing::warn!(message = %message.message_id, error = %e, retry_in_s = wait.num_seconds(), "SMS not sent");
                self.store.outbox_retry(message.id, &e.to_string(), next).await?;
                Ok(OutboxRound::Retrying)
            }
        }
    }

    /// Gives a message up as failed and flags its pickup for staff, in one transaction. A reminder
    /// that fails flags nothing: its PIN went out before, and the citizen needs nothing more from it.
    async fn give_up(&self, message: MessageRef<'_>, reason: &str) -> Result<bool> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let Some((pickup, purpose)) = tx.outbox_failed(message, now, reason).await? else {
            return Ok(false);
        };
        let mut flagged = false;
        if purpose != "reminder"
            && let Some(p) = tx.pickup(&pickup).await?
            && !p.status.is_final()
        {
            self.apply(tx.as_mut(), &p, PickupEvent::SmsNotDeliverable, &Actor::System, None).await?;
            flagged = true;
        }
        tx.commit().await?;
        self.sms_counts.given_up.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        tracing::warn!(pickup = %pickup, %purpose, reason, flagged_for_staff = flagged, "SMS given up");
        Ok(true)
    }

    /// Records what a gateway reported about a message it accepted: delivered, or failed (then the
    /// pickup is flagged, as for a message never accepted). Returns whether it changed anything.
    pub async fn delivery_report(&self, report: &DeliveryReport) -> Result<bool> {
        let message = match (&report.message_id, &report.gateway_id) {
            (Some(id), _) => MessageRef::MessageId(id),
            (None, Some(gateway_id)) => MessageRef::Gateway { gateway: &report.gateway, gateway_id },
            (None, None) => return Ok(false),
        };
        if report.delivered {
            return Ok(self.store.outbox_delivered(message, self.clock.now()).await?);
        }
        self.give_up(message, &format!("reported {}", report.detail)).await
    }

    /// The token that one message's report URL carries (Kannel's `dlr-url`).
    pub fn sms_report_token(&self, message_id: &str) -> String {
        self.keys.report_token(message_id)
    }

    /// A report from Kannel, as the `dlr-url` of one message calls us: refused unless the token is
    /// that message's. A report type that is no outcome yet changes nothing.
    pub async fn kannel_report(&self, message_id: &str, token: &str, kind: u32) -> Result<bool> {
        if !self.keys.report_token_valid(message_id, token) {
            return Err(crate::Error::Forbidden);
        }
        let Some((delivered, detail)) = abholbox_sms::kannel::report_outcome(kind) else {
            return Ok(false);
        };
        let report = DeliveryReport {
            gateway: "kannel".into(),
            gateway_id: None,
            message_id: Some(message_id.to_owned()),
            delivered,
            detail: detail.into(),
        };
        self.delivery_report(&report).await
    }

    /// Records the gateways' reports as they come, until the channel closes or `shutdown` turns true.
    pub async fn run_delivery_reports(
        &self,
        mut reports: mpsc::Receiver<DeliveryReport>,
        mut shutdown: watch::Receiver<bool>,
    ) {
        loop {
            tokio::select! {
                report = reports.recv() => {
                    let Some(report) = report else { return };
                    if let Err(e) = self.delivery_report(&report).await {
                        tracing::error!(error = %e, gateway = %report.gateway, "a delivery report could not be recorded");
                    }
                }
                _ = shutdown.changed() => return,
            }
        }
    }

    /// Runs [`SENDERS`] senders until `shutdown` turns true, each sending as soon as a transaction
    /// queues a message. Several at once, because a sender spends most of its time waiting (for the
    /// database, for the gateway); the lease keeps any two from sending the same message.
    pub async fn run_outbox(&self, gateway: Arc<dyn SmsGateway>, shutdown: watch::Receiver<bool>) {
        let mut senders = tokio::task::JoinSet::new();
        for _ in 0..SENDERS {
            let (service, gateway, shutdown) = (self.clone(), gateway.clone(), shutdown.clone());
            senders.spawn(async move { service.run_sender(gateway, shutdown).await });
        }
        while senders.join_next().await.is_some() {}
    }

    async fn run_sender(&self, gateway: Arc<dyn SmsGateway>, mut shutdown: watch::Receiver<bool>) {
        loop {
            if *shutdown.borrow() {
                return;
            }
            match self.send_next(gateway.as_ref()).await {
                Ok(OutboxRound::Sent | OutboxRound::Retrying | OutboxRound::GivenUp) => continue,
                Ok(OutboxRound::Empty) => {}
                Err(e) => tracing::error!(error = %e, "outbox worker could not read the outbox"),
            }
            tokio::select! {
                () = self.outbox_wakeup.notified() => {}
                () = tokio::time::sleep(IDLE_POLL) => {}
                _ = shutdown.changed() => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        for attempt in 0..20 {
            let b = backoff(attempt).num_seconds();
            let base = (5i64 << attempt.min(10)).min(300);
            assert!((base..=base + base / 5).contains(&b), "attempt {attempt}: {b}");
        }
        assert!(backoff(30).num_seconds() <= 360);
    }
}
