//! Starting the real application on port 0 over a fresh data directory, and talking to it.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use abholbox::config::PanelConfig;
use abholbox::hardware_config::SerialConfig;
use abholbox::{Application, Config};
use abholbox_core::ids::{BoxId, PanelId, PickupId, SlotNo};
use abholbox_core::mrz::check_digit;
use abholbox_service::clock::ManualClock;
use abholbox_store::Role;
use chrono::Utc;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const BOX: &str = "dlz-1";
pub const SITE: &str = "dus-dlz";

/// The database a test server runs on: SQLite in its directory by default, PostgreSQL (a schema of its
/// own per directory) when `ABHOLBOX_TEST_POSTGRES` names a database.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(std::path::PathBuf),
    Postgres(String),
}

impl Db {
    /// The database for a test directory; the same one again when the directory is used again.
    pub async fn for_dir(dir: &Path) -> Self {
        let Ok(url) = std::env::var("ABHOLBOX_TEST_POSTGRES") else {
            return Self::Sqlite(dir.join("abholbox.db"));
        };
        let marker = dir.join("pg-schema");
        let schema = match std::fs::read_to_string(&marker) {
            Ok(s) => s,
            Err(_) => {
                use sqlx::Connection;
                let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
                let schema = format!("api_{}_{nanos}", std::process::id());
                let mut admin = sqlx::PgConnection::connect(&url).await.expect("the test database answers");
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}"))).execute(&mut admin).await.unwrap();
                std::fs::create_dir_all(dir).unwrap();
                std::fs::write(&marker, &schema).unwrap();
                schema
            }
        };
        let separator = if url.contains('?') { '&' } else { '?' };
        Self::Postgres(format!("{url}{separator}options=-c%20search_path%3D{schema}"))
    }

    pub fn url(&self) -> String {
        match self {
            Self::Sqlite(path) => format!("sqlite://{}", path.display()),
            Self::Postgres(url) => url.clone(),
        }
    }

    /// Runs a statement on it, from outside the server.
    pub async fn execute(&self, sql: &str) {
        use sqlx::Connection;
        match self {
            Self::Sqlite(_) => {
                let mut c = sqlx::SqliteConnection::connect(&self.url()).await.unwrap();
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned())).execute(&mut c).await.unwrap();
                c.close().await.unwrap();
            }
            Self::Postgres(url) => {
                let mut c = sqlx::PgConnection::connect(url).await.unwrap();
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned())).execute(&mut c).await.unwrap();
                c.close().await.unwrap();
            }
        }
    }

    /// One number from a query, from outside the server.
    pub async fn number(&self, sql: &str) -> i64 {
        use sqlx::Connection;
        match self {
            Self::Sqlite(_) => {
                let mut c = sqlx::SqliteConnection::connect(&self.url()).await.unwrap();
                let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned())).fetch_one(&mut c).await.unwrap();
                c.close().await.unwrap();
                n
            }
            Self::Postgres(url) => {
                let mut c = sqlx::PgConnection::connect(url).await.unwrap();
                let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned())).fetch_one(&mut c).await.unwrap();
                c.close().await.unwrap();
                n
            }
        }
    }
}

/// Which driver runs the test's box.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Driver {
    Simulated,
    Serial,
}

pub struct TestApp {
    pub base: String,
    pub db: Db,
    pub client: reqwest::Client,
    pub integration: String,
    pub admin: String,
    pub kiosk: String,
    /// A second panel at the same box, with its own slot.
    pub kiosk2: String,
    /// The token ids of the two panels, as the simulator's reader names them.
    pub kiosk_id: String,
    pub kiosk2_id: String,
    pub service: abholbox_service::Service,
    pub clock: Arc<ManualClock>,
    pub config: Config,
    /// The serial simulator behind the box, when it runs on the serial driver.
    pub serial: Option<abholbox_box::serial_sim::SerialSimulator>,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
}

impl TestApp {
    /// A staff member of `role` at the test site, made and signed in as the staff app would.
    pub async fn staff(&self, name: &str, role: abholbox_core::staff::StaffRole) -> abholbox_service::Principal {
        let password = "Pferd Batterie Heftklammer".to_owned();
        let new = abholbox_service::staff::NewStaff {
            name: name.to_owned(),
            role,
            sites: vec![abholbox_core::ids::SiteId::parse(SITE).unwrap()],
            password: password.clone(),
        };
        self.service.create_staff(&abholbox_service::Principal::Host, new).await.unwrap();
        abholbox_service::Principal::Staff(self.service.sign_in(name, &password).await.unwrap())
    }

