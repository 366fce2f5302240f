//! The `[sms]` section: which gateway sends, which takes over, what the phone shows as sender, and
//! when a message is given up; and the gateways built from it.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use abholbox_core::notify::QuietHours;
use abholbox_sms::kannel::{KannelGateway, KannelSettings};
use abholbox_sms::smpp::{SmppGateway, SmppSettings};
use abholbox_sms::{DeliveryReport, DemoGateway, Failover, SmsGateway};
use anyhow::{Context, bail};
use chrono::NaiveTime;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmsConfig {
    /// `demo` (the simulator's inbox), `smpp` (see `[sms.smpp]`) or `kannel` (see `[sms.kannel]`).
    pub gateway: String,
    /// A second gateway of another kind, used while the first cannot send (connection lost,
    /// throttled); empty for none.
    pub secondary: String,
    /// What the phone shows as sender: up to 11 letters, digits and spaces, or a number (`+49…`).
    pub sender: String,
    /// A message no gateway accepted within this many hours is given up and its pickup flagged
    /// `sms_not_deliverable` for staff.
    pub give_up_after_hours: u32,
    /// No SMS goes out in these hours, site time (`HH:MM-HH:MM`); "" for none. A site may have its own
    /// (`sms_quiet_hours`).
    pub quiet_hours: String,
    /// Local days before the deadline that a reminder goes out; 0 for none.
    pub reminder_days_before: u32,
    /// The local time reminders go out at (`HH:MM`).
    pub reminder_time: String,
    pub smpp: Option<SmppConfig>,
    pub kannel: Option<KannelConfig>,
}

/// Kannel's HTTP `sendsms` (or an aggregator speaking it).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KannelConfig {
    /// `http://host:13013/cgi-bin/sendsms`: plain HTTP to a Kannel on a trusted network.
    pub url: String,
    pub username: String,
    /// A file holding the password; `ABHOLBOX_KANNEL_PASSWORD` also works. Never in this file.
    pub password_file: Option<PathBuf>,
    /// Our URL as Kannel reaches it, for delivery reports: `http://abholbox:8080/api/v1/sms/reports/kannel`.
    /// Empty: no reports are asked for, and messages stay `accepted`.
    pub report_url: String,
    /// Kannel's `smsc` route, where it has several.
    pub smsc: String,
    pub timeout_seconds: u64,
}

impl Default for KannelConfig {
    fn default() -> Self {
        Self {
            url: String::new(),
            username: String::new(),
            password_file: None,
            report_url: String::new(),
            smsc: String::new(),
            timeout_seconds: 10,
        }
    }
}

impl Default for SmsConfig {
    fn default() -> Self {
        Self {
            gateway: "demo".into(),
            secondary: String::new(),
            sender: "Abholbox".into(),
            give_up_after_hours: 24,
            quiet_hours: "20:00-08:00".into(),
            reminder_days_before: 2,
            reminder_time: "10:00".into(),
            smpp: None,
            kannel: None,
        }
    }
}

/// An SMSC reached over SMPP 3.4, as the carrier's contract describes it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmppConfig {
    pub host: String,
    pub port: u16,
    /// SMPP over TLS (the carrier's certificate is checked against the system's roots).
    pub tls: bool,
    pub system_id: String,
    /// A file holding the password; `ABHOLBOX_SMPP_PASSWORD` also works. Never in this file.
    pub password_file: Option<PathBuf>,
    pub system_type: String,
    /// `transceiver` (receipts on the same session) or `transmitter`.
    pub bind: String,
    /// `submit_sm` awaiting their answer at once.
    pub window: usize,
    /// `submit_sm` per second at most.
    pub max_per_second: u32,
    pub enquire_link_seconds: u64,
    pub response_timeout_seconds: u64,
}

impl Default for SmppConfig {
    fn default() -> Self {
        Self {
            host: String::new(),
            port: 2775,
            tls: false,
            system_id: String::new(),
            password_file: None,
            system_type: String::new(),
            bind: "transceiver".into(),
            window: 10,
            max_per_second: 20,
            enquire_link_seconds: 30,
            response_timeout_seconds: 10,
        }
    }
}

/// The gateway the outbox sends through, and the demo's inbox when the demo gateway is one of them.
pub struct Gateways {
    pub send: Arc<dyn SmsGateway>,
    pub demo: Option<Arc<DemoGateway>>,
}

