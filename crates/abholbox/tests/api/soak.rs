//! The soak test: hundreds of pickups through the serial driver while the hardware fails at random,
//! then a look at what is left. Bounded to a few minutes, run by `.ci/run` on its own:
//! `cargo test -p abholbox --test api soak -- --ignored --nocapture`
//! (`ABHOLBOX_SOAK_PICKUPS`, `ABHOLBOX_SOAK_SEED` to vary it).
//!
//! Two panels pick up side by side while a third hand breaks locks, silences boards and sensors,
//! corrupts answers and forces doors, and mends each after a moment. Whatever happened, at the end:
//! no document was handed out twice or to another citizen's session, every pickup and every
//! compartment is in a defined state, every alarm has a known kind, and "unlock all" never went over
//! the wire.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use abholbox_box::boards::kerong_cu16::CMD_UNLOCK_ALL;
use abholbox_core::compartment::CompartmentState;
use abholbox_core::ids::BoxId;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::sync::Mutex;

use crate::helpers::{BOX, Driver, TestApp};

/// A small, seeded generator: the same seed gives the same faults in the same order.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// What became of one pickup, as its panel saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    Collected,
    /// The lock failed at the claim: the citizen was sent to the counter.
    CompartmentDidNotOpen,
    /// Its compartment was blocked or its board silent: sent to the counter, nothing claimed.
    Unavailable,
    /// No compartment could be loaded for it within three tries.
    NotLoaded,
}

#[derive(Default)]
struct Figures {
    ids: Vec<String>,
    outcome_of: HashMap<String, Outcome>,
    outcomes: BTreeMap<Outcome, u32>,
    faults: BTreeMap<&'static str, u32>,
    pickup_ms: Vec<u128>,
}

