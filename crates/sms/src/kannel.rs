//! Kannel's HTTP `sendsms` interface (and the aggregators that speak it). Kannel splits and encodes
//! the text itself from UTF-8 (`coding` 0 for GSM 03.38, 2 for UCS-2) and reports delivery by calling
//! the `dlr-url` we give it with `%d`, the report type: 1 delivered to the phone, 2 not delivered to
//! the phone, 4 queued at the SMSC, 8 accepted by the SMSC, 16 refused by the SMSC. The URL names our
//! message id and a token only this message's URL carries.

use std::time::Duration;

use async_trait::async_trait;

use crate::encoding::{Encoding, payload};
use crate::{Accepted, OutgoingSms, SmsError, SmsGateway};

/// Where Kannel's `sendsms` is and how we call it.
#[derive(Clone)]
pub struct KannelSettings {
    /// Recorded with every message this gateway accepts.
    pub name: String,
    /// `http://host:13013/cgi-bin/sendsms`.
    pub url: String,
    pub username: String,
    pub password: String,
    pub sender: String,
    /// Our URL that Kannel calls with delivery reports (`…/api/v1/sms/reports/kannel`); none: no
    /// reports are asked for.
    pub report_url: Option<String>,
    /// Kannel's `smsc` route, where it has several.
    pub smsc: Option<String>,
    pub timeout: Duration,
}

impl std::fmt::Debug for KannelSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KannelSettings({}, {}, {}, [password redacted])", self.name, self.url, self.username)
    }
}

/// Delivered to the phone and not delivered to the phone or refused by the SMSC: the outcomes we
/// ask to hear of (1 + 2 + 16).
const DLR_MASK: &str = "19";

/// What a Kannel report type says, if it is an outcome: delivered (true) or not (false), with the
/// network's word for it. Intermediate types (queued, accepted by the SMSC) are no outcome.
pub fn report_outcome(kind: u32) -> Option<(bool, &'static str)> {
    match kind {
        1 => Some((true, "DELIVRD")),
        2 => Some((false, "UNDELIV")),
        16 => Some((false, "REJECTD")),
        _ => None,
    }
}

/// A Kannel gateway; cheap to clone the client it holds.
pub struct KannelGateway {
    settings: KannelSettings,
    client: reqwest::Client,
}

impl KannelGateway {
    pub fn new(settings: KannelSettings) -> Result<Self, SmsError> {
        let client = reqwest::Client::builder()
            .timeout(settings.timeout)
            .build()
            .map_err(|e| SmsError::Permanent(format!("no HTTP client: {e}")))?;
        Ok(Self { settings, client })
    }

    fn report_url(&self, sms: &OutgoingSms) -> Option<String> {
        let base = self.settings.report_url.as_deref()?;
        let separator = if base.contains('?') { '&' } else { '?' };
        // `%d` is Kannel's placeholder for the report type; the rest is ours and URL-safe (hex).
        Some(format!("{base}{separator}message={}&token={}&type=%d", sms.message_id, sms.report_token))
    }
}

#[async_trait]
impl SmsGateway for KannelGateway {
    async fn send(&self, sms: &OutgoingSms) -> Result<Accepted, SmsError> {
        let s = &self.settings;
        let coding = match payload(&sms.text).0 {
            Encoding::Gsm7 => "0",
            Encoding::Ucs2 => "2",
        };
        let mut query: Vec<(&str, String)> = vec![
            ("username", s.username.clone()),
            ("password", s.password.clone()),
            ("from", s.sender.clone()),
            ("to", sms.to.clone()),
            ("text", sms.text.clone()),
            ("charset", "UTF-8".into()),
            ("coding", coding.into()),
        ];
        if let Some(url) = self.report_url(sms) {
            query.extend([("dlr-mask", DLR_MASK.into()), ("dlr-url", url)]);
        }
        if let Some(smsc) = &s.smsc {
            query.push(("smsc", smsc.clone()));
        }
        // Errors from reqwest name the URL with its query: the password and the number. Not passed on.
        let response = self.client.get(&s.url).query(&query).send().await.map_err(|e| {
            SmsError::Temporary(if e.is_timeout() {
                "Kannel did not answer in time".into()
            } else {
                "Kannel is not reachable".into()
            })
        })?;
        // What Kannel said is not kept: a gateway may echo the request (password, recipient, text
        // with its PIN) in any spelling, and no filter can tell its words from ours. Its status says
        // what to do; Kannel's own log says why.
        match response.status().as_u16() {
            200..=299 => Ok(Accepted { gateway: s.name.clone(), gateway_id: sms.message_id.clone() }),
            // A request Kannel will never take (no receiver, a text it cannot encode).
            400 => Err(SmsError::Permanent("Kannel refused the message (HTTP 400; its log says why)".into())),
            // A wrong password or a sender not allowed is the configuration's fault, not the
            // message's: tried again, so that it goes out once staff fix the configuration.
            code => Err(SmsError::Temporary(format!("Kannel answered HTTP {code} (its log says why)"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};

    use super::*;

    /// A gateway that answers with the request it was sent, as some do in their error pages.
    fn echoing_gateway(status: &'static str) -> String {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/cgi-bin/sendsms", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut request = [0u8; 8192];
            let n = stream.read(&mut request).unwrap();
            let request = String::from_utf8_lossy(&request[..n]).into_owned();
            let query = request.split(['?', ' ']).nth(2).unwrap_or_default();
            let words: Vec<String> = query
                .split('&')
                .flat_map(|pair| pair.split('='))
                .map(|w| w.replace('+', " ").replace("%2B", "+").replace("%2C", ","))
                .collect();
            let body = format!("Rejected: {} (raw {query})", words.join(" "));
            let answer =
                format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
            stream.write_all(answer.as_bytes()).unwrap();
        });
        url
    }

    #[tokio::test]
    async fn what_the_gateway_echoes_of_a_message_is_not_kept() {
        for status in ["400 Bad Request", "500 Internal Server Error"] {
            let gateway = KannelGateway::new(KannelSettings {
                name: "primary".into(),
                url: echoing_gateway(status),
                username: "abxuser".into(),
                password: "KannelTopSecret".into(),
                sender: "Abholbox".into(),
                report_url: None,
                smsc: None,
                timeout: Duration::from_secs(5),
            })
            .unwrap();
            let sms = OutgoingSms {
                message_id: "m-1".into(),
                to: "+4915123456715".into(),
                text: "Personalausweis liegt in der Abholbox. PIN 123456".into(),
                report_token: "t".into(),
                at: chrono::Utc::now(),
            };
            let said = gateway.send(&sms).await.unwrap_err().to_string();
            for secret in ["KannelTopSecret", "abxuser", "4915123456715", "123456", "Personalausweis"] {
                assert!(!said.contains(secret), "{status}: {said}");
            }
            assert!(said.contains(&status[..3]), "the status is kept: {said}");
        }
    }

    #[test]
    fn only_final_reports_are_outcomes() {
        assert_eq!(report_outcome(1), Some((true, "DELIVRD")));
        assert_eq!(report_outcome(2), Some((false, "UNDELIV")));
        assert_eq!(report_outcome(16), Some((false, "REJECTD")));
        assert_eq!(report_outcome(8), None, "accepted by the SMSC is not on the phone yet");
        assert_eq!(report_outcome(4), None);
    }
}
