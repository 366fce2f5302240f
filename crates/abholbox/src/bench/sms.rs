//! `abholbox bench sms`: messages per second through the outbox to an SMPP SMSC. An evening delivery
//! of documents is loaded while the quiet hours hold every SMS back; then the clock is moved to the
//! end of the quiet hours, and the time until the gateway has accepted them all is measured: the
//! morning rush, outbox and SMPP session together.

use std::sync::Arc;
use std::time::{Duration, Instant};

use abholbox_core::ids::BoxId;
use abholbox_service::clock::ManualClock;
use abholbox_store::Role;
use anyhow::{Context, bail};
use chrono::TimeZone;
use clap::Args;
use reqwest::Method;
use serde_json::{Value, json};
use tokio::task::JoinSet;

use crate::Application;
use crate::config::{BoxConfig, Config};
use crate::sms_config::SmppConfig;

/// The options of `abholbox bench sms`.
#[derive(Args, Debug)]
pub struct SmsBenchArgs {
    /// Messages to send, one per document loaded (600 to a simulated box).
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=20_000))]
    messages: u32,
    /// The SMSC as HOST:PORT, e.g. the test peer `node peers/smsc/smsc.js` (system id `abholbox`;
    /// the password from ABHOLBOX_SMPP_PASSWORD, else the peer's `secret`).
    #[arg(long)]
    smsc: String,
    /// `submit_sm` awaiting their answer at once.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1000))]
    window: u32,
    /// The send-rate limit of the SMPP gateway.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    max_per_second: u32,
    /// Prints one JSON object.
    #[arg(long)]
    json: bool,
}

const LOADERS: usize = 8;

pub async fn run(args: SmsBenchArgs) -> anyhow::Result<i32> {
    let (host, port) = args.smsc.rsplit_once(':').context("--smsc: HOST:PORT")?;
    let port: u16 = port.parse().context("--smsc: HOST:PORT")?;
    let temp = tempfile::tempdir()?;
    let password = temp.path().join("smpp-password");
    std::fs::write(&password, std::env::var("ABHOLBOX_SMPP_PASSWORD").unwrap_or_else(|_| "secret".into()))?;
    let listen = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let mut config = Config::demo(temp.path().join("data"), listen);
    let template = config.boxes.first().cloned().context("the demo has a box")?;
    config.boxes = (1..=args.messages.div_ceil(600))
        .map(|b| BoxConfig { id: format!("sms-{b}"), name: format!("SMS bench {b}"), ..template.clone() })
        .collect();
    config.sms.gateway = "smpp".into();
    config.sms.quiet_hours = "20:00-08:00".into();
    config.sms.smpp = Some(SmppConfig {
        host: host.into(),
        port,
        system_id: "abholbox".into(),
        password_file: Some(password),
        window: usize::try_from(args.window)?,
        max_per_second: args.max_per_second,
        ..SmppConfig::default()
    });
    config.http.requests_per_second_per_client = 0;
    config.resolve()?;
    let berlin = chrono_tz::Europe::Berlin;
    let evening =
        berlin.with_ymd_and_hms(2026, 12, 1, 21, 0, 0).single().context("a time")?.with_timezone(&chrono::Utc);
    let morning = berlin.with_ymd_and_hms(2026, 12, 2, 8, 0, 0).single().context("a time")?.with_timezone(&chrono::Utc);
    let clock = Arc::new(ManualClock::new(evening));
    let app = Application::build(&config, clock.clone()).await?;
    let service = app.service.clone();
    let base = format!("http://{}", app.local_addr()?);
    let (_, token) =
        service.create_token(&abholbox_service::Principal::Host, Role::Integration, None, None, "bench sms").await?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run(async move {
        let _ = stopped.await;
    }));

    let loaded = Instant::now();
    load(&base, &token, args.messages).await?;
    let loading = loaded.elapsed();
    if service.metrics().sms_accepted != 0 {
        bail!("an SMS went out in the quiet hours");
    }
    clock.set(morning);
    let started = Instant::now();
    service.wake_outbox();
    let target = u64::from(args.messages);
    let done = || {
        let m = service.metrics();
        m.sms_accepted + m.sms_given_up
    };
    while done() < target {
        if started.elapsed() > Duration::from_secs(600) {
            bail!("only {} of {target} SMS accepted within 10 minutes", service.metrics().sms_accepted);
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let seconds = started.elapsed().as_secs_f64();
    let _ = stop.send(());
    server.await??;
    let given_up = service.metrics().sms_given_up;
    if given_up > 0 {
        bail!("{given_up} SMS were refused by the SMSC");
    }
    let per_s = f64::from(args.messages) / seconds;
    if args.json {
        let report = json!({
            "messages": args.messages, "seconds": seconds, "messages_per_s": per_s,
            "window": args.window, "max_per_second": args.max_per_second, "loading_s": loading.as_secs_f64(),
        });
        println!("{report}");
    } else {
        println!(
            "{} SMS through the outbox to the SMSC in {seconds:.2} s: {per_s:.0} messages/s (window {}, limit {}/s; loading took {:.1} s)",
            args.messages,
            args.window,
            args.max_per_second,
            loading.as_secs_f64()
        );
    }
    Ok(0)
}

/// Registers, loads and closes the door for `messages` documents, several loaders at once.
async fn load(base: &str, token: &str, messages: u32) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    let next = Arc::new(std::sync::atomic::AtomicU32::new(0));
    let mut loaders = JoinSet::new();
    for _ in 0..LOADERS {
        let (client, base, token, next) = (client.clone(), base.to_owned(), token.to_owned(), next.clone());
        loaders.spawn(async move {
            loop {
                let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if n >= messages {
                    return anyhow::Ok(());
                }
                let box_id = BoxId::parse(&format!("sms-{}", n / 600 + 1))?;
                one(&client, &base, &token, n, &box_id).await?;
            }
        });
    }
    while let Some(done) = loaders.join_next().await {
        done??;
    }
    Ok(())
}

