//! The SMPP client against a real SMPP 3.4 peer: the SMSC in `peers/smsc` on the npm `smpp` library,
//! an implementation independent of ours. Without Node.js or its `node_modules` the tests say they
//! skipped, unless `ABHOLBOX_REQUIRE_PEERS` is set (as `.ci/run` does), where that is a failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use abholbox_sms::smpp::{SmppGateway, SmppSettings};
use abholbox_sms::{DeliveryReport, OutgoingSms, SmsError, SmsGateway};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::mpsc;

/// The SMSC peer as a child process: what it printed, and its stdin for commands.
struct Peer {
    _child: Child,
    stdin: ChildStdin,
    seen: Arc<Mutex<Vec<Value>>>,
    port: u16,
}

fn peer_script() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../peers/smsc");
    let ready =
        dir.join("node_modules/smpp").is_dir() && std::process::Command::new("node").arg("--version").output().is_ok();
    if ready {
        return Some(dir.join("smsc.js"));
    }
    assert!(
        std::env::var_os("ABHOLBOX_REQUIRE_PEERS").is_none(),
        "the SMSC peer is required: run `npm ci --prefix peers/smsc` (Node.js 18 or later)"
    );
    eprintln!("skipped: no Node.js or no peers/smsc/node_modules (npm ci --prefix peers/smsc)");
    None
}

