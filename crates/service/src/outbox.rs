//! The outbox worker: sends what the transactions queued.
//!
//! A message is leased before it is sent, so a second worker (another process on the same database)
//! does not send it at the same time; a worker that dies mid-send loses the lease and the message is
//! sent again with the same idempotency key and the same text. Temporary failures are retried with
//! exponential backoff and jitter.

use std::sync::Arc;

use abholbox_sms::{OutgoingSms, SmsError, SmsGateway};
use chrono::Duration;
use rand::RngExt;
use tokio::sync::watch;

use crate::{Result, Service};

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
    Empty,
}

/// Backoff for the n-th failed attempt: 5 s doubling to at most an hour, plus up to 20% jitter.
pub fn backoff(attempt: u32) -> Duration {
    let base = 5i64.saturating_mul(1i64 << attempt.min(10)).min(3600);
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
        let content = self.open_message(&message)?;
        let sms =
            OutgoingSms { idempotency_key: message.id.to_string(), to: content.recipient, text: content.body, at: now };
        match gateway.send(&sms).await {
            Ok(gateway_id) => {
                self.store.outbox_sent(message.id, self.clock.now(), &gateway_id).await?;
                tracing::info!(message = message.id, purpose = %message.purpose, "SMS handed to the gateway");
                Ok(OutboxRound::Sent)
            }
            Err(e) => {
                let wait = match &e {
                    SmsError::Temporary(_) => backoff(message.attempts),
                    SmsError::Permanent(_) => Duration::hours(1),
                };
                tracing::warn!(message = message.id, error = %e, retry_in_s = wait.num_seconds(), "SMS not sent");
                self.store.outbox_retry(message.id, &e.to_string(), self.clock.now() + wait).await?;
                Ok(OutboxRound::Retrying)
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
                Ok(OutboxRound::Sent | OutboxRound::Retrying) => continue,
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
            let base = (5i64 << attempt.min(10)).min(3600);
            assert!((base..=base + base / 5).contains(&b), "attempt {attempt}: {b}");
        }
        assert!(backoff(30).num_seconds() <= 4320);
    }
}
