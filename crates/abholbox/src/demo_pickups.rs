//! The demo's waiting documents: a few pickups registered, loaded and announced by SMS at start,
//! through the same HTTP API the registry and the box use, so that a visitor can collect one at the
//! kiosk at once, without typing a command.

use std::path::PathBuf;
use std::time::Duration;

use abholbox_core::ids::PickupId;
use anyhow::{Context, bail};
use serde_json::{Value, json};

use crate::bench::citizen::{german_id, pin_in};

pub use abholbox_http::DemoVisitor as DemoPickup;

struct Seed {
    who: &'static str,
    kind: &'static str,
    phone: &'static str,
    old_document: Option<&'static str>,
    birth_date: &'static str,
}

const SEEDS: [Seed; 4] = [
    Seed {
        who: "Erika Mustermann",
        kind: "id_card",
        phone: "0170 1234567",
        old_document: Some("L01X00T47"),
        birth_date: "1964-08-12",
    },
    Seed {
        who: "Mehmet Yılmaz",
        kind: "passport",
        phone: "0160 7654321",
        old_document: None,
        birth_date: "1974-08-12",
    },
    Seed {
        who: "Olena Kovalenko",
        kind: "id_card",
        phone: "0171 5550101",
        old_document: Some("T22000129"),
        birth_date: "1988-03-05",
    },
    Seed {
        who: "Mila Kovalenko",
        kind: "child_passport",
        phone: "0171 5550101",
        old_document: None,
        birth_date: "2019-06-21",
    },
];

/// The demo's calls to its own HTTP API, as the registry (integration token) and the simulator make them.
struct Api {
    client: reqwest::Client,
    base: String,
    integration: String,
}

impl Api {
    fn new(base: &str, integration: &str) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder().timeout(Duration::from_secs(20)).build()?;
        Ok(Self { client, base: base.to_owned(), integration: integration.to_owned() })
    }

    /// One call; an answer other than 2xx is an error naming its status and body.
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        as_registry: bool,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let (status, value) = self.try_call(method, path, as_registry, body).await?;
        if !status.is_success() {
            bail!("{status}: {value}");
        }
        Ok(value)
    }

    async fn try_call(
        &self,
        method: reqwest::Method,
        path: &str,
        as_registry: bool,
        body: Option<Value>,
    ) -> anyhow::Result<(reqwest::StatusCode, Value)> {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if as_registry {
            request = request.bearer_auth(&self.integration);
        }
        if let Some(b) = body {
            request = request.json(&b);
        }
        let response = request.send().await?;
        let status = response.status();
        Ok((status, response.json().await.unwrap_or(Value::Null)))
    }

    /// The box opens a compartment for a pickup (`deposits` to load it, `withdrawals` to take it out)
    /// and the simulator's hand closes the door again (it waits for a door that is still opening).
    async fn open_and_close(&self, what: &str, pickup: &str) -> anyhow::Result<()> {
        let path = format!("/api/v1/boxes/dlz-1/{what}");
        let opened = self.call(reqwest::Method::POST, &path, true, Some(json!({ "pickup": pickup }))).await?;
        let compartment = opened.get("compartment").and_then(Value::as_u64).context("no compartment")?;
        let close = format!("/api/v1/sim/boxes/dlz-1/compartments/{compartment}/close");
        self.call(reqwest::Method::POST, &close, false, Some(json!({}))).await.context("closing its door").map(drop)
    }
}

/// The ids of the documents the demo seeded, kept in `demo-pickups` in its data directory until each
/// is over, so that the next start can take back what this one leaves.
pub struct KeptIds {
    path: PathBuf,
    ids: Vec<PickupId>,
}