async fn one(client: &reqwest::Client, base: &str, token: &str, n: u32, box_id: &BoxId) -> anyhow::Result<()> {
    let call = |method: Method, path: String, body: Option<Value>, auth: bool| {
        let mut request = client.request(method, format!("{base}{path}"));
        if auth {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        async move {
            let response = request.send().await?;
            let status = response.status();
            let body: Value = response.json().await.unwrap_or(Value::Null);
            anyhow::Ok((status, body))
        }
    };
    let body = json!({
        "reference": format!("SMS-BENCH-{n}"), "site": "dus-dlz", "document_kind": "id_card", "document_number": null,
        // Numbers ending in 42: the test SMSC refuses those ending in 00 and reports those in 99 undelivered.
        "phone": format!("+49151{n:06}42"), "birth_date": "1970-01-01", "old_document_number": null, "language": "de",
    });
    let (status, registered) = call(Method::POST, "/api/v1/pickups".into(), Some(body), true).await?;
    if !status.is_success() {
        bail!("register {n}: {status} {registered}");
    }
    let id = registered.get("id").and_then(Value::as_str).context("an id")?.to_owned();
    let deposit = json!({ "pickup": id });
    let (status, loaded) = call(Method::POST, format!("/api/v1/boxes/{box_id}/deposits"), Some(deposit), true).await?;
    let compartment =
        loaded.get("compartment").and_then(Value::as_u64).with_context(|| format!("deposit {n}: {status} {loaded}"))?;
    let close = format!("/api/v1/sim/boxes/{box_id}/compartments/{compartment}/close");
    let (status, body) = call(Method::POST, close, Some(json!({})), false).await?;
    if !status.is_success() {
        bail!("close {n}: {status} {body}");
    }
    let wait = format!("/api/v1/pickups/{id}?wait=10&status=depositing");
    let (_, pickup) = call(Method::GET, wait, None, true).await?;
    if pickup.get("status").and_then(Value::as_str) != Some("ready") {
        bail!("pickup {n} did not get ready: {pickup}");
    }
    Ok(())
}
