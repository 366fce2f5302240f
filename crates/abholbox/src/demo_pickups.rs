//! The demo's waiting documents: a few pickups registered, loaded and announced by SMS at start,
//! through the same HTTP API the registry and the box use, so that a visitor can collect one at the
//! kiosk at once, without typing a command.

use std::time::Duration;

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

/// Registers and loads the demo's documents, waits for their SMS and returns how to collect each.
pub async fn seed(base: &str, integration: &str) -> anyhow::Result<Vec<DemoPickup>> {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(20)).build()?;
    let call = |method: reqwest::Method, path: String, token: Option<&str>, body: Option<Value>| {
        let mut request = client.request(method, format!("{base}{path}"));
        if let Some(t) = token {
            request = request.bearer_auth(t);
        }
        if let Some(b) = body {
            request = request.json(&b);
        }
        async move {
            let response = request.send().await?;
            let status = response.status();
            let value: Value = response.json().await.unwrap_or(Value::Null);
            if !status.is_success() {
                bail!("{status}: {value}");
            }
            anyhow::Ok(value)
        }
    };
    let started = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let mut out = Vec::new();
    for (i, seed) in SEEDS.iter().enumerate() {
        let registered = call(
            reqwest::Method::POST,
            "/api/v1/pickups".into(),
            Some(integration),
            Some(json!({
                "reference": format!("DEMO-{started}-{}", i + 1), "site": "dus-dlz", "document_kind": seed.kind,
                "document_number": null, "phone": seed.phone, "birth_date": seed.birth_date,
                "old_document_number": seed.old_document, "language": "de", "low_compartment": false,
            })),
        )
        .await
        .context("registering a demo pickup")?;
        let id = registered.get("id").and_then(Value::as_str).context("no pickup id")?.to_owned();
        let loaded = call(
            reqwest::Method::POST,
            "/api/v1/boxes/dlz-1/deposits".into(),
            Some(integration),
            Some(json!({ "pickup": id })),
        )
        .await
        .context("loading a demo pickup")?;
        let compartment = loaded.get("compartment").and_then(Value::as_u64).context("no compartment")?;
        let close = format!("/api/v1/sim/boxes/dlz-1/compartments/{compartment}/close");
        // The simulator's hand waits for a door that is still opening.
        call(reqwest::Method::POST, close, None, Some(json!({}))).await.context("closing a demo compartment")?;
        out.push((seed, id));
    }
    let mut pickups = Vec::new();
    for (seed, id) in out {
        let ready = format!("/api/v1/pickups/{id}?wait=10&status=depositing");
        call(reqwest::Method::GET, ready, Some(integration), None).await.context("a demo pickup did not get ready")?;
        let digits: String = seed.phone.chars().filter(char::is_ascii_digit).collect();
        let to = format!("+49{}", digits.trim_start_matches('0'));
        let mut pin = None;
        for _ in 0..10 {
            let inbox =
                call(reqwest::Method::GET, format!("/api/v1/sim/sms?to=%2B{}&wait=2", &to[1..]), None, None).await?;
            pin = inbox.as_array().into_iter().flatten().filter_map(|m| m.get("text")?.as_str()).find_map(pin_in);
            if pin.is_some() {
                break;
            }
        }
        let (y, m, d) = (seed.birth_date.get(0..4), seed.birth_date.get(5..7), seed.birth_date.get(8..10));
        pickups.push(DemoPickup {
            pickup: id,
            who: seed.who.to_owned(),
            document_kind: seed.kind.to_owned(),
            phone: seed.phone.to_owned(),
            pin: pin.context("no SMS with a PIN reached the demo's phone")?,
            old_document: seed.old_document.map(str::to_owned),
            old_document_zone: seed.old_document.map(german_id),
            birth_date: match (seed.old_document, y, m, d) {
                (None, Some(y), Some(m), Some(d)) => Some(format!("{d}.{m}.{y}")),
                _ => None,
            },
        });
    }
    Ok(pickups)
}

/// The zone of an ID card that belongs to no pickup, for the simulator page's "someone else's card".
pub fn stranger_zone() -> String {
    german_id("LZ6311T47")
}
