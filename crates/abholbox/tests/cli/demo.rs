//! The demo binary as a process of its own, for what only a real process can show: a kill, a signal.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::BIN;

pub struct Demo {
    pub child: Child,
    pub base: String,
    pub integration: String,
    pub kiosk: String,
    /// Where the simulator's box control calls go: the demo itself, or a serial simulator's own port.
    pub sim: String,
    client: reqwest::Client,
}

impl Demo {
    /// Starts `abholbox demo` on a free port over `data` and waits until it answers.
    pub async fn start(data: &Path, log_name: &str) -> Self {
        Self::start_with(data, log_name, &[]).await
    }

    /// As [`Demo::start`], with more arguments for `abholbox demo`.
    pub async fn start_with(data: &Path, log_name: &str, extra: &[&str]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let log = data.parent().unwrap().join(log_name);
        // Both streams append to one file: a stream at its own offset would write over the other's lines.
        let append = || Stdio::from(std::fs::File::options().create(true).append(true).open(&log).unwrap());
        let _ = std::fs::remove_file(&log);
        let child = Command::new(BIN)
            .args(["demo", "--port", &port.to_string(), "--data-dir", data.to_str().unwrap()])
            .args(extra)
            .stdout(append())
            .stderr(append())
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap();
        for _ in 0..200 {
            if client.get(format!("{base}/healthz")).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        let mut printed = String::new();
        for _ in 0..100 {
            printed = std::fs::read_to_string(&log).unwrap();
            if printed.contains("kiosk token: ") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let token = |role: &str| -> String {
            printed.lines().find_map(|l| l.strip_prefix(&format!("{role} token: "))).map(str::to_owned).expect("token")
        };
        let sim = base.clone();
        Self { integration: token("integration"), kiosk: token("kiosk"), child, base, sim, client }
    }

    /// A hand closes a compartment door, through whichever simulator runs the box.
    pub async fn close(&self, c: u64) -> (u16, Value) {
        let url = format!("{}/api/v1/sim/boxes/dlz-1/compartments/{c}/close", self.sim);
        let resp = self.client.post(url).json(&json!({})).send().await.unwrap();
        (resp.status().as_u16(), resp.json().await.unwrap_or(Value::Null))
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
        let mut req = self.client.post(format!("{}{path}", self.base)).json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.unwrap();
        (resp.status().as_u16(), resp.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Value {
        let mut req = self.client.get(format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.unwrap().json().await.unwrap()
    }

    /// Registers and loads a birth-date pickup; returns its id, compartment and PIN.
    pub async fn ready_pickup(&self, reference: &str, phone_tail: &str, birth: &str) -> (String, u64, String) {
        let (_, registered) = self
            .post(
                "/api/v1/pickups",
                Some(&self.integration),
                json!({ "reference": reference, "site": "dus-dlz", "document_kind": "id_card",
                        "document_number": null, "phone": format!("0151 {phone_tail}"), "birth_date": birth,
                        "old_document_number": null, "language": "de", "low_compartment": false }),
            )
            .await;
        let id = registered["id"].as_str().unwrap().to_owned();
        let (_, deposit) =
            self.post("/api/v1/boxes/dlz-1/deposits", Some(&self.integration), json!({ "pickup": id })).await;
        let c = deposit["compartment"].as_u64().unwrap();
        self.close(c).await;
        let mut pin = String::new();
        for _ in 0..200 {
            let inbox = self.get("/api/v1/sim/sms", None).await;
            if let Some(text) = inbox
                .as_array()
                .unwrap()
                .iter()
                .filter(|m| m["to"].as_str().unwrap().ends_with(phone_tail))
                .find_map(|m| m["text"].as_str())
                && let Some(found) = abholbox::bench::pin_in(text)
            {
                pin = found;
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        assert_eq!(pin.len(), 6, "a PIN arrived");
        (id, c, pin)
    }

    /// Phone and PIN in a new session; returns the session id.
    pub async fn authenticated_session(&self, phone_tail: &str, pin: &str) -> String {
        let (_, session) = self.post("/api/v1/kiosk/sessions", Some(&self.kiosk), json!({})).await;
        let s = session["session"].as_str().unwrap().to_owned();
        let phone = json!({ "phone": format!("0151 {phone_tail}") });
        self.post(&format!("/api/v1/kiosk/sessions/{s}/phone"), Some(&self.kiosk), phone).await;
        let (status, body) =
            self.post(&format!("/api/v1/kiosk/sessions/{s}/pin"), Some(&self.kiosk), json!({ "pin": pin })).await;
        assert_eq!(status, 200, "{body}");
        s
    }

    pub async fn pickup(&self, id: &str) -> Value {
        self.get(&format!("/api/v1/pickups/{id}"), Some(&self.integration)).await
    }

    /// Sends a signal to the process and waits for it to exit.
    pub fn signal_and_wait(&mut self, signal: &str) -> std::process::ExitStatus {
        let out = Command::new("kill").args([signal, &self.child.id().to_string()]).output().unwrap();
        assert!(out.status.success(), "kill {signal} failed");
        self.child.wait().unwrap()
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
