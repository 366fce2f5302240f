//! SMPP 3.4 to a carrier's SMSC, on the `smpp34` crate's client session (PDU codec, sequence numbers,
//! `enquire_link`, response timer). Around it, what a sender of PINs needs: one bound session kept up
//! with reconnects and backoff, a window of outstanding `submit_sm`, a send-rate limit, throttling
//! answered by waiting, concatenated parts with a user data header, and delivery receipts turned into
//! [`DeliveryReport`]s.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use smpp34::client::{BIND_TYPE, SMSC, SmppClient, SmppClientListener};
use smpp34::{SmppConnectionInformation, SmppError as Status, TlvList, deliver_sm, deliver_sm_resp};
use tokio::sync::{Notify, Semaphore, mpsc, watch};
use tokio::time::Instant;

use crate::encoding::{concatenation_header, encode};
use crate::{Accepted, DeliveryReport, OutgoingSms, SmsError, SmsGateway};

/// How a session to the SMSC is set up and paced.
#[derive(Clone)]
pub struct SmppSettings {
    /// Recorded with every message this gateway accepts (`primary`, `secondary`), so that its
    /// receipts find their message.
    pub name: String,
    pub host: String,
    pub port: u16,
    pub tls: bool,
    pub system_id: String,
    pub password: String,
    pub system_type: String,
    /// Transceiver receives delivery receipts on the same session; transmitter only sends.
    pub transceiver: bool,
    /// The sender shown on the phone: up to 11 letters and digits, or a number.
    pub sender: String,
    /// `submit_sm` waiting for their answer at once.
    pub window: usize,
    /// `submit_sm` per second at most, as the carrier's contract says.
    pub max_per_second: u32,
    pub enquire_link: Duration,
    /// How long an answer to a `submit_sm` may take before the message counts as not sent.
    pub response_timeout: Duration,
}

impl std::fmt::Debug for SmppSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SmppSettings({}, {}:{}, {}, [password redacted])", self.name, self.host, self.port, self.system_id)
    }
}

/// How long a send waits for a bound session before it counts as a passing failure.
const BIND_WAIT: Duration = Duration::from_secs(5);
/// How long a bind may take before the connection is given up and tried again.
const BIND_TIMEOUT: Duration = Duration::from_secs(10);
/// Reconnects wait 1, 2, 4 … 60 s.
const RECONNECT_MAX: Duration = Duration::from_secs(60);
/// A throttled `submit_sm` is tried this often before the message goes back to the outbox.
const THROTTLE_TRIES: u32 = 6;
const THROTTLE_FIRST: Duration = Duration::from_millis(250);
const THROTTLE_MAX: Duration = Duration::from_secs(30);

/// An SMPP 3.4 gateway. Its connection lives in a task of its own from [`SmppGateway::start`] until
/// the gateway is dropped.
pub struct SmppGateway {
    inner: Arc<Inner>,
    task: tokio::task::JoinHandle<()>,
}

struct Inner {
    settings: SmppSettings,
    session: watch::Sender<Option<Arc<SMSC>>>,
    lost: Notify,
    window: Semaphore,
    pacing: tokio::sync::Mutex<Pacing>,
    reference: AtomicU8,
    reports: mpsc::Sender<DeliveryReport>,
}

struct Pacing {
    next_slot: Instant,
    throttled_until: Option<Instant>,
    throttle_wait: Duration,
}

impl Drop for SmppGateway {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl SmppGateway {
    /// Connects and binds in the background, and again after every loss; delivery receipts go to
    /// `reports`.
    pub fn start(settings: SmppSettings, reports: mpsc::Sender<DeliveryReport>) -> Self {
        let window = settings.window.max(1);
        let inner = Arc::new(Inner {
            settings,
            session: watch::Sender::new(None),
            lost: Notify::new(),
            window: Semaphore::new(window),
            pacing: tokio::sync::Mutex::new(Pacing {
                next_slot: Instant::now(),
                throttled_until: None,
                throttle_wait: THROTTLE_FIRST,
            }),
            reference: AtomicU8::new(first_reference()),
            reports,
        });
        let task = tokio::spawn(keep_bound(inner.clone()));
        Self { inner, task }
    }

