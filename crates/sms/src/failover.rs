//! A primary gateway with a secondary that takes over while the primary cannot send.

use std::sync::Arc;

use async_trait::async_trait;

use crate::{Accepted, OutgoingSms, SmsError, SmsGateway};

/// Sends through `primary`; when it fails for a passing reason (connection lost, throttled, no
/// answer), through `secondary`. A permanent refusal (an invalid number) is not tried elsewhere,
/// because the second gateway would refuse it too and the citizen's number is what needs fixing.
pub struct Failover {
    primary: Arc<dyn SmsGateway>,
    secondary: Arc<dyn SmsGateway>,
}

impl Failover {
    pub fn new(primary: Arc<dyn SmsGateway>, secondary: Arc<dyn SmsGateway>) -> Self {
        Self { primary, secondary }
    }
}

#[async_trait]
impl SmsGateway for Failover {
    async fn send(&self, sms: &OutgoingSms) -> Result<Accepted, SmsError> {
        match self.primary.send(sms).await {
            Err(SmsError::Temporary(first)) => {
                tracing::warn!(message = %sms.message_id, error = %first, "the primary gateway cannot send; the secondary takes the message");
                self.secondary.send(sms).await.map_err(|e| match e {
                    SmsError::Temporary(second) => SmsError::Temporary(format!("{first}; secondary: {second}")),
                    permanent => permanent,
                })
            }
            other => other,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use chrono::Utc;

    use super::*;

    struct Fixed(Result<Accepted, SmsError>, AtomicUsize);

    #[async_trait]
    impl SmsGateway for Fixed {
        async fn send(&self, _: &OutgoingSms) -> Result<Accepted, SmsError> {
            self.1.fetch_add(1, Ordering::SeqCst);
            self.0.clone()
        }
    }

    fn gateway(result: Result<&str, SmsError>) -> Arc<Fixed> {
        let accepted = result.map(|name| Accepted { gateway: name.into(), gateway_id: "1".into() });
        Arc::new(Fixed(accepted, AtomicUsize::new(0)))
    }

    fn sms() -> OutgoingSms {
        OutgoingSms {
            message_id: "m".into(),
            to: "+4915100000000".into(),
            text: "t".into(),
            report_token: String::new(),
            at: Utc::now(),
        }
    }

    #[tokio::test]
    async fn the_secondary_takes_over_only_for_a_passing_failure() {
        let down = gateway(Err(SmsError::Temporary("connection lost".into())));
        let up = gateway(Ok("secondary"));
        let sent = Failover::new(down.clone(), up.clone()).send(&sms()).await.unwrap();
        assert_eq!((sent.gateway.as_str(), up.1.load(Ordering::SeqCst)), ("secondary", 1));

        let refused = gateway(Err(SmsError::Permanent("invalid number".into())));
        let up = gateway(Ok("secondary"));
        let result = Failover::new(refused, up.clone()).send(&sms()).await;
        assert_eq!(result, Err(SmsError::Permanent("invalid number".into())));
        assert_eq!(up.1.load(Ordering::SeqCst), 0, "not tried elsewhere");

        let primary = gateway(Ok("primary"));
        let up = gateway(Ok("secondary"));
        assert_eq!(Failover::new(primary, up.clone()).send(&sms()).await.unwrap().gateway, "primary");
        assert_eq!(up.1.load(Ordering::SeqCst), 0);

        let both = Failover::new(down, gateway(Err(SmsError::Temporary("busy".into()))));
        assert!(matches!(both.send(&sms()).await, Err(SmsError::Temporary(m)) if m.contains("secondary: busy")));
    }
}