impl Peer {
    async fn start() -> Option<Self> {
        let script = peer_script()?;
        let mut child = Command::new("node")
            .arg(script)
            .args(["--port", "0", "--system-id", "abholbox", "--password", "secret"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let first: Value = serde_json::from_str(&lines.next_line().await.unwrap().unwrap()).unwrap();
        let port = u16::try_from(first["port"].as_u64().unwrap()).unwrap();
        let sink = seen.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                sink.lock().unwrap().push(serde_json::from_str(&line).unwrap_or(Value::String(line)));
            }
        });
        Some(Self { _child: child, stdin, seen, port })
    }

    async fn command(&mut self, line: &str) {
        self.stdin.write_all(format!("{line}\n").as_bytes()).await.unwrap();
        let command = line.split_whitespace().next().unwrap().to_owned();
        self.wait_for(|e| e["event"] == "ok" && e["command"] == command.as_str(), 1).await;
    }

    fn events(&self, event: &str) -> Vec<Value> {
        self.seen.lock().unwrap().iter().filter(|e| e["event"] == event).cloned().collect()
    }

    /// Waits until `count` events match, for at most 10 s.
    async fn wait_for(&self, matches: impl Fn(&Value) -> bool, count: usize) -> Vec<Value> {
        for _ in 0..1000 {
            let found: Vec<Value> = self.seen.lock().unwrap().iter().filter(|e| matches(e)).cloned().collect();
            if found.len() >= count {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the peer did not print what was waited for; it printed {:?}", self.seen.lock().unwrap());
    }

    fn settings(&self, transceiver: bool) -> SmppSettings {
        SmppSettings {
            name: "primary".into(),
            host: "127.0.0.1".into(),
            port: self.port,
            tls: false,
            system_id: "abholbox".into(),
            password: "secret".into(),
            system_type: String::new(),
            transceiver,
            sender: "Stadt DUS".into(),
            window: 10,
            max_per_second: 1000,
            enquire_link: Duration::from_secs(30),
            response_timeout: Duration::from_secs(5),
        }
    }
}

fn sms(id: &str, to: &str, text: &str) -> OutgoingSms {
    OutgoingSms {
        message_id: id.into(),
        to: to.into(),
        text: text.into(),
        report_token: String::new(),
        at: chrono::Utc::now(),
    }
}

async fn report(reports: &mut mpsc::Receiver<DeliveryReport>) -> DeliveryReport {
    tokio::time::timeout(Duration::from_secs(10), reports.recv()).await.expect("a receipt").expect("open")
}

#[tokio::test]
async fn binds_as_3_4_submits_and_records_receipts() {
    let Some(peer) = Peer::start().await else { return };
    let (tx, mut reports) = mpsc::channel(16);
    let gateway = SmppGateway::start(peer.settings(true), tx);
    let text = "Reisepass liegt in der Abholbox Dienstleistungszentrum. PIN 482913, Gebühr 0 €.";
    let accepted = gateway.send(&sms("m-1", "+4915123456701", text)).await.unwrap();
    assert_eq!((accepted.gateway.as_str(), accepted.gateway_id.as_str()), ("primary", "smsc-1"));
    let bound = peer.events("bound");
    assert_eq!((bound[0]["kind"].as_str(), bound[0]["interface_version"].as_u64()), (Some("transceiver"), Some(0x34)));
    let submit = &peer.events("submit")[0];
    assert_eq!(submit["destination_addr"], "4915123456701");
    assert_eq!((submit["dest_addr_ton"].as_u64(), submit["source_addr_ton"].as_u64()), (Some(1), Some(5)));
    assert_eq!((submit["source_addr"].as_str(), submit["data_coding"].as_u64()), (Some("Stadt DUS"), Some(0)));
    assert_eq!((submit["esm_class"].as_u64(), submit["registered_delivery"].as_u64()), (Some(0), Some(1)));
    assert_eq!(submit["text"], text, "GSM 03.38 septets, the € through the extension table");
    let receipt = report(&mut reports).await;
    assert_eq!(
        receipt,
        DeliveryReport {
            gateway: "primary".into(),
            gateway_id: Some("smsc-1".into()),
            message_id: None,
            delivered: true,
            detail: "DELIVRD".into()
        }
    );
    gateway.send(&sms("m-2", "+4915123456799", "PIN 1")).await.unwrap();
    let receipt = report(&mut reports).await;
    assert_eq!(
        (receipt.gateway_id.as_deref(), receipt.delivered, receipt.detail.as_str()),
        (Some("smsc-2"), false, "UNDELIV")
    );
    peer.wait_for(|e| e["event"] == "receipt_acknowledged" && e["status"] == 0, 2).await;
}

#[tokio::test]
async fn long_and_non_latin_texts_go_as_concatenated_parts() {
    let Some(peer) = Peer::start().await else { return };
    let (tx, _reports) = mpsc::channel(16);
    let gateway = SmppGateway::start(peer.settings(false), tx);
    let long = "a".repeat(200);
    gateway.send(&sms("m-1", "+4915123456701", &long)).await.unwrap();
    let ukrainian = "Ваш документ готовий у боксі видачі.";
    gateway.send(&sms("m-2", "+4915123456702", ukrainian)).await.unwrap();
    assert_eq!(peer.events("bound")[0]["kind"], "transmitter");
    let submits = peer.wait_for(|e| e["event"] == "submit", 3).await;
    for (i, part) in submits.iter().take(2).enumerate() {
        assert_eq!(part["esm_class"].as_u64(), Some(0x40), "UDH indicator");
        let udh = part["udh"][0].as_str().unwrap();
        assert!(udh.starts_with("0003") && udh.ends_with(&format!("02{:02x}", i + 1)), "{udh}");
    }
    let text: String = submits.iter().take(2).map(|p| p["text"].as_str().unwrap()).collect();
    assert_eq!(text, long);
    assert_eq!((submits[0]["text"].as_str().unwrap().len(), submits[1]["text"].as_str().unwrap().len()), (153, 47));
    assert_eq!((submits[2]["data_coding"].as_u64(), submits[2]["text"].as_str()), (Some(8), Some(ukrainian)));
}

#[tokio::test]
async fn an_invalid_number_is_refused_for_good_and_throttling_is_waited_out() {
    let Some(mut peer) = Peer::start().await else { return };
    let (tx, _reports) = mpsc::channel(16);
    let gateway = SmppGateway::start(peer.settings(true), tx);
    let refused = gateway.send(&sms("m-1", "+4915123456700", "PIN 1")).await;
    assert!(matches!(refused, Err(SmsError::Permanent(ref m)) if m.contains("0x0b")), "{refused:?}");
    peer.command("throttle 2").await;
    peer.command("queue_full 1").await;
    let started = std::time::Instant::now();
    let accepted = gateway.send(&sms("m-2", "+4915123456701", "PIN 2")).await.unwrap();
    let waited = started.elapsed();
    assert_eq!(accepted.gateway_id, "smsc-1", "accepted after the SMSC let it through");
    let refusals: Vec<u64> = peer.events("refused").iter().filter_map(|e| e["status"].as_u64()).collect();
    assert_eq!(refusals, [0x0B, 0x58, 0x58, 0x14]);
    assert!(waited >= Duration::from_millis(250 + 500 + 1000), "backed off 0.25 + 0.5 + 1 s: {waited:?}");
}

#[tokio::test]
async fn a_dropped_connection_fails_the_window_and_the_session_comes_back() {
    let Some(mut peer) = Peer::start().await else { return };
    let (tx, _reports) = mpsc::channel(16);
    let gateway = Arc::new(SmppGateway::start(peer.settings(true), tx));
    gateway.send(&sms("m-0", "+4915123456701", "PIN 0")).await.unwrap();
    peer.command("hold").await;
    let in_window: Vec<_> = (1..=3)
        .map(|n| {
            let gateway = gateway.clone();
            tokio::spawn(async move { gateway.send(&sms(&format!("m-{n}"), "+4915123456701", "PIN")).await })
        })
        .collect();
    peer.wait_for(|e| e["event"] == "held", 3).await;
    peer.command("drop").await;
    for send in in_window {
        let result = send.await.unwrap();
        assert!(
            matches!(result, Err(SmsError::Temporary(_))),
            "an unanswered message goes back to the outbox: {result:?}"
        );
    }
    peer.command("release").await;
    peer.wait_for(|e| e["event"] == "bound", 2).await;
    let again = gateway.send(&sms("m-1", "+4915123456701", "PIN")).await.unwrap();
    assert_eq!(again.gateway_id, "smsc-2", "sent on the new session");
}

#[tokio::test]
async fn an_idle_session_is_kept_alive_with_enquire_link() {
    let Some(peer) = Peer::start().await else { return };
    let (tx, _reports) = mpsc::channel(16);
    let settings = SmppSettings { enquire_link: Duration::from_millis(200), ..peer.settings(true) };
    let gateway = SmppGateway::start(settings, tx);
    peer.wait_for(|e| e["event"] == "enquire_link", 3).await;
    assert!(gateway.is_bound());
}

#[tokio::test]
async fn no_more_than_the_window_awaits_an_answer_at_once() {
    let Some(mut peer) = Peer::start().await else { return };
    let (tx, _reports) = mpsc::channel(16);
    let settings = SmppSettings { window: 3, ..peer.settings(true) };
    let gateway = Arc::new(SmppGateway::start(settings, tx));
    gateway.send(&sms("m-0", "+4915123456701", "PIN 0")).await.unwrap();
    peer.command("hold").await;
    let sends: Vec<_> = (1..=5)
        .map(|n| {
            let gateway = gateway.clone();
            tokio::spawn(async move { gateway.send(&sms(&format!("m-{n}"), "+4915123456701", "PIN")).await })
        })
        .collect();
    peer.wait_for(|e| e["event"] == "held", 3).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(peer.events("held").len(), 3, "the other two wait for a free place in the window");
    peer.command("drop").await;
    for send in sends {
        let _ = send.await.unwrap();
    }
}

#[tokio::test]
async fn the_send_rate_is_held() {
    let Some(peer) = Peer::start().await else { return };
    let (tx, _reports) = mpsc::channel(16);
    let settings = SmppSettings { max_per_second: 20, ..peer.settings(true) };
    let gateway = SmppGateway::start(settings, tx);
    gateway.send(&sms("m-0", "+4915123456701", "PIN 0")).await.unwrap();
    let started = std::time::Instant::now();
    for n in 1..=10 {
        gateway.send(&sms(&format!("m-{n}"), "+4915123456701", "PIN")).await.unwrap();
    }
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(450), "10 messages at 20 a second take half a second: {took:?}");
}
