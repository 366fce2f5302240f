//! Two `abholbox serve` processes on one PostgreSQL database, racing kiosk sessions for the same
//! documents: every document is handed out exactly once, every family gets one PIN, no SMS goes out
//! twice, and a reader of the event feed sees every event once and in order. Runs when
//! `ABHOLBOX_TEST_POSTGRES` names a database (`scripts/test-postgres` gives one); otherwise it skips.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use abholbox_store::Store;
use abholbox_store_postgres::PostgresStore;
use serde_json::{Value, json};
use sqlx::Connection;

const BIN: &str = env!("CARGO_BIN_EXE_abholbox");
const WORKERS_PER_SERVER: usize = 10;
const FAMILIES: usize = 20;
const SINGLES: usize = 60;

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn config(dir: &Path, name: &str, port: u16, url: &str) -> std::path::PathBuf {
    let mut text = format!(
        "listen = \"127.0.0.1:{port}\"\ndata_dir = \"{data}\"\ndatabase = \"{url}\"\nserver_name = \"{name}\"\n\
         key_file = \"{keys}\"\nsimulator_api = true\n\n\
         # Racing sessions lose documents to each other on purpose: their refusals must not slow the panels.\n\
         [kiosk]\npanel_free_refusals = 1000000\n\n\
         # Every panel and the registry call from one address here, as fast as the machine lets them.\n\
         [http]\nrequests_per_second_per_client = 0\n\n\
         # The tests run at any hour of the wall clock.\n[sms]\nquiet_hours = \"\"\n\n[[sites]]\nid = \"dus-dlz\"\nname = \"DLZ\"\naddress = \"A\"\n\n\
         [[boxes]]\nid = \"dlz-1\"\nsite = \"dus-dlz\"\nname = \"Box\"\n",
        data = dir.join(name).display(),
        keys = dir.join("keys.json").display(),
    );
    for p in 0..2 * WORKERS_PER_SERVER {
        text.push_str(&format!("\n[[boxes.panels]]\nid = \"p{p}\"\nreader_slot = {}\n", p + 1));
    }
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

fn token(config: &Path, args: &[&str]) -> (String, String) {
    let out = Command::new(BIN).args(["token", "create"]).args(args).arg("--config").arg(config).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let secret = String::from_utf8_lossy(&out.stdout).split(": ").nth(1).unwrap().trim().to_owned();
    let id = String::from_utf8_lossy(&out.stderr).split_whitespace().nth(2).unwrap().trim_end_matches(';').to_owned();
    (secret, id)
}

async fn serve(config: &Path, port: u16, log: &Path) -> Server {
    let child = Command::new(BIN)
        .args(["serve", "--config"])
        .arg(config)
        .stdout(Stdio::null())
        .stderr(Stdio::from(std::fs::File::create(log).unwrap()))
        .spawn()
        .unwrap();
    let server = Server { child, base: format!("http://127.0.0.1:{port}") };
    for _ in 0..200 {
        if reqwest::get(format!("{}/healthz", server.base)).await.is_ok() {
            return server;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("server on {port} did not start: {}", std::fs::read_to_string(log).unwrap_or_default());
}

/// A schema of this test's own in the test database, and the URL that works in it.
async fn fresh_schema(url: &str, prefix: &str) -> (sqlx::PgConnection, String, String) {
    let schema = format!("{prefix}_{}", std::process::id());
    let mut admin = sqlx::PgConnection::connect(url).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA IF EXISTS {schema} CASCADE")))
        .execute(&mut admin)
        .await
        .unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}"))).execute(&mut admin).await.unwrap();
    let separator = if url.contains('?') { '&' } else { '?' };
    let scoped = format!("{url}{separator}options=-c%20search_path%3D{schema}");
    (admin, schema, scoped)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[derive(Clone)]
struct Client {
    http: reqwest::Client,
}

impl Client {
    async fn call(
        &self,
        method: reqwest::Method,
        url: String,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self.http.request(method, url);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    async fn post(&self, base: &str, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::POST, format!("{base}{path}"), token, Some(body)).await
    }

    async fn get(&self, base: &str, path: &str, token: Option<&str>) -> Value {
        self.call(reqwest::Method::GET, format!("{base}{path}"), token, None).await.1
    }
}

fn phone_of(pickup_index: usize) -> String {
    // Family k holds pickups 2k and 2k+1; every other pickup has its own number.
    let number = if pickup_index < 2 * FAMILIES { pickup_index / 2 } else { pickup_index };
    format!("0151 5551{number:04}")
}

/// One kiosk session from start to end on a server; returns the compartments it handed out.
async fn session(client: &Client, base: &str, kiosk: &str, phone: &str, pin: &str) -> Vec<u64> {
    let (_, s) = client.post(base, "/api/v1/kiosk/sessions", Some(kiosk), json!({})).await;
    let id = s["session"].as_str().unwrap().to_owned();
    let step = |what: &str| format!("/api/v1/kiosk/sessions/{id}/{what}");
    client.post(base, &step("phone"), Some(kiosk), json!({ "phone": phone })).await;
    let (status, answer) = client.post(base, &step("pin"), Some(kiosk), json!({ "pin": pin })).await;
    if status != 200 {
        // The racing session won every document of this number already: nothing opens any more.
        assert_eq!(answer["error"]["code"], "phone_or_pin_wrong", "{answer}");
        return Vec::new();
    }
    let mut handed = Vec::new();
    loop {
        let state = client.get(base, &format!("/api/v1/kiosk/sessions/{id}"), Some(kiosk)).await;
        match state["step"].as_str() {
            Some("birth_date") => {
                let (status, answer) =
                    client.post(base, &step("birth-date"), Some(kiosk), json!({ "birth_date": "1970-01-01" })).await;
                if status != 200 {
                    assert_eq!(answer["error"]["code"], "not_available", "{answer}");
                    return handed;
                }
                let c = answer["compartments"][0]["compartment"].as_u64().unwrap();
                let (status, closed) = client
                    .post(base, &format!("/api/v1/sim/boxes/dlz-1/compartments/{c}/close"), None, json!({}))
                    .await;
                assert_eq!(status, 200, "{closed}");
                handed.push(c);
                for _ in 0..200 {
                    let s = client.get(base, &format!("/api/v1/kiosk/sessions/{id}"), Some(kiosk)).await;
                    if s["step"] != "collect" {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
            Some("done" | "ended") => return handed,
            other => panic!("unexpected step {other:?}: {state}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_servers_hand_out_every_document_exactly_once() {
    let Ok(url) = std::env::var("ABHOLBOX_TEST_POSTGRES") else {
        eprintln!("ABHOLBOX_TEST_POSTGRES is not set: skipped");
        return;
    };
    let (mut admin, schema, scoped) = fresh_schema(&url, "cluster").await;

    let dir = tempfile::tempdir().unwrap();
    let (port_a, port_b) = (free_port(), free_port());
    let config_a = config(dir.path(), "a", port_a, &scoped);
    let config_b = config(dir.path(), "b", port_b, &scoped);
    let (integration, _) = token(&config_a, &["--role", "integration"]);
    let kiosks: Vec<(String, String)> = (0..2 * WORKERS_PER_SERVER)
        .map(|p| token(&config_a, &["--role", "kiosk", "--box", "dlz-1", "--panel", &format!("p{p}")]))
        .collect();
    let a = serve(&config_a, port_a, &dir.path().join("a.log")).await;
    let b = serve(&config_b, port_b, &dir.path().join("b.log")).await;
    let servers = [a.base.clone(), b.base.clone()];

    // A third process with a name already running, or with another key file, refuses to start.
    let twin = config(dir.path(), "a2", free_port(), &scoped).to_str().unwrap().replace(".toml", "");
    let twin = std::path::PathBuf::from(format!("{twin}.toml"));
    std::fs::write(
        &twin,
        std::fs::read_to_string(&twin).unwrap().replace("server_name = \"a2\"", "server_name = \"a\""),
    )
    .unwrap();
    let out = Command::new(BIN).args(["serve", "--config"]).arg(&twin).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already running on this database"), "{out:?}");
    let stranger = config(dir.path(), "c", free_port(), &scoped);
    let other_keys = dir.path().join("other-keys.json");
    std::fs::write(
        &stranger,
        std::fs::read_to_string(&stranger)
            .unwrap()
            .replace(&dir.path().join("keys.json").display().to_string(), &other_keys.display().to_string()),
    )
    .unwrap();
    let out = Command::new(BIN).args(["serve", "--config"]).arg(&stranger).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not the one this database's servers use"), "{out:?}");
    let client = Client { http: reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap() };

    // 100 documents: 20 families of two, 60 on their own.
    let mut pickups = Vec::new();
    for i in 0..2 * FAMILIES + SINGLES {
        let (status, body) = client
            .post(
                &servers[i % 2],
                "/api/v1/pickups",
                Some(&integration),
                json!({ "reference": format!("C-{i}"), "site": "dus-dlz", "document_kind": "id_card",
                        "document_number": null, "phone": phone_of(i), "birth_date": "1970-01-01",
                        "old_document_number": null, "language": "de", "low_compartment": false }),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        pickups.push(body["id"].as_str().unwrap().to_owned());
    }
    // A family's two documents are loaded on different servers and their doors closed at once, so
    // the two PIN decisions race.
    for chunk in pickups.chunks(10).enumerate() {
        let (offset, ids) = chunk;
        let mut loads = tokio::task::JoinSet::new();
        for (j, id) in ids.iter().enumerate() {
            let (client, base, integration, id) =
                (client.clone(), servers[(offset * 10 + j) % 2].clone(), integration.clone(), id.clone());
            loads.spawn(async move {
                let (status, body) = client
                    .post(&base, "/api/v1/boxes/dlz-1/deposits", Some(&integration), json!({ "pickup": id }))
                    .await;
                assert_eq!(status, 201, "{body}");
                (base, body["compartment"].as_u64().unwrap())
            });
        }
        let opened = loads.join_all().await;
        let closes = opened.into_iter().map(|(base, c)| {
            let client = client.clone();
            async move {
                client.post(&base, &format!("/api/v1/sim/boxes/dlz-1/compartments/{c}/close"), None, json!({})).await
            }
        });
        for (status, body) in futures::future::join_all(closes).await {
            assert_eq!(status, 200, "{body}");
        }
    }
    for id in &pickups {
        for _ in 0..300 {
            if client.get(&servers[0], &format!("/api/v1/pickups/{id}"), Some(&integration)).await["status"] == "ready"
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    // The SMS of both servers' gateways: one per document, and one PIN per number.
    let mut pins: HashMap<String, String> = HashMap::new();
    let mut texts: HashMap<String, Vec<String>> = HashMap::new();
    for _ in 0..300 {
        texts.clear();
        for base in &servers {
            for m in client.get(base, "/api/v1/sim/sms", None).await.as_array().unwrap() {
                texts
                    .entry(m["to"].as_str().unwrap().to_owned())
                    .or_default()
                    .push(m["text"].as_str().unwrap().to_owned());
            }
        }
        if texts.values().map(Vec::len).sum::<usize>() >= pickups.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(texts.values().map(Vec::len).sum::<usize>(), pickups.len(), "one SMS per document, none twice");
    for (to, sent) in &texts {
        let with_pin: Vec<String> = sent.iter().filter_map(|t| abholbox::bench::pin_in(t)).collect();
        assert_eq!(with_pin.len(), 1, "{to}: one PIN per number: {sent:?}");
        pins.insert(to.clone(), with_pin[0].clone());
    }
    assert_eq!(pins.len(), FAMILIES + SINGLES);

    // A reader of the feed follows it while the sessions race.
    let store = PostgresStore::open(&scoped, None, abholbox_store_postgres::DEFAULT_CONNECTIONS).await.unwrap();
    let reading = Arc::new(AtomicBool::new(true));
    let reader = {
        let (store, reading) = (store.clone(), reading.clone());
        tokio::spawn(async move {
            let mut seen = Vec::new();
            let mut cursor = 0;
            loop {
                let last_round = !reading.load(Ordering::SeqCst);
                loop {
                    let batch = store.events_after(cursor, 50).await.unwrap();
                    let Some(last) = batch.last() else { break };
                    cursor = last.cursor;
                    seen.extend(batch.into_iter().map(|e| e.cursor));
                }
                if last_round {
                    return seen;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };

    // 200 sessions: every document is raced by a session on each server.
    let mut workers = tokio::task::JoinSet::new();
    for w in 0..2 * WORKERS_PER_SERVER {
        let base = servers[w / WORKERS_PER_SERVER].clone();
        let kiosk = kiosks[w].0.clone();
        let mine: Vec<(String, String)> = (0..pickups.len())
            .filter(|i| i % WORKERS_PER_SERVER == w % WORKERS_PER_SERVER)
            .map(|i| {
                let phone = phone_of(i);
                let e164 = format!("+49151{}", &phone[5..]);
                (phone, pins[&e164].clone())
            })
            .collect();
        let client = client.clone();
        workers.spawn(async move {
            let mut handed = Vec::new();
            for (phone, pin) in mine {
                handed.extend(session(&client, &base, &kiosk, &phone, &pin).await);
            }
            handed
        });
    }
    let handed: Vec<u64> = workers.join_all().await.into_iter().flatten().collect();
    assert_eq!(handed.len(), pickups.len(), "as many hand-overs as documents");

    for id in &pickups {
        let mut status = Value::Null;
        for _ in 0..300 {
            status =
                client.get(&servers[1], &format!("/api/v1/pickups/{id}"), Some(&integration)).await["status"].clone();
            if status == "collected" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(status, "collected", "{id}");
        let events = client.get(&servers[0], &format!("/api/v1/pickups/{id}/events"), Some(&integration)).await;
        let kinds: BTreeMap<String, usize> = events.as_array().unwrap().iter().fold(BTreeMap::new(), |mut m, e| {
            *m.entry(e["kind"].as_str().unwrap().to_owned()).or_default() += 1;
            m
        });
        assert_eq!((kinds.get("claimed"), kinds.get("handed_over")), (Some(&1), Some(&1)), "{id}: {kinds:?}");
    }

    reading.store(false, Ordering::SeqCst);
    let seen = reader.await.unwrap();
    let all: Vec<i64> = store.events_after(0, 100_000).await.unwrap().into_iter().map(|e| e.cursor).collect();
    assert_eq!(seen, all, "the reader saw every event once and in order");
    assert!(all.windows(2).all(|w| w[1] == w[0] + 1), "no gaps in the feed");
    store.close().await;
    drop((a, b));
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE"))).execute(&mut admin).await.unwrap();
}

/// The command line reaches a demo that runs on PostgreSQL: its data directory holds only the keys,
/// and `--database` names the rest, as the demo's own `--database` did.
#[tokio::test]
async fn commands_reach_a_demo_on_postgres_by_its_database() {
    let Ok(url) = std::env::var("ABHOLBOX_TEST_POSTGRES") else {
        eprintln!("ABHOLBOX_TEST_POSTGRES is not set: skipped");
        return;
    };
    let (mut admin, schema, scoped) = fresh_schema(&url, "cli").await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let run = |args: &[&str]| Command::new(BIN).args(args).arg("--data-dir").arg(&data).output().unwrap();

    let refused = run(&["token", "create", "--role", "admin", "--database", &scoped]);
    assert!(!refused.status.success(), "no installation yet: nothing is made");
    let made = run(&["migrate", "--database", &scoped]);
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    assert!(data.join("keys.json").exists() && !data.join("abholbox.db").exists(), "keys here, data on PostgreSQL");
    let token = run(&["token", "create", "--role", "admin", "--database", &scoped]);
    let printed = String::from_utf8_lossy(&token.stdout);
    assert!(token.status.success() && printed.contains("abx_"), "{printed} {}", String::from_utf8_lossy(&token.stderr));
    let without = run(&["token", "create", "--role", "admin"]);
    assert!(!without.status.success());
    assert!(String::from_utf8_lossy(&without.stderr).contains("--database"), "the refusal says what to add");
    let (_, _, empty) = fresh_schema(&url, "cli_empty").await;
    let mistyped = run(&["token", "create", "--role", "admin", "--database", &empty]);
    assert!(!mistyped.status.success(), "a database without the installation is refused");
    for wrong in ["", "sqlite:///tmp/elsewhere.db"] {
        let refused = run(&["token", "create", "--role", "admin", "--database", wrong]);
        assert!(!refused.status.success() && !data.join("abholbox.db").exists(), "{wrong:?} makes nothing");
    }
    let store = PostgresStore::open(&scoped, None, 2).await.unwrap();
    assert_eq!(store.tokens().await.unwrap().len(), 1, "the token is in the demo's database");
    drop(store);
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE"))).execute(&mut admin).await.unwrap();
    let empty_schema = format!("cli_empty_{}", std::process::id());
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {empty_schema} CASCADE"))).execute(&mut admin).await.unwrap();
}