impl SmsConfig {
    /// Checks the section; `simulator` says whether the simulator's routes are on (the demo), the
    /// only place where the demo gateway's inbox is seen by anyone.
    pub fn validate(&self, simulator: bool) -> anyhow::Result<()> {
        self.validate_with(simulator, true)
    }

    /// As [`SmsConfig::validate`]; `secrets: false` leaves the gateways' passwords unread, for the
    /// commands that never send (they only queue) and so need no gateway's secret.
    pub fn validate_with(&self, simulator: bool, secrets: bool) -> anyhow::Result<()> {
        if self.secondary == "demo" && !simulator {
            bail!(
                "sms.secondary = \"demo\" would put citizens' SMS into an inbox nobody reads; name a real gateway or none"
            );
        }
        for (key, kind) in [("sms.gateway", &self.gateway), ("sms.secondary", &self.secondary)] {
            match kind.as_str() {
                "demo" | "smpp" | "kannel" => {}
                "" if key == "sms.secondary" => {}
                other => bail!("{key}: {other:?} is not a gateway; use \"demo\", \"smpp\" or \"kannel\""),
            }
        }
        if self.gateway == self.secondary {
            bail!("sms.secondary must be another kind of gateway than sms.gateway");
        }
        if [&self.gateway, &self.secondary].iter().any(|k| *k == "smpp") {
            let smpp = self.smpp.as_ref().context("sms.smpp: the SMPP gateway needs its section [sms.smpp]")?;
            if smpp.host.is_empty() || smpp.system_id.is_empty() {
                bail!("sms.smpp: host and system_id are needed");
            }
            if !matches!(smpp.bind.as_str(), "transceiver" | "transmitter") {
                bail!("sms.smpp.bind: \"transceiver\" or \"transmitter\"");
            }
            if smpp.window == 0 || smpp.max_per_second == 0 || smpp.enquire_link_seconds == 0 {
                bail!("sms.smpp: window, max_per_second and enquire_link_seconds must be at least 1");
            }
            if smpp.port == 0 {
                bail!("sms.smpp.port: the SMSC's port, 1 to 65535");
            }
            if !(1..=300).contains(&smpp.response_timeout_seconds) {
                bail!("sms.smpp.response_timeout_seconds must be between 1 and 300");
            }
            // SMPP 3.4 gives the system_id 16 octets with its closing NUL.
            if smpp.system_id.len() > 15 {
                bail!("sms.smpp.system_id: at most 15 characters (SMPP 3.4), not {}", smpp.system_id.len());
            }
            if secrets
                && secret(smpp.password_file.as_ref(), "sms.smpp.password_file", "ABHOLBOX_SMPP_PASSWORD")?.is_empty()
            {
                bail!(
                    "sms.smpp: no password; set password_file or ABHOLBOX_SMPP_PASSWORD (a bind with none would be refused again and again)"
                );
            }
        }
        if [&self.gateway, &self.secondary].iter().any(|k| *k == "kannel") {
            let kannel =
                self.kannel.as_ref().context("sms.kannel: the Kannel gateway needs its section [sms.kannel]")?;
            if kannel.url.starts_with("https://") {
                bail!(
                    "sms.kannel.url: HTTPS is not supported yet; give Kannel's sendsms as http://… on a trusted network"
                );
            }
            if !(1..=300).contains(&kannel.timeout_seconds) {
                bail!("sms.kannel.timeout_seconds must be between 1 and 300");
            }
            if !kannel.url.starts_with("http://") || kannel.username.is_empty() {
                bail!("sms.kannel: url (http://…/cgi-bin/sendsms; HTTPS is not supported yet) and username are needed");
            }
            if !kannel.report_url.is_empty() && !kannel.report_url.starts_with("http") {
                bail!("sms.kannel.report_url: a URL at which Kannel reaches this server, or empty");
            }
            if secrets
                && secret(kannel.password_file.as_ref(), "sms.kannel.password_file", "ABHOLBOX_KANNEL_PASSWORD")?
                    .is_empty()
            {
                bail!("sms.kannel: no password; set password_file or ABHOLBOX_KANNEL_PASSWORD");
            }
        }
        if !(1..=24 * 14).contains(&self.give_up_after_hours) {
            bail!("sms.give_up_after_hours must be between 1 and 336");
        }
        let quiet = quiet_hours(&self.quiet_hours).context("sms.quiet_hours")?;
        let reminder = self.reminder_time().context("sms.reminder_time")?;
        if quiet.is_some_and(|q| q.contains(reminder)) {
            bail!(
                "sms.reminder_time {} falls in the quiet hours {}: the reminder would come a day late",
                self.reminder_time,
                self.quiet_hours
            );
        }
        if self.reminder_days_before > 30 {
            bail!("sms.reminder_days_before must be between 0 and 30");
        }
        valid_sender(&self.sender)
    }