async fn pin_for(app: &TestApp, e164: &str) -> String {
    let path = format!("/api/v1/sim/sms?to={}&wait=10&count=1", e164.replace('+', "%2B"));
    let (status, body) = app.get(&path, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body.as_array()
        .and_then(|m| m.iter().rev().find_map(|m| m["text"].as_str().and_then(abholbox::bench::pin_in)))
        .unwrap_or_else(|| panic!("no PIN for {e164}: {body}"))
}

async fn wait_status(app: &TestApp, id: &str, want: &[&str], within: Duration) -> String {
    let started = Instant::now();
    loop {
        let status = app.status(id).await;
        if want.contains(&status.as_str()) || started.elapsed() > within {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Closes a door once it stands open; a door already closed by another hand is fine.
async fn close_when_open(app: &TestApp, c: u64) {
    for _ in 0..250 {
        if app.sim_box().await["open_doors"].as_array().is_some_and(|d| d.contains(&json!(c))) {
            let (status, body) =
                app.post(&format!("/api/v1/sim/boxes/{BOX}/compartments/{c}/close"), None, json!({})).await;
            assert!(status == StatusCode::OK || status == StatusCode::CONFLICT, "{status} {body}");
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// One panel's citizens, one after another.
async fn panel(app: Arc<TestApp>, kiosk: String, first: u64, count: u64, figures: Arc<Mutex<Figures>>) {
    for n in first..first + count {
        let started = Instant::now();
        let phone = format!("0151 3{n:07}");
        let e164 = format!("+49151 3{n:07}").replace(' ', "");
        let id = app.register(&format!("SOAK-{n}"), &phone, "1970-05-05", None).await;
        figures.lock().await.ids.push(id.clone());
        let mut loaded = None;
        for _ in 0..3 {
            let (status, body) = app.deposit_raw(&id).await;
            match status {
                StatusCode::CREATED => {
                    let c = body["compartment"].as_u64().unwrap();
                    close_when_open(&app, c).await;
                    let now = wait_status(&app, &id, &["ready"], Duration::from_secs(15)).await;
                    assert_eq!(now, "ready", "pickup {id} in compartment {c}");
                    loaded = Some(c);
                    break;
                }
                StatusCode::SERVICE_UNAVAILABLE => {
                    assert_eq!(body["error"]["code"], "box_unavailable", "{body}");
                    assert_eq!(app.status(&id).await, "awaiting_deposit", "a failed loading leaves nothing half-done");
                }
                other => panic!("deposit answered {other}: {body}"),
            }
        }
        let Some(c) = loaded else {
            let mut f = figures.lock().await;
            *f.outcomes.entry(Outcome::NotLoaded).or_insert(0) += 1;
            f.outcome_of.insert(id.clone(), Outcome::NotLoaded);
            continue;
        };
        let pin = pin_for(&app, &e164).await;
        let (session, status, body) = app.authenticate_at(&kiosk, &phone, &pin).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, body) = app.step_at(&kiosk, &session, "birth-date", json!({ "birth_date": "1970-05-05" })).await;
        let outcome = match status {
            StatusCode::OK => {
                let state = app.wait_step_at(&kiosk, &session, "collect").await;
                assert_eq!(
                    state["compartments"][0]["compartment"].as_u64(),
                    Some(c),
                    "the session opens the compartment of the citizen's own document"
                );
                close_when_open(&app, c).await;
                let now = wait_status(&app, &id, &["collected"], Duration::from_secs(20)).await;
                assert_eq!(now, "collected", "pickup {id}: {}", app.pickup(&id).await);
                Outcome::Collected
            }
            StatusCode::SERVICE_UNAVAILABLE => {
                assert_eq!(body["error"]["code"], "box_unavailable", "{body}");
                let p = app.pickup(&id).await;
                assert_eq!(
                    (p["status"].as_str(), p["attention"].as_str()),
                    (Some("ready"), Some("compartment_did_not_open"))
                );
                Outcome::CompartmentDidNotOpen
            }
            StatusCode::CONFLICT => {
                assert_eq!(body["error"]["code"], "not_available", "{body}");
                assert_eq!(app.status(&id).await, "ready", "nothing claimed");
                Outcome::Unavailable
            }
            other => panic!("birth date answered {other}: {body}"),
        };
        let mut f = figures.lock().await;
        *f.outcomes.entry(outcome).or_insert(0) += 1;
        f.outcome_of.insert(id.clone(), outcome);
        f.pickup_ms.push(started.elapsed().as_millis());
    }
}

/// The third hand: breaks something every few dozen milliseconds and mends it a moment later.
async fn chaos(app: Arc<TestApp>, seed: u64, stop: Arc<AtomicBool>, figures: Arc<Mutex<Figures>>) {
    let mut rng = XorShift(seed | 1);
    while !stop.load(Ordering::SeqCst) {
        // Mostly where the panels work (the loading fills compartment 1, 2, … first), now and then
        // anywhere on the bus.
        let c = if rng.below(5) == 0 { 1 + rng.below(256) } else { 1 + rng.below(12) };
        let (kind, broken, mended): (&'static str, Value, Value) = match rng.below(6) {
            0 => ("stuck_lock", json!({ "lock": "stuck" }), json!({ "lock": "ok" })),
            1 => ("unanswered_lock", json!({ "lock": "no_answer" }), json!({ "lock": "ok" })),
            2 => ("silent_board", json!({ "board": "silent" }), json!({ "board": "ok" })),
            3 => ("corrupt_board", json!({ "board": "corrupt" }), json!({ "board": "ok" })),
            4 => ("silent_sensor", json!({ "door_sensor": "silent" }), json!({ "door_sensor": "ok" })),
            _ => ("forced_door", json!({ "door": "forced" }), Value::Null),
        };
        app.fault(c, broken).await;
        figures.lock().await.faults.entry(kind).and_modify(|n| *n += 1).or_insert(1);
        tokio::time::sleep(Duration::from_millis(100 + rng.below(300))).await;
        if mended.is_null() {
            let _ = app.post(&format!("/api/v1/sim/boxes/{BOX}/compartments/{c}/close"), None, json!({})).await;
        } else {
            app.fault(c, mended).await;
        }
        tokio::time::sleep(Duration::from_millis(200 + rng.below(400))).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the soak test runs on its own in .ci/run"]
async fn soak_hundreds_of_pickups_through_the_serial_driver_with_random_faults() {
    let pickups = env_number("ABHOLBOX_SOAK_PICKUPS", 500);
    let seed = env_number("ABHOLBOX_SOAK_SEED", 20261130);
    let dir = tempfile::tempdir().unwrap();
    let app = Arc::new(TestApp::spawn_on(dir.path(), Driver::Serial, |_| {}).await);
    let figures = Arc::new(Mutex::new(Figures::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let hand = tokio::spawn(chaos(app.clone(), seed, stop.clone(), figures.clone()));
    let half = pickups / 2;
    let a = tokio::spawn(panel(app.clone(), app.kiosk.clone(), 1, half, figures.clone()));
    let b = tokio::spawn(panel(app.clone(), app.kiosk2.clone(), 1 + half, pickups - half, figures.clone()));
    a.await.unwrap();
    b.await.unwrap();
    stop.store(true, Ordering::SeqCst);
    hand.await.unwrap();
    let elapsed = started.elapsed();

    // Every fault mended; the last door reports arrive.
    for c in (1..=256).step_by(16) {
        app.fault(c, json!({ "board": "ok" })).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let store = app.service.store();
    let box_id = BoxId::parse(BOX).unwrap();

    // No document handed out twice, none to another session.
    let audit = store.audit_entries(1_000_000).await.unwrap();
    let mut handed: HashMap<String, u32> = HashMap::new();
    for a in audit.iter().filter(|a| a.action == "handed_over") {
        *handed.entry(a.object.clone()).or_insert(0) += 1;
    }
    assert!(handed.values().all(|n| *n == 1), "a document handed out twice: {handed:?}");
    let f = figures.lock().await;
    assert_eq!(f.ids.len() as u64, pickups);
    let collected = f.outcomes.get(&Outcome::Collected).copied().unwrap_or(0);
    for (id, outcome) in &f.outcome_of {
        let handed_over = handed.contains_key(id);
        match outcome {
            Outcome::Collected => assert!(handed_over, "{id} collected at its panel, so handed over"),
            // After no answer the door may have opened after all; its close completes the claim of the
            // citizen's own session.
            Outcome::CompartmentDidNotOpen => {}
            Outcome::Unavailable | Outcome::NotLoaded => {
                assert!(!handed_over, "{id} was never claimed ({outcome:?}) yet handed over")
            }
        }
    }
    let late = handed.len() as u32 - collected;

    // Every pickup and every compartment in a defined state.
    let mut by_status: BTreeMap<String, u32> = BTreeMap::new();
    for id in &f.ids {
        let p = app.pickup(id).await;
        let status = p["status"].as_str().unwrap().to_owned();
        assert!(["collected", "ready", "awaiting_deposit"].contains(&status.as_str()), "{p}");
        *by_status.entry(status).or_insert(0) += 1;
    }
    let compartments = store.compartments(&box_id).await.unwrap();
    let mut by_state: BTreeMap<String, u32> = BTreeMap::new();
    for c in &compartments {
        let key = match c.defect {
            Some(d) => format!("{}:{}", c.state.as_str(), d.as_str()),
            None => c.state.as_str().to_owned(),
        };
        assert!(c.state != CompartmentState::Defective || c.defect.is_some(), "a defective compartment says why");
        assert_ne!(c.state, CompartmentState::Reserved, "no loading or claim left half-done: {c:?}");
        *by_state.entry(key).or_insert(0) += 1;
    }
    let alarms = app.get("/api/v1/alarms", Some(&app.admin)).await.1;
    let mut alarm_kinds: BTreeMap<String, u32> = BTreeMap::new();
    for a in alarms.as_array().unwrap() {
        let kind = a["kind"].as_str().unwrap().to_owned();
        assert!(
            ["door_forced", "lock_failed", "door_left_open", "document_left_inside", "board_silent"]
                .contains(&kind.as_str()),
            "{a}"
        );
        *alarm_kinds.entry(kind).or_insert(0) += 1;
    }
    let serial = app.serial.as_ref().unwrap();
    assert_eq!(serial.commands_seen(CMD_UNLOCK_ALL), 0, "unlock all never went over the wire");

    let mut ms = f.pickup_ms.clone();
    ms.sort_unstable();
    let pct = |p: usize| ms.get(ms.len().saturating_sub(1) * p / 100).copied().unwrap_or(0);
    println!(
        "soak: {pickups} pickups in {:.1} s (seed {seed}); outcomes {:?}; of the failed openings {late} handed over \
         later by their door's close; faults {:?}; pickups by status {by_status:?}; \
         compartments {by_state:?}; open alarms {alarm_kinds:?}; unlock commands {}, status requests {}; \
         per pickup p50 {} ms, p95 {} ms, max {} ms",
        elapsed.as_secs_f64(),
        f.outcomes,
        f.faults,
        serial.commands_seen(0x31),
        serial.commands_seen(0x30),
        pct(50),
        pct(95),
        ms.last().copied().unwrap_or(0),
    );
    assert!(collected > 0, "some pickups went through");
    drop(f);
    Arc::into_inner(app).unwrap().stop().await;
}