    /// Whether a session is bound now.
    pub fn is_bound(&self) -> bool {
        self.inner.session.borrow().is_some()
    }
}

/// Where this process starts counting concatenation references, so that two processes sending to
/// one SMSC rarely start on the same one.
fn first_reference() -> u8 {
    u8::try_from(std::process::id() % 256).unwrap_or(0)
}

/// Connects, binds, waits for the loss, and does it again, with backoff between failures.
async fn keep_bound(inner: Arc<Inner>) {
    let mut failures: u32 = 0;
    loop {
        let s = &inner.settings;
        let listener: Arc<dyn SmppClientListener + Send + Sync> = Arc::new(Listener(Arc::downgrade(&inner)));
        let millis = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        let mut client = SmppClient::new_with_default_timers(
            s.host.clone(),
            s.port,
            s.tls,
            if s.transceiver { BIND_TYPE::TRX } else { BIND_TYPE::TX },
            s.system_id.clone(),
            s.password.clone(),
            s.system_type.clone(),
            0,
            0,
            String::new(),
            listener,
            millis(BIND_TIMEOUT),
            millis(s.enquire_link),
            millis(s.enquire_link * 3),
            millis(s.response_timeout),
            65536,
            s.window.max(1),
        );
        let mut bound = inner.session.subscribe();
        let lost = inner.lost.notified();
        tokio::pin!(lost);
        lost.as_mut().enable();
        client.start().await;
        let came_up = tokio::time::timeout(BIND_TIMEOUT, async {
            tokio::select! {
                r = bound.wait_for(Option::is_some) => r.is_ok(),
                () = &mut lost => false,
            }
        })
        .await
        .unwrap_or(false);
        if came_up {
            tracing::info!(gateway = %s.name, host = %s.host, "SMPP session bound");
            failures = 0;
            loop {
                tokio::select! {
                    () = &mut lost => break,
                    () = tokio::time::sleep(Duration::from_secs(1)) => if !client.is_alive() { break },
                }
            }
            tracing::warn!(gateway = %s.name, host = %s.host, "SMPP session lost; reconnecting");
        } else {
            tracing::warn!(gateway = %s.name, host = %s.host, "SMPP connect or bind failed; trying again");
        }
        inner.session.send_replace(None);
        client.stop().await;
        let wait = Duration::from_secs(1u64 << failures.min(6)).min(RECONNECT_MAX);
        failures = failures.saturating_add(1);
        tokio::time::sleep(if came_up { Duration::from_millis(100) } else { wait }).await;
    }
}

/// The session's callbacks; it holds the gateway weakly, so that dropping the gateway ends it.
struct Listener(std::sync::Weak<Inner>);

#[async_trait]
impl SmppClientListener for Listener {
    async fn on_smsc_bound(&self, smsc: SMSC, _session: &String) {
        if let Some(inner) = self.0.upgrade() {
            inner.session.send_replace(Some(Arc::new(smsc)));
        }
    }

    async fn on_smsc_unbound(&self, _session: &String) {
        if let Some(inner) = self.0.upgrade() {
            inner.session.send_replace(None);
            inner.lost.notify_one();
        }
    }

    async fn on_connection_failed(&self, error: &str) {
        if let Some(inner) = self.0.upgrade() {
            tracing::warn!(gateway = %inner.settings.name, error, "SMPP connection failed");
            inner.lost.notify_one();
        }
    }

    async fn on_deliver_sm(
        &self,
        req: deliver_sm,
        _connection: &SmppConnectionInformation,
        _session: &String,
    ) -> deliver_sm_resp {
        if let Some(inner) = self.0.upgrade()
            && let Some(receipt) = parse_receipt(
                req.esm_class,
                &req.short_message,
                req.tlvs.receipted_message_id(),
                req.tlvs.message_state(),
            )
        {
            let report = DeliveryReport {
                gateway: inner.settings.name.clone(),
                gateway_id: Some(receipt.id),
                message_id: None,
                delivered: receipt.delivered,
                detail: receipt.state,
            };
            if inner.reports.send(report).await.is_err() {
                tracing::warn!(gateway = %inner.settings.name, "a delivery receipt arrived after the service stopped");
            }
        }
        req.accept()
    }
}

/// A delivery receipt's content that matters: which message, and whether it reached the phone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub id: String,
    pub delivered: bool,
    /// `DELIVRD`, `UNDELIV`, `EXPIRED`, `DELETED`, `REJECTD`.
    pub state: String,
}

