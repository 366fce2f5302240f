//! The demo's gateway: it "sends" into an inbox that the simulator shows as the citizen's phone.

use std::collections::VecDeque;
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::{Accepted, OutgoingSms, SmsError, SmsGateway};

/// How many messages the demo inbox keeps; older ones fall out.
const INBOX_CAPACITY: usize = 1000;

/// A message as the demo phone received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveredSms {
    pub id: String,
    pub to: String,
    pub text: String,
    pub at: DateTime<Utc>,
}

/// The demo gateway. It takes a message id it has seen once only, so that a message sent again after
/// a crash reaches the demo phone once.
#[derive(Debug, Default)]
pub struct DemoGateway {
    inbox: Mutex<VecDeque<(String, DeliveredSms)>>,
    /// Woken by every message that arrives, for a phone waiting for its SMS.
    arrived: tokio::sync::Notify,
}

impl DemoGateway {
    pub fn new() -> Self {
        Self::default()
    }

    /// Everything received, oldest first.
    pub fn inbox(&self) -> Vec<DeliveredSms> {
        let guard = self.inbox.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        guard.iter().map(|(_, m)| m.clone()).collect()
    }

    /// The messages to one number, oldest first.
    pub fn inbox_of(&self, to: &str) -> Vec<DeliveredSms> {
        let guard = self.inbox.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        guard.iter().filter(|(_, m)| m.to == to).map(|(_, m)| m.clone()).collect()
    }

    /// The messages to `to`, oldest first, once there are at least `count` of them or `wait` has
    /// passed: a demo phone waits for its SMS instead of asking again and again.
    pub async fn wait_for(&self, to: &str, count: usize, wait: std::time::Duration) -> Vec<DeliveredSms> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let arrived = self.arrived.notified();
            tokio::pin!(arrived);
            arrived.as_mut().enable();
            let mine = self.inbox_of(to);
            if mine.len() >= count || tokio::time::timeout_at(deadline, arrived).await.is_err() {
                return mine;
            }
        }
    }
}

#[async_trait]
impl SmsGateway for DemoGateway {
    async fn send(&self, sms: &OutgoingSms) -> Result<Accepted, SmsError> {
        let mut guard = self.inbox.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let id = format!("demo-{}", sms.message_id);
        if !guard.iter().any(|(key, _)| *key == sms.message_id) {
            if guard.len() >= INBOX_CAPACITY {
                guard.pop_front();
            }
            let delivered = DeliveredSms { id: id.clone(), to: sms.to.clone(), text: sms.text.clone(), at: sms.at };
            guard.push_back((sms.message_id.clone(), delivered));
            self.arrived.notify_waiters();
        }
        Ok(Accepted { gateway: "demo".into(), gateway_id: id })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn sms(key: &str) -> OutgoingSms {
        OutgoingSms {
            message_id: key.into(),
            to: "+4915123456701".into(),
            text: "PIN 482913".into(),
            report_token: String::new(),
            at: Utc::now(),
        }
    }

    #[tokio::test]
    async fn the_same_message_arrives_once() {
        let gw = DemoGateway::new();
        let first = gw.send(&sms("7")).await.unwrap();
        let again = gw.send(&sms("7")).await.unwrap();
        gw.send(&sms("8")).await.unwrap();
        assert_eq!((first.gateway_id, again.gateway.as_str()), (again.gateway_id.clone(), "demo"));
        assert_eq!(gw.inbox().len(), 2);
        assert_eq!(gw.inbox()[0].to, "+4915123456701");
    }

    #[tokio::test]
    async fn a_waiting_phone_gets_its_message_when_it_arrives() {
        let gw = std::sync::Arc::new(DemoGateway::new());
        let waiting = {
            let gw = gw.clone();
            tokio::spawn(async move { gw.wait_for("+4915123456701", 2, std::time::Duration::from_secs(10)).await })
        };
        gw.send(&sms("1")).await.unwrap();
        gw.send(&OutgoingSms { to: "+4915100000000".into(), ..sms("2") }).await.unwrap();
        gw.send(&sms("3")).await.unwrap();
        let mine = waiting.await.unwrap();
        assert_eq!(mine.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(), ["demo-1", "demo-3"]);
        let none = gw.wait_for("+4915199999999", 1, std::time::Duration::from_millis(10)).await;
        assert!(none.is_empty(), "after the wait, what there is: nothing");
    }

    #[test]
    fn debug_hides_number_and_text() {
        let shown = format!("{:?}", sms("1"));
        assert!(!shown.contains("4915") && !shown.contains("482913"));
    }
}