impl KeptIds {
    /// Reads the file; lines that are no pickup id (edited by hand, say, even into other encodings)
    /// are skipped.
    pub fn load(path: PathBuf) -> anyhow::Result<Self> {
        let ids = match std::fs::read(&path) {
            Ok(bytes) => {
                String::from_utf8_lossy(&bytes).lines().filter_map(|l| PickupId::parse(l.trim()).ok()).collect()
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        Ok(Self { path, ids })
    }

    /// Writes the list whole, through a file beside it renamed over it: a stop at any moment leaves
    /// the old list or the new one.
    fn save(&self) -> anyhow::Result<()> {
        let text: String = self.ids.iter().map(|id| format!("{id}\n")).collect();
        let next = self.path.with_extension("next");
        std::fs::write(&next, text)
            .and_then(|()| std::fs::rename(&next, &self.path))
            .with_context(|| format!("cannot write {}", self.path.display()))
    }

    fn push(&mut self, id: PickupId) -> anyhow::Result<()> {
        self.ids.push(id);
        self.save()
    }
}

/// What became of the documents an earlier start left.
#[derive(Debug, Default)]
pub struct Retired {
    /// Cancelled and withdrawn now.
    pub taken_back: usize,
    /// Those only staff can settle (a loading or hand-over a stop cut short), each as
    /// `id (status, attention)`; they stay in the list.
    pub left_for_staff: Vec<String>,
}

/// Takes back the documents an earlier start of the demo left waiting: their PINs went to a phone
/// inbox that lived in that process's memory, so nobody can collect them, and a new document for the
/// same phone would be announced without a PIN ("the PIN last sent applies"). Each is cancelled
/// and withdrawn, as staff would. One that is over (collected, withdrawn, or gone with another
/// database) leaves the list; one that waits for staff to settle it stays.
pub async fn retire(base: &str, integration: &str, kept: &mut KeptIds) -> anyhow::Result<Retired> {
    let api = Api::new(base, integration)?;
    let mut retired = Retired::default();
    let mut still = Vec::new();
    for id in std::mem::take(&mut kept.ids) {
        let (status, view) = api.try_call(reqwest::Method::GET, &format!("/api/v1/pickups/{id}"), true, None).await?;
        if status == reqwest::StatusCode::NOT_FOUND {
            continue;
        }
        let state = view.get("status").and_then(Value::as_str).unwrap_or_default();
        let attention = view.get("attention").and_then(Value::as_str);
        let in_box = view.get("compartment").and_then(Value::as_u64).is_some();
        match (state, attention) {
            ("collected" | "withdrawn", _) => continue,
            ("awaiting_deposit" | "ready", None) => {
                let reason = json!({ "reason": "the demo started again" });
                api.call(reqwest::Method::POST, &format!("/api/v1/pickups/{id}/cancel"), true, Some(reason))
                    .await
                    .with_context(|| format!("cancelling the earlier demo pickup {id}"))?;
            }
            ("cancelled" | "expired", None) => {}
            (state, attention) => {
                // A lock always comes with its attention; without one, a stop cut the loading short.
                let why = attention.unwrap_or("a stop cut it short");
                retired.left_for_staff.push(format!("{id} ({state}, {why})"));
                still.push(id);
                continue;
            }
        }
        if in_box {
            api.open_and_close("withdrawals", id.as_str()).await.context("withdrawing an earlier demo pickup")?;
        }
        retired.taken_back += 1;
    }
    kept.ids = still;
    kept.save()?;
    Ok(retired)
}

/// The demo's documents once seeded.
#[derive(Debug, Default)]
pub struct Seeded {
    /// Those a visitor can collect, with how.
    pub waiting: Vec<DemoPickup>,
    /// Whose document was announced without a PIN: one from an earlier start still waits for that
    /// phone (a hand-over cut short, say), and its PIN went with that start's phone inbox.
    pub without_pin: Vec<&'static str>,
}

/// Registers and loads the demo's documents, waits for their SMS and returns how to collect each.
/// Each pickup's id is kept as soon as it exists, so that a later start can take it back even when
/// this one stops halfway.
pub async fn seed(base: &str, integration: &str, kept: &mut KeptIds) -> anyhow::Result<Seeded> {
    let api = Api::new(base, integration)?;
    // In milliseconds: a restart within the same second must not repeat a reference.
    let started =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
    let mut out = Vec::new();
    for (i, seed) in SEEDS.iter().enumerate() {
        let registered = api
            .call(
                reqwest::Method::POST,
                "/api/v1/pickups",
                true,
                Some(json!({
                    "reference": format!("DEMO-{started}-{}", i + 1), "site": "dus-dlz", "document_kind": seed.kind,
                    "document_number": null, "phone": seed.phone, "birth_date": seed.birth_date,
                    "old_document_number": seed.old_document, "language": "de", "low_compartment": false,
                })),
            )
            .await
            .context("registering a demo pickup")?;
        let id = registered.get("id").and_then(Value::as_str).context("no pickup id")?.to_owned();
        kept.push(PickupId::parse(&id).map_err(|_| anyhow::anyhow!("not a pickup id: {id}"))?)?;
        api.open_and_close("deposits", &id).await.context("loading a demo pickup")?;
        out.push((seed, id));
    }
    let mut seeded = Seeded::default();
    for (seed, id) in out {
        let ready = format!("/api/v1/pickups/{id}?wait=10&status=depositing");
        api.call(reqwest::Method::GET, &ready, true, None).await.context("a demo pickup did not get ready")?;
        let digits: String = seed.phone.chars().filter(char::is_ascii_digit).collect();
        let to = format!("+49{}", digits.trim_start_matches('0'));
        let mut pin = None;
        for _ in 0..10 {
            let inbox = api
                .call(reqwest::Method::GET, &format!("/api/v1/sim/sms?to=%2B{}&wait=2", &to[1..]), false, None)
                .await?;
            pin = inbox.as_array().into_iter().flatten().filter_map(|m| m.get("text")?.as_str()).find_map(pin_in);
            if pin.is_some() {
                break;
            }
        }
        let Some(pin) = pin else {
            seeded.without_pin.push(seed.who);
            continue;
        };
        let (y, m, d) = (seed.birth_date.get(0..4), seed.birth_date.get(5..7), seed.birth_date.get(8..10));
        seeded.waiting.push(DemoPickup {
            pickup: id,
            who: seed.who.to_owned(),
            document_kind: seed.kind.to_owned(),
            phone: seed.phone.to_owned(),
            pin,
            old_document: seed.old_document.map(str::to_owned),
            old_document_zone: seed.old_document.map(german_id),
            birth_date: match (seed.old_document, y, m, d) {
                (None, Some(y), Some(m), Some(d)) => Some(format!("{d}.{m}.{y}")),
                _ => None,
            },
        });
    }
    Ok(seeded)
}

/// The zone of an ID card that belongs to no pickup, for the simulator page's "someone else's card".
pub fn stranger_zone() -> String {
    german_id("LZ6311T47")
}