/// Reads a `deliver_sm` that is a delivery receipt (esm_class bits 2–5 = 0x04): the message by the
/// `receipted_message_id` option or the text's `id:`, the outcome by `message_state` or the text's
/// `stat:`. A receipt of an intermediate state (en route, accepted) or a message from a phone is
/// not an outcome and gives `None`.
pub fn parse_receipt(esm_class: u8, text: &[u8], tlv_id: Option<String>, tlv_state: Option<u8>) -> Option<Receipt> {
    if esm_class & 0x3C != 0x04 {
        return None;
    }
    let text = String::from_utf8_lossy(text);
    let field = |name: &str| {
        text.split_whitespace().find_map(|w| w.strip_prefix(name)).map(str::to_owned).filter(|v| !v.is_empty())
    };
    let id = tlv_id.filter(|i| !i.is_empty()).or_else(|| field("id:"))?;
    let state = match tlv_state {
        Some(2) => "DELIVRD".to_owned(),
        Some(3) => "EXPIRED".to_owned(),
        Some(4) => "DELETED".to_owned(),
        Some(5) => "UNDELIV".to_owned(),
        Some(8) => "REJECTD".to_owned(),
        Some(_) => return None,
        None => field("stat:")?.to_ascii_uppercase(),
    };
    let delivered = match state.as_str() {
        "DELIVRD" => true,
        "UNDELIV" | "EXPIRED" | "DELETED" | "REJECTD" => false,
        _ => return None,
    };
    Some(Receipt { id, delivered, state })
}

/// TON and NPI with the digits for an address: a number (international, E.164) or an alphanumeric
/// sender id.
pub fn address(value: &str) -> (u8, u8, String) {
    let digits = value.strip_prefix('+').unwrap_or(value);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        (1, 1, digits.to_owned())
    } else {
        (5, 0, value.to_owned())
    }
}

/// Whether a `submit_sm` answer says that this message will never be taken: its number or its text
/// is wrong, not the moment. A refused sender is not: that is the configuration's fault, the same for
/// every message, and once fixed they all go out.
fn is_permanent(status: u32) -> bool {
    const PERMANENT: [Status; 5] = [
        Status::ESME_RINVMSGLEN,
        Status::ESME_RINVDSTADR,
        Status::ESME_RINVDSTTON,
        Status::ESME_RINVDSTNPI,
        Status::ESME_RINVESMCLASS,
    ];
    PERMANENT.iter().any(|s| *s as u32 == status)
}

fn is_throttling(status: u32) -> bool {
    status == Status::ESME_RTHROTTLED as u32 || status == Status::ESME_RMSGQFUL as u32
}

impl Inner {
    /// Waits for the next slot the send rate and any throttling allow.
    async fn pace(&self) {
        let slot = {
            let mut pacing = self.pacing.lock().await;
            let now = Instant::now();
            let mut slot = pacing.next_slot.max(now);
            if let Some(until) = pacing.throttled_until {
                slot = slot.max(until);
            }
            let per_second = self.settings.max_per_second.max(1);
            pacing.next_slot = slot + Duration::from_secs(1) / per_second;
            slot
        };
        tokio::time::sleep_until(slot).await;
    }

    /// The SMSC asked us to slow down: nobody sends until the wait is over, and the wait doubles.
    async fn throttled(&self) {
        let mut pacing = self.pacing.lock().await;
        let wait = pacing.throttle_wait;
        pacing.throttled_until = Some(Instant::now() + wait);
        pacing.throttle_wait = (wait * 2).min(THROTTLE_MAX);
        tracing::warn!(gateway = %self.settings.name, wait_ms = wait.as_millis(), "the SMSC throttles; waiting");
    }

    async fn unthrottled(&self) {
        let mut pacing = self.pacing.lock().await;
        pacing.throttled_until = None;
        pacing.throttle_wait = THROTTLE_FIRST;
    }

    async fn bound_session(&self) -> Result<Arc<SMSC>, SmsError> {
        let mut session = self.session.subscribe();
        let found = tokio::time::timeout(BIND_WAIT, session.wait_for(Option::is_some)).await;
        match found {
            Ok(Ok(smsc)) => smsc.clone().ok_or_else(|| SmsError::Temporary("not bound to the SMSC".into())),
            _ => Err(SmsError::Temporary("not bound to the SMSC".into())),
        }
    }

