//! SMS gateways behind one trait.
//!
//! The outbox worker is the only caller: messages are written to the outbox in the transaction that
//! causes them and sent from there, so a gateway never sees a message that is not durably queued, and
//! a retry sends the same text (the same PIN) again. Each message carries the outbox id as its
//! idempotency key, which real gateways take as a client reference. SMPP and HTTP (Kannel `sendsms`)
//! gateways come next; the [`DemoGateway`] is the first implementation.

mod demo;
pub mod encoding;

pub use demo::{DeliveredSms, DemoGateway};

use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// A message ready to hand to a gateway. Holds a phone number and usually a PIN: `Debug` redacts.
#[derive(Clone, PartialEq, Eq)]
pub struct OutgoingSms {
    /// The outbox id: the same message sent twice carries the same key.
    pub idempotency_key: String,
    /// E.164 recipient.
    pub to: String,
    pub text: String,
    /// When the worker hands it over, from the service clock.
    pub at: DateTime<Utc>,
}

impl std::fmt::Debug for OutgoingSms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OutgoingSms({}, [redacted])", self.idempotency_key)
    }
}

/// Why a gateway did not accept a message. The worker retries temporary failures with backoff.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SmsError {
    #[error("temporary gateway failure: {0}")]
    Temporary(String),
    #[error("the gateway refused the message: {0}")]
    Permanent(String),
}

/// A way to send SMS.
#[async_trait]
pub trait SmsGateway: Send + Sync {
    /// Hands one message to the gateway; returns the gateway's id for it once accepted.
    async fn send(&self, sms: &OutgoingSms) -> Result<String, SmsError>;
}
