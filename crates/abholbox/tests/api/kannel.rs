//! SMS through a real Kannel (Debian's `kannel`: bearerbox with the fake SMSC, smsbox for `sendsms`,
//! and `fakesmsc` as the network), with Kannel's delivery reports calling our report URL. Without
//! Kannel installed the test says it skipped, unless `ABHOLBOX_REQUIRE_PEERS` is set (as `.ci/run`
//! does), where that is a failure.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use abholbox::sms_config::KannelConfig;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{SITE, TestApp};

const FAKESMSC: &str = "/usr/lib/kannel/test/fakesmsc";

/// bearerbox, smsbox and fakesmsc, stopped when dropped.
struct Kannel {
    children: Vec<Child>,
    sendsms_port: u16,
    network_log: std::path::PathBuf,
}

impl Drop for Kannel {
    fn drop(&mut self) {
        for child in self.children.iter_mut().rev() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Kannel {
    async fn start(dir: &Path) -> Option<Self> {
        let installed = Command::new("bearerbox").arg("-v").output().is_ok() && Path::new(FAKESMSC).exists();
        if !installed {
            assert!(
                std::env::var_os("ABHOLBOX_REQUIRE_PEERS").is_none(),
                "Kannel is required: apt-get install kannel kannel-extras"
            );
            eprintln!("skipped: Kannel is not installed (apt-get install kannel kannel-extras)");
            return None;
        }
        let (admin, smsbox, smsc, sendsms) = (free_port(), free_port(), free_port(), free_port());
        let conf = dir.join("kannel.conf");
        let log = |name: &str| dir.join(name).display().to_string();
        std::fs::write(
            &conf,
            format!(
                "group = core\nadmin-port = {admin}\nadmin-password = admin\nsmsbox-port = {smsbox}\n\
                 box-allow-ip = \"127.0.0.1\"\ndlr-storage = internal\nlog-level = 1\nlog-file = \"{}\"\n\n\
                 group = smsc\nsmsc = fake\nsmsc-id = fake\nport = {smsc}\nconnect-allow-ip = \"127.0.0.1\"\n\n\
                 group = smsbox\nbearerbox-host = 127.0.0.1\nsendsms-port = {sendsms}\nlog-level = 1\nlog-file = \"{}\"\n\n\
                 group = sendsms-user\nusername = abholbox\npassword = kannel-secret\nmax-messages = 5\nconcatenation = true\n",
                log("bearerbox.log"),
                log("smsbox.log"),
            ),
        )
        .unwrap();
        let quiet = || Stdio::null();
        let bearerbox = Command::new("bearerbox").arg(&conf).stdout(quiet()).stderr(quiet()).spawn().unwrap();
        let mut kannel =
            Self { children: vec![bearerbox], sendsms_port: sendsms, network_log: dir.join("network.log") };
        wait_for_port(smsbox);
        kannel.children.push(Command::new("smsbox").arg(&conf).stdout(quiet()).stderr(quiet()).spawn().unwrap());
        let network = std::fs::File::create(&kannel.network_log).unwrap();
        kannel.children.push(
            Command::new(FAKESMSC)
                .args(["-H", "127.0.0.1", "-r", &smsc.to_string(), "-m", "0", "1 2 text nothing"])
                .stdout(network.try_clone().unwrap())
                .stderr(network)
                .spawn()
                .unwrap(),
        );
        wait_for_port(sendsms);
        // Messages sent before the fake network is connected wait a minute in bearerbox's queue.
        let status = format!("http://127.0.0.1:{admin}/status.txt?password=admin");
        for _ in 0..1000 {
            let text = match reqwest::get(&status).await {
                Ok(r) => r.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if text.lines().any(|l| l.contains("fake") && l.contains("online")) {
                return Some(kannel);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the fake network did not come online in Kannel");
    }

    fn sendsms_url(&self) -> String {
        format!("http://127.0.0.1:{}/cgi-bin/sendsms", self.sendsms_port)
    }

    /// What the fake network received: `<from> <to> <type> <text>` per message, waiting up to 20 s.
    async fn received(&self, count: usize) -> Vec<String> {
        let mut got = Vec::new();
        for _ in 0..1000 {
            let log = std::fs::read_to_string(&self.network_log).unwrap_or_default();
            got = log
                .lines()
                .filter_map(|l| l.split_once("Got message ").and_then(|(_, m)| m.split_once(": <")))
                .map(|(_, m)| m.trim_end_matches('>').to_owned())
                .collect();
            if got.len() >= count {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the fake network got {got:?}");
    }
}

fn wait_for_port(port: u16) {
    for _ in 0..500 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("Kannel did not open port {port}");
}

#[tokio::test]
async fn sms_go_through_a_real_kannel_and_its_delivery_reports_come_back() {
    let dir = tempfile::tempdir().unwrap();
    let Some(kannel) = Kannel::start(dir.path()).await else { return };
    let password = dir.path().join("kannel-password");
    std::fs::write(&password, "kannel-secret\n").unwrap();
    let port = free_port();
    let app = TestApp::spawn_with(dir.path(), |c| {
        c.listen = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        c.sms.gateway = "kannel".into();
        c.sms.sender = "Stadt DUS".into();
        c.sms.kannel = Some(KannelConfig {
            url: kannel.sendsms_url(),
            username: "abholbox".into(),
            password_file: Some(password.clone()),
            report_url: format!("http://127.0.0.1:{port}/api/v1/sms/reports/kannel"),
            ..Default::default()
        });
    })
    .await;
    let register = |reference: &str, phone: &str, language: &str| {
        json!({
            "reference": reference, "site": SITE, "document_kind": "passport", "document_number": null,
            "phone": phone, "birth_date": "1970-01-01", "old_document_number": "C01X00T47", "language": language,
        })
    };
    let (_, german) = app.post("/api/v1/pickups", Some(&app.integration), register("K-1", "0151 23456796", "de")).await;
    let german = german["id"].as_str().unwrap().to_owned();
    app.deposit(&german).await;
    let received = kannel.received(1).await;
    let (header, text) = received[0].split_at(received[0].find(" text ").unwrap());
    assert_eq!(header, "Stadt DUS +4915123456796", "sender and number as sent");
    let text = text.trim_start_matches(" text ");
    assert!(text.starts_with("Reisepass liegt in der Abholbox Dienstleistungszentrum"), "{text}");
    assert!(abholbox::bench::pin_in(text).is_some(), "the PIN arrives: {text}");

    let messages =
        crate::sms::messages_when(&app, &german, |m| m.first().is_some_and(|m| m["state"] == "delivered")).await;
    assert_eq!((&messages[0]["gateway"], &messages[0]["segments"]), (&json!("primary"), &json!(1)));

    // Cyrillic goes as UCS-2 ("В" is 04 12), in as many parts as we counted and the city pays for.
    let (_, ukrainian) =
        app.post("/api/v1/pickups", Some(&app.integration), register("K-2", "0151 23456797", "uk")).await;
    let ukrainian = ukrainian["id"].as_str().unwrap().to_owned();
    app.deposit(&ukrainian).await;
    let counted =
        crate::sms::messages_when(&app, &ukrainian, |m| m.first().is_some_and(|m| m["state"] != "queued")).await;
    let segments = usize::try_from(counted[0]["segments"].as_u64().unwrap()).unwrap();
    assert!(segments > 1, "{counted:?}");
    let received = kannel.received(1 + segments).await;
    let parts: Vec<&String> = received.iter().filter(|m| m.starts_with("Stadt DUS +4915123456797 udh ")).collect();
    assert_eq!(parts.len(), segments, "{received:?}");
    assert!(parts[0].contains(" data %04%12"), "UCS-2 big-endian: {}", parts[0]);

    let id = messages[0]["id"].as_str().unwrap();
    let forged = format!("/api/v1/sms/reports/kannel?message={id}&token=00000000000000000000000000000000&type=2");
    let (status, body) = app.get(&forged, None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")));
    assert_eq!(app.pickup(&german).await["messages"][0]["state"], "delivered", "a forged report changes nothing");
    app.stop().await;
}