    /// Sends one part, waiting out throttling a few times; the SMSC's id for it once accepted.
    async fn submit(
        &self,
        to: &(u8, u8, String),
        esm_class: u8,
        data_coding: u8,
        payload: Vec<u8>,
    ) -> Result<String, SmsError> {
        let (source_ton, source_npi, source) = address(&self.settings.sender);
        for _ in 0..THROTTLE_TRIES {
            let smsc = self.bound_session().await?;
            let _permit = self.window.acquire().await.map_err(|_| SmsError::Temporary("gateway stopped".into()))?;
            self.pace().await;
            let answer = smsc
                .submit_sm()
                .source_addr_ton(source_ton)
                .source_addr_npi(source_npi)
                .source_addr(source.clone())
                .dest_addr_ton(to.0)
                .dest_addr_npi(to.1)
                .destination_addr(to.2.clone())
                .esm_class(esm_class)
                .registered_delivery(1)
                .data_coding(data_coding)
                .short_message(payload.clone())
                .send()
                .await;
            let status = match &answer {
                Ok(resp) => resp.command_status(),
                Err(status) => *status as u32,
            };
            match answer {
                Ok(resp) if status == 0 => {
                    self.unthrottled().await;
                    return Ok(resp.message_id.unwrap_or_default());
                }
                _ if is_throttling(status) => self.throttled().await,
                _ if [Status::ESME_RINVSRCADR, Status::ESME_RINVSRCTON, Status::ESME_RINVSRCNPI]
                    .iter()
                    .any(|s| *s as u32 == status) =>
                {
                    tracing::error!(gateway = %self.settings.name, status, "the SMSC refuses the sender; check sms.sender");
                    return Err(SmsError::Temporary(format!("the SMSC refuses the sender ({status:#04x})")));
                }
                _ if is_permanent(status) => {
                    return Err(SmsError::Permanent(format!("SMSC status {status:#04x}")));
                }
                Ok(_) => return Err(SmsError::Temporary(format!("SMSC status {status:#04x}"))),
                Err(_) => return Err(SmsError::Temporary(format!("no answer from the SMSC ({status:#04x})"))),
            }
        }
        Err(SmsError::Temporary("the SMSC keeps throttling".into()))
    }
}

#[async_trait]
impl SmsGateway for SmppGateway {
    async fn send(&self, sms: &OutgoingSms) -> Result<Accepted, SmsError> {
        let encoded = encode(&sms.text).map_err(|e| SmsError::Permanent(e.to_string()))?;
        let to = address(&sms.to);
        let parts = encoded.parts.len();
        let reference = self.inner.reference.fetch_add(1, Ordering::Relaxed);
        let mut first = None;
        for (index, part) in encoded.parts.into_iter().enumerate() {
            let (esm_class, payload) = if parts > 1 {
                (0x40, [concatenation_header(reference, parts, index).as_slice(), &part].concat())
            } else {
                (0x00, part)
            };
            let id = self.inner.submit(&to, esm_class, encoded.encoding.data_coding(), payload).await?;
            first.get_or_insert(id);
        }
        Ok(Accepted { gateway: self.inner.settings.name.clone(), gateway_id: first.unwrap_or_default() })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn receipts_are_read_from_options_or_text() {
        let text =
            b"id:smsc-7 sub:001 dlvrd:001 submit date:2611291200 done date:2611291201 stat:DELIVRD err:000 text:";
        assert_eq!(
            parse_receipt(0x04, text, None, None),
            Some(Receipt { id: "smsc-7".into(), delivered: true, state: "DELIVRD".into() })
        );
        let undeliverable = parse_receipt(0x04, b"id:x stat:UNDELIV", Some("smsc-8".into()), Some(5)).unwrap();
        assert_eq!((undeliverable.id.as_str(), undeliverable.delivered), ("smsc-8", false));
        assert_eq!(parse_receipt(0x04, b"id:x stat:EXPIRED", None, None).map(|r| r.delivered), Some(false));
        assert_eq!(parse_receipt(0x04, b"id:x stat:ENROUTE", None, None), None, "not an outcome yet");
        assert_eq!(parse_receipt(0x04, b"id:x", None, Some(6)), None, "accepted is not an outcome");
        assert_eq!(parse_receipt(0x00, text, None, None), None, "a message from a phone");
        assert_eq!(parse_receipt(0x04, b"garbage", None, None), None);
        assert_eq!(parse_receipt(0x04, b"id: stat:DELIVRD", None, None), None, "an empty id names nothing");
    }

    #[test]
    fn numbers_are_international_and_names_alphanumeric() {
        assert_eq!(address("+4915123456701"), (1, 1, "4915123456701".into()));
        assert_eq!(address("Duesseldorf"), (5, 0, "Duesseldorf".into()));
        assert_eq!(address("+"), (5, 0, "+".into()));
    }

    #[test]
    fn invalid_numbers_are_refused_for_good_and_throttling_is_not() {
        assert!(is_permanent(0x0B));
        assert!(!is_permanent(0x58) && is_throttling(0x58) && is_throttling(0x14));
        assert!(!is_permanent(0x08), "a system error passes");
        assert!(!is_permanent(0x0A), "a refused sender is the configuration's fault: retried");
    }
}