    /// A supervisor at the test site.
    pub async fn supervisor(&self) -> abholbox_service::Principal {
        self.staff("supervisor", abholbox_core::staff::StaffRole::Supervisor).await
    }

    /// The demo's configuration on a fresh directory.
    pub async fn spawn(dir: &Path) -> Self {
        Self::spawn_with(dir, |_| {}).await
    }

    /// The demo's configuration, with a second panel `b` at slot 2 beside the first (`a`, slot 1),
    /// changed by `tweak`.
    pub async fn spawn_with(dir: &Path, tweak: impl FnOnce(&mut Config)) -> Self {
        Self::spawn_on(dir, Driver::Simulated, tweak).await
    }

    /// As [`TestApp::spawn_with`], with the box on the driver named: the in-process simulator, or
    /// the serial driver on pseudo-terminals to a serial simulator (one bus of 16 boards:
    /// compartments 1-256, and a reader for each of the two slots).
    pub async fn spawn_on(dir: &Path, driver: Driver, tweak: impl FnOnce(&mut Config)) -> Self {
        let db = Db::for_dir(dir).await;
        let mut config = Config::demo(dir.to_path_buf(), 0);
        config.database = db.url();
        config.boxes[0].panels =
            vec![PanelConfig { id: "a".into(), reader_slot: 1 }, PanelConfig { id: "b".into(), reader_slot: 2 }];
        // The clock stands still in tests: a panel's growing wait would never pass. The test of that
        // wait sets a limit of its own.
        config.kiosk.panel_free_refusals = u32::MAX;
        // Every test client is 127.0.0.1; the test of the request limit sets one of its own.
        config.http.requests_per_second_per_client = 0;
        let mut sims = std::collections::HashMap::new();
        let serial = match driver {
            Driver::Simulated => None,
            Driver::Serial => {
                let slots = [SlotNo::new(1).unwrap(), SlotNo::new(2).unwrap()];
                let box_id = BoxId::parse(&config.boxes[0].id).unwrap();
                let simulator = abholbox_box::serial_sim::SerialSimulator::start(box_id.clone(), 600, &slots).unwrap();
                let mut serial = SerialConfig::single(&simulator.lock_path, &simulator.reader_path, 600);
                let mut second = serial.readers[0].clone();
                second.slot = 2;
                second.port = simulator.reader_paths[1].1.clone();
                serial.readers.push(second);
                serial.poll_interval_ms = 20;
                serial.answer_timeout_ms = 100;
                serial.tries = 2;
                config.boxes[0].driver = "kerong-cu16".into();
                config.boxes[0].serial = Some(serial);
                sims.insert(box_id, simulator.sim.clone());
                Some(simulator)
            }
        };
        tweak(&mut config);
        let clock = Arc::new(ManualClock::new(Utc::now()));
        let app = Application::build_with_simulators(&config, clock.clone(), sims).await.expect("application builds");
        let addr = app.local_addr().expect("bound");
        let scheme = if app.serves_tls() { "https" } else { "http" };
        let (_, integration) = app
            .service
            .create_token(&abholbox_service::Principal::Host, Role::Integration, None, None, "test")
            .await
            .expect("token");
        let (_, admin) = app
            .service
            .create_token(&abholbox_service::Principal::Host, Role::Admin, None, None, "test")
            .await
            .expect("token");
        let kiosk_box = BoxId::parse(&config.boxes[0].id).expect("box id");
        let panel = |p: &str| Some(PanelId::parse(p).expect("panel id"));
        let (a, kiosk) = app
            .service
            .create_token(&abholbox_service::Principal::Host, Role::Kiosk, Some(kiosk_box.clone()), panel("a"), "test")
            .await
            .expect("token");
        let (b, kiosk2) = app
            .service
            .create_token(&abholbox_service::Principal::Host, Role::Kiosk, Some(kiosk_box), panel("b"), "test")
            .await
            .expect("token");
        let service = app.service.clone();
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            app.run(async move {
                let _ = stopped.await;
            })
            .await
            .expect("server runs");
        });
        Self {
            base: format!("{scheme}://{addr}"),
            db,
            client: reqwest::Client::builder().timeout(Duration::from_secs(20)).build().expect("client"),
            integration,
            admin,
            kiosk,
            kiosk2,
            kiosk_id: a.id,
            kiosk2_id: b.id,
            service,
            clock,
            config,
            serial,
            stop: Some(stop),
            server: Some(server),
        }
    }

    /// Stops the server and waits until the database is closed.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("server stops cleanly");
        }
    }

    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request sent");
        let status = resp.status();
        let text = resp.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        self.call(reqwest::Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.call(reqwest::Method::POST, path, token, Some(body)).await
    }

    pub async fn put(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.call(reqwest::Method::PUT, path, token, Some(body)).await
    }

    /// Registers an ID card pickup; returns its id.
    pub async fn register(&self, reference: &str, phone: &str, birth: &str, old: Option<&str>) -> String {
        let (status, body) = self.register_raw(reference, phone, birth, old, false).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_str().expect("id").to_owned()
    }

    pub async fn register_raw(
        &self,
        reference: &str,
        phone: &str,
        birth: &str,
        old: Option<&str>,
        low: bool,
    ) -> (StatusCode, Value) {
        let body = json!({
            "reference": reference, "site": SITE, "document_kind": "id_card", "document_number": null,
            "phone": phone, "birth_date": birth, "old_document_number": old, "language": "de",
            "low_compartment": low,
        });
        self.post("/api/v1/pickups", Some(&self.integration), body).await
    }

    pub async fn pickup(&self, id: &str) -> Value {
        let (status, body) = self.get(&format!("/api/v1/pickups/{id}"), Some(&self.integration)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    pub async fn status(&self, id: &str) -> String {
        self.pickup(id).await["status"].as_str().unwrap_or_default().to_owned()
    }

    /// Waits until the pickup reaches `want`; door events are handled after the call that caused them.
    pub async fn wait_status(&self, id: &str, want: &str) {
        for _ in 0..100 {
            if self.status(id).await == want {
                return;
            }
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
        panic!("pickup {id} never became {want}: {}", self.pickup(id).await);
    }

    pub async fn deposit_raw(&self, id: &str) -> (StatusCode, Value) {
        self.post(&format!("/api/v1/boxes/{BOX}/deposits"), Some(&self.integration), json!({ "pickup": id })).await
    }

    /// Loads the document and closes its door; returns the compartment once the pickup is ready.
    pub async fn deposit(&self, id: &str) -> u64 {
        let (status, body) = self.deposit_raw(id).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let c = body["compartment"].as_u64().expect("compartment");
        self.close(c).await;
        self.wait_status(id, "ready").await;
        c
    }

    pub async fn close(&self, compartment: u64) {
        let (status, body) =
            self.post(&format!("/api/v1/sim/boxes/{BOX}/compartments/{compartment}/close"), None, json!({})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    pub async fn sms(&self) -> Vec<Value> {
        let (status, body) = self.get("/api/v1/sim/sms", None).await;
        assert_eq!(status, StatusCode::OK);
        body.as_array().cloned().unwrap_or_default()
    }

    /// The newest SMS to a number, waiting for the outbox worker to send it.
    pub async fn sms_to(&self, e164: &str, count: usize) -> Vec<String> {
        for _ in 0..100 {
            let texts: Vec<String> = self
                .sms()
                .await
                .into_iter()
                .filter(|m| m["to"] == e164)
                .filter_map(|m| m["text"].as_str().map(str::to_owned))
                .collect();
            if texts.len() >= count {
                return texts;
            }
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
        panic!("no {count} SMS to {e164}");
    }

    /// The PIN of the newest SMS to a number that carries one.
    pub async fn pin_for(&self, e164: &str) -> String {
        let texts = self.sms_to(e164, 1).await;
        texts.iter().rev().find_map(|t| abholbox::bench::pin_in(t)).expect("an SMS with a PIN")
    }

    pub async fn session(&self) -> String {
        self.session_at(&self.kiosk).await
    }

    /// A session on a given panel.
    pub async fn session_at(&self, panel: &str) -> String {
        let (status, body) = self.post("/api/v1/kiosk/sessions", Some(panel), json!({})).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["session"].as_str().expect("session").to_owned()
    }

    pub async fn step(&self, session: &str, what: &str, body: Value) -> (StatusCode, Value) {
        self.step_at(&self.kiosk, session, what, body).await
    }

    pub async fn step_at(&self, panel: &str, session: &str, what: &str, body: Value) -> (StatusCode, Value) {
        self.post(&format!("/api/v1/kiosk/sessions/{session}/{what}"), Some(panel), body).await
    }

    pub async fn state(&self, session: &str) -> Value {
        self.state_at(&self.kiosk, session).await
    }

    pub async fn state_at(&self, panel: &str, session: &str) -> Value {
        self.get(&format!("/api/v1/kiosk/sessions/{session}"), Some(panel)).await.1
    }

    pub async fn wait_step(&self, session: &str, want: &str) -> Value {
        self.wait_step_at(&self.kiosk, session, want).await
    }

    pub async fn wait_step_at(&self, panel: &str, session: &str, want: &str) -> Value {
        let mut last = Value::Null;
        for _ in 0..100 {
            last = self.state_at(panel, session).await;
            if last["step"] == want {
                return last;
            }
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
        panic!("session never reached {want}: {last}");
    }

    /// Phone and PIN in a new session; returns the session id and the answer to the PIN.
    pub async fn authenticate(&self, phone: &str, pin: &str) -> (String, StatusCode, Value) {
        self.authenticate_at(&self.kiosk, phone, pin).await
    }

    pub async fn authenticate_at(&self, panel: &str, phone: &str, pin: &str) -> (String, StatusCode, Value) {
        let s = self.session_at(panel).await;
        let (status, body) = self.step_at(panel, &s, "phone", json!({ "phone": phone })).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, body) = self.step_at(panel, &s, "pin", json!({ "pin": pin })).await;
        (s, status, body)
    }

    /// A document into the first panel's slot.
    pub async fn insert(&self, mrz: &str) -> (StatusCode, Value) {
        self.post(&format!("/api/v1/sim/boxes/{BOX}/reader"), None, json!({ "mrz": mrz })).await
    }

    /// A document into the slot of the panel with this token id.
    pub async fn insert_at(&self, panel_id: &str, mrz: &str) -> (StatusCode, Value) {
        self.post(&format!("/api/v1/sim/boxes/{BOX}/reader"), None, json!({ "mrz": mrz, "panel": panel_id })).await
    }

    /// Sets faults on a compartment of the simulated box.
    pub async fn fault(&self, compartment: u64, body: Value) -> Value {
        let (status, answer) =
            self.post(&format!("/api/v1/sim/boxes/{BOX}/compartments/{compartment}/fault"), None, body).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        answer
    }

    /// The kinds of a pickup's feed events and audit actions, oldest first: what the state changes
    /// wrote beside the state.
    pub async fn history(&self, id: &str) -> (Vec<String>, Vec<String>) {
        let pickup = PickupId::parse(id).expect("pickup id");
        let events =
            self.service.store().events_of_pickup(&pickup).await.expect("events").into_iter().map(|e| e.kind).collect();
        let mut audit: Vec<String> = self
            .service
            .store()
            .audit_entries(10_000)
            .await
            .expect("audit")
            .into_iter()
            .filter(|a| a.object == id)
            .map(|a| a.action)
            .collect();
        audit.reverse();
        (events, audit)
    }

    /// Asserts that `kind` was written to the feed and the audit log of a pickup.
    pub async fn assert_recorded(&self, id: &str, kind: &str) {
        let (events, audit) = self.history(id).await;
        assert!(events.iter().any(|e| e == kind), "{kind} not in the feed: {events:?}");
        assert!(audit.iter().any(|a| a == kind), "{kind} not in the audit log: {audit:?}");
    }

    /// The audit entries about a session, with their details.
    pub async fn session_audit(&self, session: &str) -> Vec<Value> {
        let object = format!("session:{session}");
        let mut entries: Vec<Value> = self
            .service
            .store()
            .audit_entries(10_000)
            .await
            .expect("audit")
            .into_iter()
            .filter(|a| a.object == object)
            .map(|a| json!({ "action": a.action, "actor": a.actor, "detail": a.detail }))
            .collect();
        entries.reverse();
        entries
    }

    pub async fn sim_box(&self) -> Value {
        self.get(&format!("/api/v1/sim/boxes/{BOX}"), None).await.1
    }
}

fn cd(s: &str) -> char {
    char::from(b'0' + check_digit(s).expect("valid MRZ characters"))
}

/// A German ID card's zone (TD1) with correct check digits, as the slot's reader sends it.
pub fn german_id(number: &str, birth: &str, expiry: &str, surname: &str, given: &str) -> String {
    let l1 = format!("IDD<<{number}{}{}", cd(number), "<".repeat(15));
    let core = format!("{birth}{}<{expiry}{}D<<{}", cd(birth), cd(expiry), "<".repeat(11));
    let composite_input = format!("{}{}{}{}", &l1[5..30], &core[0..7], &core[8..15], &core[18..29]);
    let l2 = format!("{core}{}", cd(&composite_input));
    let l3 = format!("{:<<30}", format!("{surname}<<{given}"));
    format!("{l1}\r\n{l2}\r\n{l3}\r\n")
}
