//! One complete pickup through the HTTP API, as the registry, the staff, the box and the citizen
//! would drive it; every call timed.

use std::sync::Arc;
use std::time::{Duration, Instant};

use abholbox_core::mrz::check_digit;
use anyhow::Context;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::latency::Recorder;

/// What the load needs to know about the server: where it is, its tokens, the site, and the panels.
/// `--tokens FILE` holds this as JSON for a server the bench did not start.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Plan {
    /// Where the server answers; `--url` sets it.
    #[serde(default)]
    pub base: String,
    pub integration: String,
    /// Reads `/metrics` (commits); without it the commits per pickup are not counted.
    #[serde(default)]
    pub admin: Option<String>,
    pub site: String,
    pub panels: Vec<Panel>,
    /// The tokens the bench made for its own server, revoked when it is done.
    #[serde(skip)]
    pub token_ids: Vec<String>,
}

/// A kiosk panel: its token, the token's id (which names the panel's slot to the simulator), its box.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Panel {
    pub token: String,
    pub id: String,
    #[serde(rename = "box")]
    pub box_id: String,
}

/// Drives pickups; cheap to share between the kiosks.
pub struct Citizens {
    client: reqwest::Client,
    plan: Arc<Plan>,
    recorder: Arc<Recorder>,
    /// Makes references and phone numbers of this run unique on a database used before.
    run: u64,
}

/// A failed pickup: which call, and what came back.
#[derive(Debug)]
pub struct Failure(pub String);

type Step<T> = Result<T, Failure>;

/// How long the long-polls wait per request.
const WAIT: &str = "10";

impl Citizens {
    pub fn new(plan: Arc<Plan>, recorder: Arc<Recorder>, kiosks: usize) -> anyhow::Result<Self> {
        let client =
            reqwest::Client::builder().pool_max_idle_per_host(kiosks * 2).timeout(Duration::from_secs(30)).build()?;
        // A random run id: references never meet those of another run, and phone numbers rarely do.
        let run = std::hash::BuildHasher::hash_one(&std::collections::hash_map::RandomState::new(), std::process::id());
        Ok(Self { client, plan, recorder, run })
    }

    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// The `n`-th pickup of the run at `panel`: registered, loaded, told by SMS, collected. Every
    /// other one is collected with the old document in the slot, the rest with the birth date.
    pub async fn pickup(&self, n: u64, panel: &Panel) -> Step<()> {
        let plan = &self.plan;
        let phone = format!("+49151{:08}", self.run.wrapping_add(n) % 100_000_000);
        let old_document = n.is_multiple_of(2).then(|| format!("L{:08}", n % 100_000_000));
        let reference = format!("BENCH-{:016x}-{n}", self.run);
        let integration = Some(plan.integration.as_str());
        let registered = self
            .call(
                "register",
                Method::POST,
                "/api/v1/pickups",
                integration,
                Some(json!({
                    "reference": reference, "site": plan.site, "document_kind": "id_card", "document_number": null,
                    "phone": phone, "birth_date": "1970-01-01", "old_document_number": old_document, "language": "de",
                    "low_compartment": false,
                })),
            )
            .await?;
        let id = text(&registered, "id")?;
        let deposit = format!("/api/v1/boxes/{}/deposits", panel.box_id);
        let loaded = self.call("deposit", Method::POST, &deposit, integration, Some(json!({ "pickup": id }))).await?;
        let compartment = number(&loaded, "compartment")?;
        self.close(panel, compartment).await?;
        self.wait_for_status(&id, "depositing", "ready").await?;
        let pin = self.pin_sent_to(&phone).await?;

        let kiosk = Some(panel.token.as_str());
        let started = self.call("kiosk_start", Method::POST, "/api/v1/kiosk/sessions", kiosk, Some(json!({}))).await?;
        let session = format!("/api/v1/kiosk/sessions/{}", text(&started, "session")?);
        self.call("kiosk_phone", Method::POST, &format!("{session}/phone"), kiosk, Some(json!({ "phone": phone })))
            .await?;
        let mut state =
            self.call("kiosk_pin", Method::POST, &format!("{session}/pin"), kiosk, Some(json!({ "pin": pin }))).await?;
        match (text(&state, "step")?.as_str(), &old_document) {
            ("birth_date", None) => {
                let body = json!({ "birth_date": "1970-01-01" });
                state = self
                    .call("kiosk_birth_date", Method::POST, &format!("{session}/birth-date"), kiosk, Some(body))
                    .await?;
            }
            ("old_document", Some(number)) => {
                let reader = format!("/api/v1/sim/boxes/{}/reader", panel.box_id);
                let body = json!({ "mrz": german_id(number), "panel": panel.id });
                self.call("sim_insert", Method::POST, &reader, None, Some(body)).await?;
                let waited = format!("{session}?wait={WAIT}&step=old_document");
                state = self.call("wait_step", Method::GET, &waited, kiosk, None).await?;
            }
            (step, _) => return Err(Failure(format!("pickup {n}: the kiosk asked for {step} after the PIN"))),
        }
        if text(&state, "step")? != "collect" {
            return Err(Failure(format!("pickup {n}: no compartment opened: {state}")));
        }
        let opened = state
            .pointer("/compartments/0/compartment")
            .and_then(Value::as_u64)
            .ok_or_else(|| Failure(format!("pickup {n}: no compartment in {state}")))?;
        self.close(panel, opened).await?;
        self.wait_for_status(&id, "ready", "collected").await
    }

