//! The serial simulator as a process of its own, the demo driving it through its printed lines, and
//! `box check` against it.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::BIN;
use crate::demo::Demo;

/// `abholbox sim serial` with a control port; killed however the test ends.
struct SerialSim {
    child: Child,
    lock: String,
    reader: String,
    control: String,
}

impl Drop for SerialSim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl SerialSim {
    fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut child = Command::new(BIN)
            .args(["sim", "serial", "--control-port", &port.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        let (mut lock, mut reader, mut control) = (None, None, None);
        while lock.is_none() || reader.is_none() || control.is_none() {
            let line = rx.recv_timeout(Duration::from_secs(10)).expect("the simulator prints its lines");
            if let Some(path) = line.strip_prefix("lock: ") {
                lock = Some(path.to_owned());
            } else if let Some(path) = line.strip_prefix("reader: ") {
                reader = Some(path.to_owned());
            } else if let Some(url) = line.strip_prefix("control: ") {
                control = Some(url.trim_end_matches("/api/v1/sim/boxes/dlz-1").to_owned());
            }
        }
        let (lock, reader, control) = (lock.unwrap(), reader.unwrap(), control.unwrap());
        assert!(lock.starts_with("/dev/") && reader.starts_with("/dev/") && lock != reader, "{lock} {reader}");
        Self { child, lock, reader, control }
    }

    async fn call(&self, path: &str, body: Option<Value>) -> (u16, Value) {
        let client = reqwest::Client::new();
        let url = format!("{}/api/v1/sim/boxes/dlz-1{path}", self.control);
        let req = match body {
            Some(b) => client.post(url).json(&b),
            None => client.get(url),
        };
        let resp = req.send().await.unwrap();
        (resp.status().as_u16(), resp.json().await.unwrap_or(Value::Null))
    }
}

#[tokio::test]
async fn the_demo_runs_a_pickup_through_a_serial_simulator_of_its_own_process() {
    let dir = tempfile::tempdir().unwrap();
    let sim = SerialSim::start();
    let data = dir.path().join("data");
    let args = ["--driver", "serial", "--lock-port", &sim.lock, "--reader-port", &sim.reader];
    let mut demo = Demo::start_with(&data, "serial-demo.log", &args).await;
    demo.sim = sim.control.clone();
    let printed = std::fs::read_to_string(dir.path().join("serial-demo.log")).unwrap();
    assert!(printed.contains(&format!("locks on {}", sim.lock)), "{printed}");
    // The demo's own simulator routes know no such box: its hands are the other process's.
    let (status, _) = demo.post("/api/v1/sim/boxes/dlz-1/compartments/1/close", None, json!({})).await;
    assert_eq!(status, 404);

    let (id, c, pin) = demo.ready_pickup("SERIAL-1", "23456790", "1960-01-01").await;
    let session = demo.authenticated_session("23456790", &pin).await;
    let (status, body) = demo
        .post(
            &format!("/api/v1/kiosk/sessions/{session}/birth-date"),
            Some(&demo.kiosk),
            json!({"birth_date": "1960-01-01"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let mut closed = (0, Value::Null);
    for _ in 0..200 {
        closed = demo.close(c).await;
        if closed.0 == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(closed.0, 200, "the door opened on the wire and was closed by hand: {:?}", closed.1);
    let mut status = Value::Null;
    for _ in 0..200 {
        status = demo.pickup(&id).await["status"].clone();
        if status == "collected" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(status, "collected");

    // A stuck lock set through the simulator's control port reaches the demo over the wire.
    let (status, fault) = sim.call(&format!("/compartments/{}/fault", c + 1), Some(json!({ "lock": "stuck" }))).await;
    assert_eq!((status, fault["lock"].as_str()), (200, Some("stuck")), "{fault}");
    let (_, view) = sim.call("", None).await;
    assert_eq!(view["open_doors"], json!([]));
}

#[tokio::test]
async fn box_check_reports_each_board_and_door_and_opens_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let sim = SerialSim::start();
    let config = dir.path().join("abholbox.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = \"{}\"\n\n[[sites]]\nid = \"s\"\nname = \"S\"\naddress = \"A\"\n\n\
             [[boxes]]\nid = \"b\"\nsite = \"s\"\nname = \"B\"\ndriver = \"kerong-cu16\"\n\
             [boxes.serial]\nanswer_timeout_ms = 100\ntries = 2\n\
             [[boxes.serial.buses]]\nport = \"{}\"\nboards = 2\n\
             [[boxes.serial.readers]]\nslot = 1\nport = \"{}\"\n",
            dir.path().join("data").display(),
            sim.lock,
            sim.reader
        ),
    )
    .unwrap();
    let (status, _) = sim.call("/compartments/5/fault", Some(json!({ "door": "forced" }))).await;
    assert_eq!(status, 200);
    let out = Command::new(BIN).args(["box", "check", "--config"]).arg(&config).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("board 0 (compartments 1-16): answers; open: 5;"), "{text}");
    assert!(text.contains("board 1 (compartments 17-32): answers; open: none;"), "{text}");
    assert!(text.contains("reader of slot 1 on"), "{text}");
    let (_, view) = sim.call("", None).await;
    assert_eq!(view["open_doors"], json!([5]), "nothing opened");

    let (status, _) = sim.call("/compartments/17/fault", Some(json!({ "board": "silent" }))).await;
    assert_eq!(status, 200);
    let out = Command::new(BIN).args(["box", "check", "--config"]).arg(&config).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("board 1: board 1 did not answer"), "{text}");
}