    pub fn reminder_time(&self) -> anyhow::Result<NaiveTime> {
        NaiveTime::parse_from_str(self.reminder_time.trim(), "%H:%M")
            .with_context(|| format!("HH:MM, not {:?}", self.reminder_time))
    }

    /// When SMS go out, built from this section and the sites' own quiet hours.
    pub fn policy<'a>(
        &self,
        sites: impl IntoIterator<Item = (&'a str, Option<&'a str>)>,
    ) -> anyhow::Result<abholbox_service::outbox::SmsPolicy> {
        let mut quiet_hours_of_site = std::collections::HashMap::new();
        for (site, own) in sites {
            if let Some(own) = own {
                let id = abholbox_core::ids::SiteId::parse(site)?;
                quiet_hours_of_site
                    .insert(id, quiet_hours(own).with_context(|| format!("site {site}: sms_quiet_hours"))?);
            }
        }
        Ok(abholbox_service::outbox::SmsPolicy {
            give_up_after: chrono::Duration::hours(i64::from(self.give_up_after_hours)),
            quiet_hours: quiet_hours(&self.quiet_hours)?,
            quiet_hours_of_site,
            reminder_days_before: self.reminder_days_before,
            reminder_time: self.reminder_time()?,
        })
    }

    /// Builds the gateways; SMPP sessions start connecting at once, receipts go to `reports`.
    pub fn gateways(&self, reports: &mpsc::Sender<DeliveryReport>) -> anyhow::Result<Gateways> {
        let mut demo = None;
        let mut build = |kind: &str, name: &str| -> anyhow::Result<Arc<dyn SmsGateway>> {
            Ok(match kind {
                "smpp" => Arc::new(SmppGateway::start(self.smpp_settings(name)?, reports.clone())),
                "kannel" => Arc::new(KannelGateway::new(self.kannel_settings(name)?)?),
                _ => {
                    let inbox = Arc::new(DemoGateway::new());
                    demo = Some(inbox.clone());
                    inbox
                }
            })
        };
        let primary = build(&self.gateway, "primary")?;
        let send = if self.secondary.is_empty() {
            primary
        } else {
            Arc::new(Failover::new(primary, build(&self.secondary, "secondary")?))
        };
        Ok(Gateways { send, demo })
    }

    fn kannel_settings(&self, name: &str) -> anyhow::Result<KannelSettings> {
        let kannel = self.kannel.clone().unwrap_or_default();
        let optional = |v: String| if v.is_empty() { None } else { Some(v) };
        Ok(KannelSettings {
            name: name.into(),
            url: kannel.url,
            username: kannel.username,
            password: secret(kannel.password_file.as_ref(), "sms.kannel.password_file", "ABHOLBOX_KANNEL_PASSWORD")?,
            sender: self.sender.clone(),
            report_url: optional(kannel.report_url),
            smsc: optional(kannel.smsc),
            timeout: Duration::from_secs(kannel.timeout_seconds.max(1)),
        })
    }

    fn smpp_settings(&self, name: &str) -> anyhow::Result<SmppSettings> {
        let smpp = self.smpp.clone().unwrap_or_default();
        let password = secret(smpp.password_file.as_ref(), "sms.smpp.password_file", "ABHOLBOX_SMPP_PASSWORD")?;
        Ok(SmppSettings {
            name: name.into(),
            host: smpp.host,
            port: smpp.port,
            tls: smpp.tls,
            system_id: smpp.system_id,
            password,
            system_type: smpp.system_type,
            transceiver: smpp.bind == "transceiver",
            sender: self.sender.clone(),
            window: smpp.window,
            max_per_second: smpp.max_per_second,
            enquire_link: Duration::from_secs(smpp.enquire_link_seconds),
            response_timeout: Duration::from_secs(smpp.response_timeout_seconds.max(1)),
        })
    }
}