    /// A hand closes the door. The session shows `collect` once the claim is committed, a moment
    /// before the lock has opened; the simulated hand waits for the door.
    async fn close(&self, panel: &Panel, compartment: u64) -> Step<()> {
        let path = format!("/api/v1/sim/boxes/{}/compartments/{compartment}/close", panel.box_id);
        self.call("sim_close", Method::POST, &path, None, Some(json!({}))).await.map(drop)
    }

    /// Long-polls the pickup from status `from` until it reaches `want`. Naming the status last
    /// seen lets the server answer at once when the pickup has already moved on.
    async fn wait_for_status(&self, id: &str, from: &str, want: &str) -> Step<()> {
        let token = Some(self.plan.integration.as_str());
        let mut seen = from.to_owned();
        for _ in 0..5 {
            let path = format!("/api/v1/pickups/{id}?wait={WAIT}&status={seen}");
            let pickup = self.call("wait_status", Method::GET, &path, token, None).await?;
            seen = text(&pickup, "status")?;
            if seen == want {
                return Ok(());
            }
        }
        Err(Failure(format!("pickup {id} stayed {seen}, not {want}")))
    }

    /// The PIN from the demo gateway's inbox, waiting until the outbox has sent it.
    async fn pin_sent_to(&self, phone: &str) -> Step<String> {
        let path = format!("/api/v1/sim/sms?to={}&wait={WAIT}", phone.replace('+', "%2B"));
        let inbox = self.call("wait_sms", Method::GET, &path, None, None).await?;
        inbox
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|m| m.get("text")?.as_str())
            .rev()
            .find_map(pin_in)
            .ok_or_else(|| Failure(format!("no SMS with a PIN to the pickup's phone within {WAIT} s")))
    }

    /// One timed call; anything but a 2xx answer fails the pickup.
    async fn call(
        &self,
        name: &'static str,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Step<Value> {
        let mut request = self.client.request(method, format!("{}{path}", self.plan.base));
        if let Some(t) = token {
            request = request.bearer_auth(t);
        }
        if let Some(b) = &body {
            request = request.json(b);
        }
        let start = Instant::now();
        let response = request.send().await.map_err(|e| Failure(format!("{name}: {:#}", anyhow::Error::from(e))))?;
        let status = response.status();
        let answer = response.bytes().await.map_err(|e| Failure(format!("{name}: {:#}", anyhow::Error::from(e))))?;
        let took = start.elapsed();
        if !status.is_success() {
            return Err(Failure(format!("{name}: {status} {}", String::from_utf8_lossy(&answer))));
        }
        self.recorder.record(name, took);
        serde_json::from_slice(&answer).map_err(|e| Failure(format!("{name}: not JSON: {e}")))
    }
}

/// Before a run against a server the bench did not start: it answers, and every box the panels name
/// is simulated (the bench closes doors and inserts documents through the simulator), so that nothing
/// is registered or opened on a server that cannot finish a pickup.
pub async fn check_server(plan: &Plan) -> anyhow::Result<()> {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build()?;
    client
        .get(format!("{}/healthz", plan.base))
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .with_context(|| format!("no abholbox answers at {}", plan.base))?;
    let mut boxes: Vec<&str> = plan.panels.iter().map(|p| p.box_id.as_str()).collect();
    boxes.sort_unstable();
    boxes.dedup();
    for b in boxes {
        let answer = client.get(format!("{}/api/v1/sim/boxes/{b}", plan.base)).send().await?;
        if !answer.status().is_success() {
            anyhow::bail!(
                "box {b} is not simulated at {} (is simulator_api on?): the bench drives simulated boxes only",
                plan.base
            );
        }
    }
    Ok(())
}

fn text(v: &Value, field: &str) -> Step<String> {
    v.get(field).and_then(Value::as_str).map(str::to_owned).ok_or_else(|| Failure(format!("no {field} in {v}")))
}

fn number(v: &Value, field: &str) -> Step<u64> {
    v.get(field).and_then(Value::as_u64).ok_or_else(|| Failure(format!("no {field} in {v}")))
}

/// A German ID card's zone (TD1) for `number`, with correct check digits, as the slot's reader sends it.
pub(crate) fn german_id(number: &str) -> String {
    let digit = |s: &str| check_digit(s).map_or('<', |d| char::from(b'0' + d));
    let (birth, expiry) = ("700101", "351231");
    let line1 = format!("IDD<<{number}{}{}", digit(number), "<".repeat(15));
    let core = format!("{birth}{}<{expiry}{}D<<{}", digit(birth), digit(expiry), "<".repeat(11));
    let composite = format!(
        "{number}{}{}{birth}{}{expiry}{}{}",
        digit(number),
        "<".repeat(15),
        digit(birth),
        digit(expiry),
        "<".repeat(11)
    );
    let line2 = format!("{core}{}", digit(&composite));
    format!("{line1}\r\n{line2}\r\n{:<<30}\r\n", "BENCH<<CITIZEN")
}

/// The PIN in an SMS text: the digits right after a "PIN ".
pub fn pin_in(text: &str) -> Option<String> {
    text.match_indices("PIN ").find_map(|(at, _)| {
        let digits: String = text.get(at + 4..)?.chars().take_while(char::is_ascii_digit).collect();
        (!digits.is_empty()).then_some(digits)
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_zone_reads_as_a_valid_german_id() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
        let reading = abholbox_core::mrz::read(&german_id("L00000042"), today).unwrap();
        assert_eq!(reading.document_number(), "L00000042");
        assert_eq!(reading.birth_date(), chrono::NaiveDate::from_ymd_opt(1970, 1, 1));
        assert!(reading.is_valid(), "{:?}", reading.errors());
    }
}
