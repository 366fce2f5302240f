//! SMS gateways behind one trait.
//!
//! The outbox worker is the only caller: messages are written to the outbox in the transaction that
//! causes them and sent from there, so a gateway never sees a message that is not durably queued, and
//! a retry sends the same text (the same PIN) again under the same message id. Gateways: the demo's
//! inbox, SMPP 3.4 and Kannel's HTTP `sendsms`, each optionally backed by a second one ([`Failover`]).
//! What a gateway learns later (delivery receipts) it reports as [`DeliveryReport`]s on a channel.

mod demo;
pub mod encoding;
mod failover;
pub mod kannel;
pub mod smpp;

pub use demo::{DeliveredSms, DemoGateway};
pub use failover::Failover;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// A message ready to hand to a gateway. Holds a phone number and usually a PIN: `Debug` redacts.
#[derive(Clone, PartialEq, Eq)]
pub struct OutgoingSms {
    /// Ours, random and unique across installations: the same message sent twice carries the same id.
    pub message_id: String,
    /// E.164 recipient.
    pub to: String,
    pub text: String,
    /// What a gateway's report URL must carry to report on this message (Kannel's `dlr-url`).
    pub report_token: String,
    /// When the worker hands it over, from the service clock.
    pub at: DateTime<Utc>,
}

impl std::fmt::Debug for OutgoingSms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OutgoingSms({}, [redacted])", self.message_id)
    }
}

/// A gateway took the message: by which of the configured gateways, under which id of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub gateway: String,
    pub gateway_id: String,
}

/// Why a gateway did not accept a message. The worker retries temporary failures with backoff and
/// gives a permanently refused message up at once.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SmsError {
    #[error("temporary gateway failure: {0}")]
    Temporary(String),
    #[error("the gateway refused the message: {0}")]
    Permanent(String),
}

/// What a gateway learned about a message after accepting it. It names the message by the
/// gateway's own id (SMPP receipts) or by ours (Kannel's report URL carries it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryReport {
    pub gateway: String,
    pub gateway_id: Option<String>,
    pub message_id: Option<String>,
    pub delivered: bool,
    /// The network's word for the outcome (`DELIVRD`, `UNDELIV`, `EXPIRED` …), without personal data.
    pub detail: String,
}

/// A way to send SMS.
#[async_trait]
pub trait SmsGateway: Send + Sync {
    /// Hands one message to the gateway; once accepted, says which gateway took it under which id.
    async fn send(&self, sms: &OutgoingSms) -> Result<Accepted, SmsError>;
}