/// A password from its file (one line) or, without one, from the environment.
fn secret(file: Option<&PathBuf>, key: &str, variable: &str) -> anyhow::Result<String> {
    match file {
        Some(file) => Ok(std::fs::read_to_string(file)
            .with_context(|| format!("{key}: cannot read {}", file.display()))?
            .trim_end_matches(['\r', '\n'])
            .to_owned()),
        None => Ok(std::env::var(variable).unwrap_or_default()),
    }
}

/// Quiet hours as configured: `""` for none.
fn quiet_hours(value: &str) -> anyhow::Result<Option<QuietHours>> {
    if value.trim().is_empty() { Ok(None) } else { Ok(Some(QuietHours::parse(value)?)) }
}

/// An alphanumeric sender id is at most 11 characters that every network passes (ASCII letters,
/// digits, spaces); a numeric one is a number in international form.
fn valid_sender(sender: &str) -> anyhow::Result<()> {
    let numeric = sender
        .strip_prefix('+')
        .is_some_and(|digits| (6..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()));
    // At least one letter: digits alone would go out as a (wrong) international number.
    let alphanumeric = (1..=11).contains(&sender.chars().count())
        && sender.bytes().any(|b| b.is_ascii_alphabetic())
        && sender.bytes().all(|b| b.is_ascii_alphanumeric() || b == b' ')
        && !sender.starts_with(' ')
        && !sender.ends_with(' ');
    if numeric || alphanumeric {
        Ok(())
    } else {
        bail!("sms.sender: up to 11 letters, digits and spaces (no umlauts), or a number like +4921189900")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn sender_ids_are_short_ascii_names_or_numbers() {
        for good in ["Abholbox", "Stadt DUS", "ABCDEFGHIJK", "+4921189900", "DUS 2026"] {
            assert!(valid_sender(good).is_ok(), "{good}");
        }
        for bad in
            ["", "ABCDEFGHIJKL", "Düsseldorf", " Stadt", "Stadt-DUS", "+", "+12", "+49 211 89900", "0211", "4921189900"]
        {
            assert!(valid_sender(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn gateways_are_checked_before_anything_is_sent() {
        let dir = tempfile::tempdir().unwrap();
        let password = dir.path().join("password");
        std::fs::write(&password, "secret\n").unwrap();
        let mut sms = SmsConfig::default();
        assert!(sms.validate(false).is_ok());
        sms.gateway = "smpp".into();
        assert!(sms.validate(false).unwrap_err().to_string().contains("[sms.smpp]"));
        sms.smpp = Some(SmppConfig { host: "smsc.example".into(), system_id: "city".into(), ..Default::default() });
        assert!(sms.validate(false).unwrap_err().to_string().contains("no password"));
        sms.smpp = Some(SmppConfig { password_file: Some(password), ..sms.smpp.unwrap() });
        assert!(sms.validate(false).is_ok());
        let good = sms.smpp.clone().unwrap();
        for (wrong, named) in [
            (SmppConfig { port: 0, ..good.clone() }, "sms.smpp.port"),
            (SmppConfig { response_timeout_seconds: 0, ..good.clone() }, "sms.smpp.response_timeout_seconds"),
            (SmppConfig { system_id: "a".repeat(16), ..good.clone() }, "sms.smpp.system_id"),
        ] {
            sms.smpp = Some(wrong);
            assert!(sms.validate(false).unwrap_err().to_string().contains(named), "{named}");
        }
        sms.smpp = Some(good);
        sms.secondary = "smpp".into();
        assert!(sms.validate(false).is_err(), "the same kind twice");
        sms.secondary = "demo".into();
        assert!(sms.validate(false).unwrap_err().to_string().contains("inbox nobody reads"));
        assert!(sms.validate(true).is_ok(), "the demo's own");
        sms.secondary = String::new();
        sms.reminder_time = "21:00".into();
        assert!(sms.validate(false).unwrap_err().to_string().contains("a day late"));
        sms.reminder_time = "10:00".into();
        sms.gateway = "carrier-pigeon".into();
        assert!(sms.validate(false).unwrap_err().to_string().contains("not a gateway"));
    }
}
