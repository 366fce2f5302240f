//! The `abholbox` binary as operators and scripts use it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

mod bench;

const BIN: &str = env!("CARGO_BIN_EXE_abholbox");

/// A child process that is killed and reaped however its test ends, a failed assertion included.
struct Reaped(std::process::Child);

impl std::ops::Deref for Reaped {
    type Target = std::process::Child;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for Reaped {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn mrz_parse(input: &str) -> (i32, Value) {
    let mut child =
        Command::new(BIN).args(["mrz", "parse"]).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let json = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.code().unwrap(), json)
}

#[test]
fn mrz_parse_prints_json_and_exits_by_validity() {
    let specimen =
        "  IDD<<T220001293<<<<<<<<<<<<<<<\r\n6408125<2010315D<<<<<<<<<<<<<4\r\nMUSTERMANN<<ERIKA<<<<<<<<<<<<<  \r\n";
    let (code, v) = mrz_parse(specimen);
    assert_eq!(code, 0, "{v}");
    assert_eq!(
        (v["format"].as_str(), v["document_number"].as_str(), v["birth_date"].as_str(), v["sex"].as_str()),
        (Some("TD1"), Some("T22000129"), Some("1964-08-12"), Some("X"))
    );
    let passport = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10\n";
    let (code, v) = mrz_parse(passport);
    assert_eq!(
        (code, v["given_names"].clone(), v["expiry_date"].as_str()),
        (0, json!(["ANNA", "MARIA"]), Some("2012-04-15"))
    );

    let (code, v) = mrz_parse(&specimen.replace("6408125", "6408126"));
    assert_eq!((code, v["valid"].as_bool()), (1, Some(false)), "a failing check digit is a failure");
    assert!(v["errors"].as_array().unwrap().iter().any(|e| e["field"] == "birth_date"));
    let (code, v) = mrz_parse(&specimen.replace("6408125", "6413125"));
    assert_eq!((code, v["birth_date"].clone()), (1, Value::Null), "month 13 is no date");

    let usage = Command::new(BIN).args(["mrz", "parse", "--bogus"]).output().unwrap();
    assert_eq!(usage.status.code(), Some(64), "a usage error is not 'no MRZ'");
    for junk in ["", "hello\nworld\n", "IDD<<T220001293<<<<<<<<<<<<<<<\n", "\u{fffd}\u{0}"] {
        let (code, v) = mrz_parse(junk);
        assert_eq!((code, v["valid"].as_bool()), (2, Some(false)), "{junk:?}");
    }
}

#[test]
fn tokens_and_migrations_work_on_a_demo_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let out = Command::new(BIN).args(["migrate", "--data-dir", data]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = token_create(dir.path(), &["--role", "kiosk", "--box", "dlz-1"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && stdout.starts_with("kiosk token: abx_"), "{stdout}");
    let out = Command::new(BIN).args(["token", "create", "--role", "kiosk", "--data-dir", data]).output().unwrap();
    assert!(!out.status.success(), "a kiosk token needs a box");
    assert!(String::from_utf8_lossy(&out.stderr).contains("box"));
    let out = Command::new(BIN)
        .args(["token", "create", "--role", "kiosk", "--box", "nope", "--data-dir", data])
        .output()
        .unwrap();
    assert!(!out.status.success(), "an unknown box is refused");
    let elsewhere = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["token", "create", "--role", "integration"])
        .current_dir(elsewhere.path())
        .output()
        .unwrap();
    assert!(!out.status.success(), "no installation named and none here");
    assert!(String::from_utf8_lossy(&out.stderr).contains("no installation here"));
    assert!(!elsewhere.path().join("abholbox-data").exists(), "nothing was created");
    let missing = dir.path().join("typo");
    let out = Command::new(BIN)
        .args(["token", "create", "--role", "integration", "--data-dir"])
        .arg(&missing)
        .output()
        .unwrap();
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("no installation at"));
    assert!(!missing.exists(), "a mistyped --data-dir creates nothing");
    let out = Command::new(BIN).args(["serve", "--config", "/nonexistent.toml"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
}

#[test]
fn audit_verify_and_key_rotation_work_on_an_installation() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let out = Command::new(BIN).args(["migrate", "--data-dir", data]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = Command::new(BIN).args(["audit", "verify", "--data-dir", data]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.starts_with("audit log intact: 0 entries chained, "), "{stdout}");
    let out = Command::new(BIN).args(["keys", "rotate", "--purpose", "data", "--data-dir", data]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "new data key: data-2\n");
    let out = Command::new(BIN).args(["keys", "rotate", "--purpose", "salt", "--data-dir", data]).output().unwrap();
    assert_eq!(out.status.code(), Some(64), "an unknown purpose is a usage error");
    let out =
        Command::new(BIN).args(["token", "create", "--role", "integration", "--data-dir", data]).output().unwrap();
    assert!(out.status.success(), "the new key file is the one the database agreed on");
}

/// A whole pickup against the demo binary with verbose logging: the log never shows the phone
/// number, the PIN, the birth date or the old document's number.
#[tokio::test]
async fn the_demo_logs_nothing_personal() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let log = dir.path().join("demo.log");
    let mut demo = Reaped(
        Command::new(BIN)
            .args(["demo", "--port", &port.to_string(), "--data-dir", dir.path().join("data").to_str().unwrap()])
            .env("RUST_LOG", "trace,hyper=info,h2=info")
            .stdout(Stdio::from(std::fs::File::create(&log).unwrap()))
            .stderr(Stdio::from(std::fs::File::options().append(true).open(&log).unwrap()))
            .spawn()
            .unwrap(),
    );
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut up = false;
    // The demo answers before it has printed its tokens: wait for both.
    for _ in 0..100 {
        if client.get(format!("{base}/healthz")).send().await.is_ok()
            && std::fs::read_to_string(&log).unwrap().contains("kiosk token: ")
        {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(up, "the demo answers and has printed its tokens");
    let printed = std::fs::read_to_string(&log).unwrap();
    let token = |role: &str| -> String {
        printed
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{role} token: ")))
            .map(str::to_owned)
            .expect("token printed")
    };
    let (integration, kiosk) = (token("integration"), token("kiosk"));
    let post = |path: &str, token: &str, body: Value| {
        client.post(format!("{base}{path}")).bearer_auth(token).json(&body).send()
    };
    let registered: Value = post(
        "/api/v1/pickups",
        &integration,
        json!({ "reference": "LOG-1", "site": "dus-dlz", "document_kind": "passport", "document_number": "C01X00T47",
                "phone": "0151 55501234", "birth_date": "1971-03-09", "old_document_number": null, "language": "en",
                "low_compartment": false }),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let id = registered["id"].as_str().unwrap();
    let deposit: Value = post("/api/v1/boxes/dlz-1/deposits", &integration, json!({ "document_number": "C01X00T47" }))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let c = deposit["compartment"].as_u64().unwrap();
    client.post(format!("{base}/api/v1/sim/boxes/dlz-1/compartments/{c}/close")).send().await.unwrap();
    let mut pin = String::new();
    for _ in 0..100 {
        let inbox: Value = client
            .get(format!("{base}/api/v1/sim/sms?to=%2B4915155501234"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if let Some(text) = inbox[0]["text"].as_str() {
            assert!(text.starts_with("Your passport is ready"), "{text}");
            pin = abholbox::bench::pin_in(text).unwrap();
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(pin.len(), 6);
    // A careless client puts personal data into a query string; the log must not keep it.
    client
        .get(format!("{base}/api/v1/pickups/{id}?phone=015155501234&birth_date=1971-03-09"))
        .bearer_auth(&integration)
        .send()
        .await
        .unwrap();
    let session: Value = post("/api/v1/kiosk/sessions", &kiosk, json!({})).await.unwrap().json().await.unwrap();
    let s = session["session"].as_str().unwrap();
    post(&format!("/api/v1/kiosk/sessions/{s}/phone"), &kiosk, json!({ "phone": "0151 55501234" })).await.unwrap();
    post(&format!("/api/v1/kiosk/sessions/{s}/pin"), &kiosk, json!({ "pin": "000001" })).await.unwrap();
    post(&format!("/api/v1/kiosk/sessions/{s}/pin"), &kiosk, json!({ "pin": pin })).await.unwrap();
    post(&format!("/api/v1/kiosk/sessions/{s}/birth-date"), &kiosk, json!({ "birth_date": "1971-03-08" }))
        .await
        .unwrap();
    let opened: Value =
        post(&format!("/api/v1/kiosk/sessions/{s}/birth-date"), &kiosk, json!({ "birth_date": "1971-03-09" }))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(opened["step"], "collect");
    client.post(format!("{base}/api/v1/sim/boxes/dlz-1/compartments/{c}/close")).send().await.unwrap();
    for _ in 0..100 {
        let p: Value = client
            .get(format!("{base}/api/v1/pickups/{id}"))
            .bearer_auth(&integration)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if p["status"] == "collected" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    demo.kill().unwrap();
    demo.wait().unwrap();

    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("document handed over"), "the log is verbose enough to matter");
    assert!(logged.contains(&format!("path=/api/v1/pickups/{id}")), "requests are logged, by path");
    assert!(!logged.contains("birth_date="), "never with their query string");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let data = dir.path().join("data");
        let mode = |name: &str| std::fs::metadata(data.join(name)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode("."), 0o700, "the data directory is the service user's only");
        for file in ["abholbox.db", "abholbox.db-wal", "abholbox.db-shm", "keys.json", "demo.env"] {
            assert_eq!(mode(file), 0o600, "{file} is readable by the service user only");
        }
    }
    for secret in ["55501234", "5550 1234", &pin, "1971-03-09", "1971-03-08", "000001"] {
        assert!(!logged.contains(secret), "{secret:?} appears in the log");
    }
}

/// `serve` runs from a configuration file, with the simulator's routes off.
#[tokio::test]
async fn serve_runs_from_a_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let config = dir.path().join("abholbox.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:{port}\"\ndata_dir = \"{}\"\n\n[pins]\nlength = 8\n\n\
             [[sites]]\nid = \"dus-wersten\"\nname = \"Bürgerbüro Wersten\"\naddress = \"Liebfrauenstraße 30\"\n\n\
             [[boxes]]\nid = \"w-1\"\nsite = \"dus-wersten\"\nname = \"Box\"\n",
            dir.path().join("data").display()
        ),
    )
    .unwrap();
    let cfg = config.to_str().unwrap();
    let out = Command::new(BIN).args(["token", "create", "--role", "integration", "--config", cfg]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let token = String::from_utf8_lossy(&out.stdout).trim().strip_prefix("integration token: ").unwrap().to_owned();
    let mut server = Reaped(Command::new(BIN).args(["serve", "--config", cfg]).stderr(Stdio::null()).spawn().unwrap());
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let mut sites = Value::Null;
    for _ in 0..100 {
        if let Ok(resp) = client.get(format!("{base}/api/v1/sites")).bearer_auth(&token).send().await {
            sites = resp.json().await.unwrap();
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(sites[0]["id"], "dus-wersten", "{sites}");
    let boxes: Value =
        client.get(format!("{base}/api/v1/boxes")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert_eq!((boxes[0]["id"].as_str(), boxes[0]["compartments"].as_u64()), (Some("w-1"), Some(600)));
    let sim = client.get(format!("{base}/api/v1/sim/sms")).send().await.unwrap();
    assert_eq!(sim.status(), reqwest::StatusCode::NOT_FOUND, "no simulator routes outside the demo");
    server.kill().unwrap();
    server.wait().unwrap();
}

/// A supervisor may stop the server the moment it says it serves: the stop is orderly (exit 0, the
/// database closed), never the default action of SIGTERM that kills the process.
#[test]
fn a_sigterm_as_soon_as_the_server_serves_stops_it_in_order() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let config = small_config(dir.path());
    for _ in 0..3 {
        let mut server = Reaped(
            Command::new(BIN)
                .args(["serve", "--config", config.to_str().unwrap()])
                .env("RUST_LOG", "info")
                .stderr(Stdio::piped())
                .spawn()
                .unwrap(),
        );
        let mut lines = std::io::BufReader::new(server.stderr.take().unwrap()).lines();
        let before: Vec<String> =
            lines.by_ref().map_while(Result::ok).take_while(|l| !l.contains("abholbox is serving")).collect();
        assert!(
            before.iter().any(|l| l.starts_with("WARNING: sms.gateway is \"demo\": no SMS reaches any citizen")),
            "a server without a real SMS gateway says so: {before:?}"
        );
        let kill = Command::new("kill").args(["-TERM", &server.id().to_string()]).status().unwrap();
        assert!(kill.success());
        let rest: Vec<String> = lines.map_while(Result::ok).collect();
        let status = server.wait().unwrap();
        assert!(status.success(), "{status}: {rest:?}");
        assert!(rest.iter().any(|l| l.contains("stopping")), "{rest:?}");
    }
}

/// `abholbox sms segments` prints what a text on stdin costs, as staff check a text before they use it.
#[test]
fn sms_segments_prints_the_cost_of_a_text() {
    let cost = |text: &str| -> Value {
        let mut child =
            Command::new(BIN).args(["sms", "segments"]).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), text.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        serde_json::from_slice(&out.stdout).unwrap()
    };
    assert_eq!(cost("Ihr Reisepass liegt bereit: 10 €\n"), json!({"encoding": "gsm7", "units": 33, "segments": 1}));
    assert_eq!(cost(&"ä".repeat(161)), json!({"encoding": "gsm7", "units": 161, "segments": 2}));
    assert_eq!(cost("Belgeniz hazır"), json!({"encoding": "ucs2", "units": 14, "segments": 1}));
    assert_eq!(cost(&"ı".repeat(71)), json!({"encoding": "ucs2", "units": 71, "segments": 2}));
}

/// A configuration of one site with one box on a free port, for tests that only start and stop `serve`.
fn small_config(dir: &std::path::Path) -> std::path::PathBuf {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let config = dir.join("abholbox.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:{port}\"\ndata_dir = \"{}\"\n\n[[sites]]\nid = \"s\"\nname = \"S\"\naddress = \"A\"\n\n\
             [[boxes]]\nid = \"b\"\nsite = \"s\"\nname = \"B\"\n",
            dir.join("data").display()
        ),
    )
    .unwrap();
    config
}

mod demo;
mod hardware;

/// `abholbox token create ARGS --data-dir DATA`, run to its end.
fn token_create(data: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(BIN).args(["token", "create"]).args(args).arg("--data-dir").arg(data).output().unwrap()
}

/// kill -9 while a compartment stands open: after the restart that session is over (`interrupted`),
/// and the pickup waits for staff instead of being reopened or forgotten.
#[tokio::test]
async fn a_kill_at_collect_ends_that_session_at_the_restart() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // A kiosk token of the installation's own, which outlives the demo's (revoked at every start).
    let out = Command::new(BIN).args(["migrate", "--data-dir"]).arg(&data).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = token_create(&data, &["--role", "kiosk", "--box", "dlz-1"]);
    let kiosk = String::from_utf8_lossy(&out.stdout).trim().trim_start_matches("kiosk token: ").to_owned();
    assert!(out.status.success() && kiosk.starts_with("abx_"), "{kiosk}");
    let mut demo = demo::Demo::start(&data, "first.log").await;
    demo.kiosk = kiosk.clone();
    let (id, _, pin) = demo.ready_pickup("KILL-1", "55500011", "1969-09-09").await;
    let session = demo.authenticated_session("55500011", &pin).await;
    let (status, body) = demo
        .post(
            &format!("/api/v1/kiosk/sessions/{session}/birth-date"),
            Some(&demo.kiosk),
            json!({ "birth_date": "1969-09-09" }),
        )
        .await;
    assert_eq!((status, body["step"].as_str()), (200, Some("collect")), "{body}");
    let status = demo.signal_and_wait("-KILL");
    assert!(!status.success(), "killed, not stopped");

    let demo = demo::Demo::start(&data, "second.log").await;
    let state = demo.get(&format!("/api/v1/kiosk/sessions/{session}"), Some(&kiosk)).await;
    assert_eq!((state["step"].as_str(), state["reason"].as_str()), (Some("ended"), Some("interrupted")), "{state}");
    let pickup = demo.pickup(&id).await;
    assert_eq!(
        (pickup["status"].as_str(), pickup["attention"].as_str()),
        (Some("ready"), Some("handover_unconfirmed"))
    );
    let sim = demo.get("/api/v1/sim/boxes/dlz-1", None).await;
    assert_eq!(sim["open_doors"], json!([]), "nothing reopened by itself");
}

/// A stop (SIGTERM) while a compartment is being opened for a claim waits for that work: the lock's
/// failure is recorded before the process exits, so the restart finds a precise reason, not a guess.
#[tokio::test]
async fn a_stop_lets_the_opening_of_a_claimed_compartment_finish() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut demo = demo::Demo::start(&data, "first.log").await;
    let (_, registered) = demo
        .post(
            "/api/v1/pickups",
            Some(&demo.integration),
            json!({ "reference": "STOP-1", "site": "dus-dlz", "document_kind": "id_card", "document_number": null,
                    "phone": "0151 55500012", "birth_date": "1969-09-09", "old_document_number": "T22000129",
                    "language": "de", "low_compartment": false }),
        )
        .await;
    let id = registered["id"].as_str().unwrap().to_owned();
    let (_, deposit) =
        demo.post("/api/v1/boxes/dlz-1/deposits", Some(&demo.integration), json!({ "pickup": id })).await;
    let c = deposit["compartment"].as_u64().unwrap();
    demo.post(&format!("/api/v1/sim/boxes/dlz-1/compartments/{c}/close"), None, json!({})).await;
    let mut pin = String::new();
    for _ in 0..200 {
        let inbox = demo.get("/api/v1/sim/sms?to=%2B4915155500012", None).await;
        if let Some(text) = inbox[0]["text"].as_str() {
            pin = abholbox::bench::pin_in(text).unwrap();
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let session = demo.authenticated_session("55500012", &pin).await;
    // The lock will not answer: opening takes the controller's timeout (2 s) and then fails.
    demo.post(&format!("/api/v1/sim/boxes/dlz-1/compartments/{c}/fault"), None, json!({ "lock": "no_answer" })).await;
    let mrz = "IDD<<T220001293<<<<<<<<<<<<<<<\n6408125<2010315D<<<<<<<<<<<<<4\nMUSTERMANN<<ERIKA<<<<<<<<<<<<<";
    let (status, _) = demo.post("/api/v1/sim/boxes/dlz-1/reader", None, json!({ "mrz": mrz })).await;
    assert_eq!(status, 202);
    for _ in 0..100 {
        let state = demo.get(&format!("/api/v1/kiosk/sessions/{session}"), Some(&demo.kiosk)).await;
        if state["step"] == "collect" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let status = demo.signal_and_wait("-TERM");
    assert!(status.success(), "a clean stop");

    let demo = demo::Demo::start(&data, "second.log").await;
    let pickup = demo.pickup(&id).await;
    assert_eq!(
        (pickup["status"].as_str(), pickup["attention"].as_str()),
        (Some("ready"), Some("compartment_did_not_open")),
        "the failed opening was recorded before the stop: {pickup}"
    );
    let events = demo.get(&format!("/api/v1/pickups/{id}/events"), Some(&demo.integration)).await;
    let kinds: Vec<&str> = events.as_array().unwrap().iter().filter_map(|e| e["kind"].as_str()).collect();
    assert!(kinds.contains(&"claim_failed"), "{kinds:?}");
}

/// `serve` with the simulator's routes switched on, even only by the environment, says so loudly.
#[test]
fn serve_warns_loudly_when_the_simulator_api_is_on() {
    let dir = tempfile::tempdir().unwrap();
    let config = small_config(dir.path());
    let mut server = Reaped(
        Command::new(BIN)
            .args(["serve", "--config", config.to_str().unwrap()])
            .env("ABHOLBOX_SIMULATOR_API", "true")
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut stderr = server.stderr.take().unwrap();
    let mut seen = String::new();
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        let mut text = String::new();
        while let Ok(n) = std::io::Read::read(&mut stderr, &mut buf) {
            if n == 0 {
                break;
            }
            text.push_str(&String::from_utf8_lossy(&buf[..n]));
            if text.contains("abholbox is serving") {
                break;
            }
        }
        text
    });
    for _ in 0..100 {
        if reader.is_finished() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    server.kill().unwrap();
    server.wait().unwrap();
    seen.push_str(&reader.join().unwrap());
    assert!(seen.contains("WARNING: simulator_api is on"), "{seen}");
    assert!(seen.contains("read every PIN"), "{seen}");
}

/// A second server on the data directory of a running one refuses to start, and changes nothing on
/// its way out: the running server's citizen at an open compartment keeps her session.
#[tokio::test]
async fn a_second_server_on_the_same_data_directory_refuses_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let demo = demo::Demo::start(&data, "first.log").await;
    let (_, _, pin) = demo.ready_pickup("TWICE-1", "55500013", "1969-09-09").await;
    let session = demo.authenticated_session("55500013", &pin).await;
    let (status, _) = demo
        .post(
            &format!("/api/v1/kiosk/sessions/{session}/birth-date"),
            Some(&demo.kiosk),
            json!({ "birth_date": "1969-09-09" }),
        )
        .await;
    assert_eq!(status, 200);
    let out = Command::new(BIN).args(["demo", "--port", "0", "--data-dir", data.to_str().unwrap()]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("another abholbox server is running"), "{out:?}");
    let state = demo.get(&format!("/api/v1/kiosk/sessions/{session}"), Some(&demo.kiosk)).await;
    assert_eq!(state["step"], "collect", "the running server's session is untouched: {state}");
}

/// Offline commands on an installation that exists never write the demo's boxes over its own.
#[test]
fn offline_commands_leave_an_installations_configuration_as_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = dir.path().join("abholbox.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = \"{}\"\n\n[[sites]]\nid = \"s\"\nname = \"S\"\naddress = \"A\"\n\n\
             [[boxes]]\nid = \"small\"\nsite = \"s\"\nname = \"B\"\n\n[[boxes.modules]]\nname = \"A\"\nrows = 2\n\
             columns = 2\nreach_rows = [1]\n\n[[boxes.panels]]\nid = \"left\"\nreader_slot = 1\n",
            data.display()
        ),
    )
    .unwrap();
    let out = Command::new(BIN).args(["migrate", "--config", config.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = token_create(&data, &["--role", "integration"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = token_create(&data, &["--role", "kiosk", "--box", "dlz-1"]);
    assert!(!out.status.success(), "the demo's box was not written into this installation");
    let out = token_create(&data, &["--role", "kiosk", "--box", "small", "--panel", "left"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = token_create(&data, &["--role", "kiosk", "--box", "small", "--panel", "right"]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && said.contains("box small has no such panel; its panels: left"), "{said}");
    let out = token_create(&data, &["--role", "kiosk", "--box", "smal"]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && said.contains("there is no box smal; the boxes: small"), "{said}");
}

/// `hours check` as staff use it before they save a rule: Düsseldorf's hours on the days that matter.
#[test]
fn hours_check_answers_for_duesseldorf() {
    let rule = "Mo,Tu 07:30-16:00; We,Fr 07:30-13:00; Th 07:30-18:00; PH off";
    let check = |at: &str, state: &str| {
        let out = Command::new(BIN).args(["hours", "check", rule, "--state", state, "--at", at]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    assert_eq!(
        check("2026-11-26T17:59:00+01:00", "NW"),
        json!({ "open": true, "next_change": "2026-11-26T18:00:00+01:00" })
    );
    assert_eq!(
        check("2026-11-26T18:01:00+01:00", "NW"),
        json!({ "open": false, "next_change": "2026-11-27T07:30:00+01:00" })
    );
    assert_eq!(check("2026-04-06T10:00:00+02:00", "NW")["open"], false, "Easter Monday");
    assert_eq!(check("2026-06-04T10:00:00+02:00", "NW")["open"], false, "Corpus Christi in NRW");
    assert_eq!(check("2026-06-04T10:00:00+02:00", "BE")["open"], true, "not a holiday in Berlin");
    assert_eq!(
        check("2026-03-29T12:00:00+02:00", "NW")["next_change"],
        "2026-03-30T07:30:00+02:00",
        "summer time: still 07:30 local"
    );
    let out = Command::new(BIN).args(["hours", "check", "Mo-Fr 25:00-99"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected"), "the parser's message");
    let out = Command::new(BIN).args(["hours", "check", rule, "--state", "XX"]).output().unwrap();
    assert_eq!(out.status.code(), Some(64));
}

/// `user create` reads the password from stdin when it is no terminal, and takes none as an argument.
#[test]
fn user_create_takes_the_password_from_stdin_never_from_an_argument() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    let out = Command::new(BIN).args(["migrate", "--data-dir", data]).output().unwrap();
    assert!(out.status.success());
    let create = |name: &str, password: &str| {
        let mut child = Command::new(BIN)
            .args(["user", "create", "--role", "clerk", "--name", name, "--site", "dus-dlz", "--data-dir", data])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(format!("{password}\n").as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, stdout, _) = create("anna.schmidt", "Pferd Batterie Heftklammer");
    assert!(ok && stdout.contains("staff member anna.schmidt (clerk) is created"), "{stdout}");
    let (ok, _, stderr) = create("anna.schmidt", "Pferd Batterie Heftklammer");
    assert!(!ok && stderr.contains("exists already"), "{stderr}");
    let (ok, _, stderr) = create("bernd", "kurz");
    assert!(!ok && stderr.contains("at least 12 characters"), "{stderr}");
    let out = Command::new(BIN)
        .args(["user", "create", "--role", "admin", "--name", "it.admin", "--password", "Pferd Batterie Heftklammer"])
        .args(["--data-dir", data])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(64), "a usage error: {stderr}");
    assert!(stderr.contains("--password"), "no password as an argument: {stderr}");
}

/// A command that finds the database locked by another process for longer than it waits says so,
/// instead of SQLite's "database is locked" or a generic conflict.
#[tokio::test]
async fn a_command_blocked_by_another_process_says_the_database_stayed_busy() {
    use sqlx::Connection;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap().to_owned();
    let out = Command::new(BIN).args(["migrate", "--data-dir", &data]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut other = sqlx::SqliteConnection::connect(&format!("sqlite://{data}/abholbox.db")).await.unwrap();
    sqlx::query("BEGIN IMMEDIATE").execute(&mut other).await.unwrap();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(BIN).args(["token", "create", "--role", "integration", "--data-dir", &data]).output().unwrap()
    })
    .await
    .unwrap();
    sqlx::query("ROLLBACK").execute(&mut other).await.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("the database stayed busy: another process"), "{stderr}");
}

/// What the demo printed into `log` once its waiting documents are ready (or could not be).
async fn demo_documents_printed(log: &std::path::Path) -> String {
    for _ in 0..600 {
        let printed = std::fs::read_to_string(log).unwrap_or_default();
        if printed.contains("waiting: Mila") || printed.contains("WARNING: the demo's waiting") {
            return printed;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the demo printed no waiting documents: {}", std::fs::read_to_string(log).unwrap_or_default());
}

/// A second start on the same data directory offers fresh documents with PINs: the first start's,
/// whose PINs were lost with its phone inbox, are cancelled and taken out of the box, not left to
/// turn a new SMS into "the PIN last sent applies".
#[tokio::test]
async fn a_restarted_demo_takes_back_its_earlier_documents_and_offers_fresh_ones() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut demo = demo::Demo::start(&data, "first.log").await;
    let first = demo_documents_printed(&dir.path().join("first.log")).await;
    let earlier: Vec<String> =
        std::fs::read_to_string(data.join("demo-pickups")).unwrap().lines().map(str::to_owned).collect();
    assert_eq!(earlier.len(), 4, "{first}");
    assert!(demo.signal_and_wait("-TERM").success());
    // Lines that are no pickup id (a hand-edited file) are skipped, not put into a URL.
    let mut listed = std::fs::read(data.join("demo-pickups")).unwrap();
    listed.extend_from_slice(b"?x=1\n#\n../../api/v1/admin/boxes\ncaf\xe9\n\n");
    std::fs::write(data.join("demo-pickups"), listed).unwrap();

    let first_tokens = (demo.integration.clone(), demo.kiosk.clone());
    let demo = demo::Demo::start(&data, "second.log").await;
    let second = demo_documents_printed(&dir.path().join("second.log")).await;
    assert!(!second.contains("WARNING"), "{second}");
    assert_ne!((&demo.integration, &demo.kiosk), (&first_tokens.0, &first_tokens.1));
    for old in [&first_tokens.0, &first_tokens.1] {
        let answer = demo.get("/api/v1/boxes", Some(old)).await;
        assert_eq!(answer["error"]["code"], "unauthorized", "the first start's tokens stop: {answer}");
    }
    assert!(demo.get("/api/v1/boxes", Some(&demo.integration)).await.is_array(), "the fresh one works");
    assert_eq!(second.lines().filter(|l| l.contains("waiting: ") && l.contains(", PIN ")).count(), 4, "{second}");
    for id in &earlier {
        let pickup = demo.pickup(id).await;
        assert_eq!(pickup["status"].as_str(), Some("withdrawn"), "{pickup}");
    }
    let fresh: Vec<String> =
        std::fs::read_to_string(data.join("demo-pickups")).unwrap().lines().map(str::to_owned).collect();
    assert_eq!(fresh.len(), 4);
    for id in &fresh {
        assert!(!earlier.contains(id));
        assert_eq!(demo.pickup(id).await["status"].as_str(), Some("ready"));
    }
    let sim = demo.get("/api/v1/sim/boxes/dlz-1", None).await;
    assert_eq!(sim["open_doors"], json!([]), "every withdrawn compartment closed again");
}

/// A stop in the middle of a hand-over leaves a document only staff can settle: the next start names
/// it, keeps it on its list, and takes back the others.
#[tokio::test]
async fn a_restarted_demo_names_what_a_cut_hand_over_left_for_staff() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut demo = demo::Demo::start(&data, "first.log").await;
    let first = demo_documents_printed(&dir.path().join("first.log")).await;
    let pin = first
        .lines()
        .find(|l| l.contains("Mehmet"))
        .and_then(|l| l.split(", PIN ").nth(1))
        .map(|rest| rest.chars().take_while(char::is_ascii_digit).collect::<String>())
        .unwrap();
    let (_, session) = demo.post("/api/v1/kiosk/sessions", Some(&demo.kiosk), json!({})).await;
    let s = session["session"].as_str().unwrap().to_owned();
    let step = |name: &str| format!("/api/v1/kiosk/sessions/{s}/{name}");
    demo.post(&step("phone"), Some(&demo.kiosk), json!({ "phone": "0160 7654321" })).await;
    let (status, body) = demo.post(&step("pin"), Some(&demo.kiosk), json!({ "pin": pin })).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = demo.post(&step("birth-date"), Some(&demo.kiosk), json!({ "birth_date": "1974-08-12" })).await;
    assert_eq!((status, body["step"].as_str()), (200, Some("collect")), "{body}");
    let listed = std::fs::read_to_string(data.join("demo-pickups")).unwrap();
    let handed_over = listed.lines().nth(1).unwrap().to_owned();
    assert!(demo.pickup(&handed_over).await["reference"].as_str().unwrap().ends_with("-2"), "the seeds' order");
    assert!(!demo.signal_and_wait("-KILL").success());

    let demo = demo::Demo::start(&data, "second.log").await;
    let second = demo_documents_printed(&dir.path().join("second.log")).await;
    assert!(
        second.contains("WARNING: documents an earlier demo left wait for staff") && second.contains(&handed_over),
        "{second}"
    );
    let kept = std::fs::read_to_string(data.join("demo-pickups")).unwrap();
    assert!(kept.lines().any(|l| l == handed_over), "kept until staff settle it: {kept}");
    // The other three are offered; Mehmet's new document is announced without a PIN and not listed.
    assert!(second.contains("no SMS with a PIN reached the demo's phone for Mehmet Yılmaz"), "{second}");
    let offered: Vec<&str> = second.lines().filter(|l| l.contains("waiting: ") && l.contains(", PIN ")).collect();
    assert_eq!(offered.len(), 3, "{second}");
    for id in listed.lines().filter(|id| *id != handed_over) {
        assert_eq!(demo.pickup(id).await["status"].as_str(), Some("withdrawn"), "{id}");
    }
}

/// A command run with `--config` beside an installation leaves what it holds as it is: a panel an
/// admin added over the API survives `token create`, which makes that panel's token. Only a start or
/// `migrate` writes the file's boxes again.
#[tokio::test]
async fn a_command_with_a_config_file_keeps_what_an_admin_changed() {
    let dir = tempfile::tempdir().unwrap();
    let config = small_config(dir.path());
    let out = Command::new(BIN).arg("migrate").arg("--config").arg(&config).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let loaded = abholbox::Config::load(Some(&config)).unwrap();
    let (service, store) = abholbox::offline_service(&loaded, abholbox::Setup::Never).await.unwrap();
    let resolved = loaded.resolve().unwrap();
    let declared = &resolved.boxes[0];
    let mut spec = declared.clone();
    spec.panels.push(abholbox_service::setup::PanelSpec {
        id: abholbox_core::ids::PanelId::parse("panel-2").unwrap(),
        reader_slot: abholbox_core::ids::SlotNo::new(2).unwrap(),
    });
    service.put_box(&abholbox_service::Principal::Host, &spec).await.unwrap();
    store.close().await;

    let out = Command::new(BIN)
        .args(["token", "create", "--role", "kiosk", "--box", "b", "--panel", "panel-2", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (_, store) = abholbox::offline_service(&loaded, abholbox::Setup::Never).await.unwrap();
    let panels = store.panels(&declared.id).await.unwrap();
    store.close().await;
    assert_eq!(panels.len(), 2, "the admin's panel is kept");

    let out = Command::new(BIN).arg("migrate").arg("--config").arg(&config).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (_, store) = abholbox::offline_service(&loaded, abholbox::Setup::Never).await.unwrap();
    assert_eq!(store.panels(&declared.id).await.unwrap().len(), 1, "migrate writes the file's box again");
    store.close().await;
}

/// Commands never send SMS (the server does), so they run without the gateways' passwords; the
/// server does not start without them.
#[test]
fn commands_need_no_sms_gateway_password_and_the_server_does() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = dir.path().join("abholbox.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = \"{}\"\nlisten = \"127.0.0.1:0\"\n\n[sms]\ngateway = \"kannel\"\n\n[sms.kannel]\n\
             url = \"http://127.0.0.1:9/cgi-bin/sendsms\"\nusername = \"abholbox\"\n",
            data.display()
        ),
    )
    .unwrap();
    let run = |args: &[&str]| Command::new(BIN).args(args).env_remove("ABHOLBOX_KANNEL_PASSWORD").output().unwrap();
    let config = config.to_str().unwrap();
    let out = run(&["migrate", "--config", config]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = run(&["token", "create", "--role", "integration", "--config", config]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = run(&["serve", "--config", config]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && said.contains("sms.kannel: no password"), "{said}");
}
