//! `abholbox bench`: a load generator of our own. It drives complete pickups through the real HTTP
//! API — registered, loaded, the door closed, the SMS read, phone, PIN, old document or birth date at a
//! kiosk, the door closed, collected — from many kiosks at once, and sets the throughput against what
//! the same database can commit at all, so that a figure always comes with its ceiling.

pub(crate) mod citizen;
pub use citizen::pin_in;
mod fill;
mod latency;
mod limit;
mod report;
mod server;
mod sms;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use citizen::{Citizens, Plan};
use latency::Recorder;
use report::{Report, ServerFigures};

/// The options of `abholbox bench`.
#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct BenchArgs {
    #[command(subcommand)]
    command: Option<BenchCommand>,
    /// Concurrent kiosks, each its own panel; ten panels per simulated box.
    #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(u32).range(1..=1000))]
    kiosks: u32,
    /// Pickups to complete (default: 600; with --rate, a minute's worth, at most 3000).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pickups: Option<u64>,
    /// Starts this many pickups per second (open loop, as citizens arrive); without it, each kiosk
    /// starts the next pickup as soon as one is done (closed loop).
    #[arg(long, value_parser = positive_rate)]
    rate: Option<f64>,
    /// The database of the server the bench starts (default: the one --data-dir was filled on, else a
    /// fresh SQLite file); `postgres://…` for PostgreSQL, an empty database or one a bench used with
    /// the same --data-dir. With --url, only where the write limit is measured (on PostgreSQL with
    /// 16 clients, the default pool; the bench's own server keeps to `database_connections`).
    #[arg(long)]
    database: Option<String>,
    /// The data directory of the server the bench starts (default: a fresh temporary one): a new or
    /// empty directory, or one a bench made, such as the one `abholbox bench fill` filled.
    #[arg(long, conflicts_with = "url")]
    data_dir: Option<PathBuf>,
    /// A running server to drive instead, with --tokens; its simulator API must be on.
    #[arg(long, requires = "tokens")]
    url: Option<String>,
    /// JSON with the running server's tokens:
    /// {"integration": "…", "admin": "…", "site": "…", "panels": [{"token": "…", "id": "tok_…", "box": "…"}]}.
    /// The admin token is optional (without it the commits per pickup are not counted).
    #[arg(long, requires = "url")]
    tokens: Option<PathBuf>,
    /// Prints one JSON object instead of the table.
    #[arg(long)]
    json: bool,
    /// How long the write limit is measured, in seconds (0.1 to 60).
    #[arg(long, default_value_t = 3.0, value_parser = limit_seconds)]
    limit_seconds: f64,
}

fn positive_rate(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(r) if r.is_finite() && r > 0.0 && r <= 10_000.0 => Ok(r),
        _ => Err("a number of pickups per second above 0, at most 10000".into()),
    }
}

fn limit_seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(s) if (0.1..=60.0).contains(&s) => Ok(s),
        _ => Err("seconds from 0.1 to 60".into()),
    }
}

/// What else the bench does.
#[derive(Subcommand, Debug)]
enum BenchCommand {
    /// Fills a data directory's database with a large history (collected pickups across many
    /// sites), so that `abholbox bench --data-dir` measures a full database.
    Fill(fill::FillArgs),
    /// Measures SMS per second through the outbox to an SMPP SMSC: an evening's delivery held back
    /// by the quiet hours, sent when they end.
    Sms(sms::SmsBenchArgs),
}

/// Runs the bench; exit code 0 when every pickup completed, 1 when any failed.
pub async fn run(args: BenchArgs) -> anyhow::Result<i32> {
    match args.command {
        Some(BenchCommand::Fill(fill)) => return fill::run(fill).await,
        Some(BenchCommand::Sms(sms)) => return sms::run(sms).await,
        None => {}
    }
    if let Some(url) = &args.database {
        limit::check_database(url)?;
    }
    let pickups = args.pickups.unwrap_or_else(|| args.rate.map_or(600, |r| ((r * 60.0).ceil() as u64).min(3000)));
    let probe_for = Duration::from_secs_f64(args.limit_seconds);
    let temp = tempfile::tempdir()?;
    let dir = args.data_dir.clone().unwrap_or_else(|| temp.path().join("data"));

    let (plan, mut own, limit, backend) = match (&args.url, &args.tokens) {
        (Some(url), Some(tokens)) => {
            let text = std::fs::read_to_string(tokens).with_context(|| format!("cannot read {}", tokens.display()))?;
            let mut plan: Plan = serde_json::from_str(&text).context("--tokens")?;
            plan.base = url.trim_end_matches('/').to_owned();
            citizen::check_server(&plan).await?;
            let limit = match &args.database {
                Some(db) => Some(
                    limit::measure(db, temp.path(), abholbox_store_postgres::DEFAULT_CONNECTIONS, probe_for).await?,
                ),
                None => None,
            };
            (plan, None, limit, "a running server")
        }
        _ => {
            let (config, file) = server::configure(&dir, args.database.as_deref(), args.kiosks)?;
            let limit = limit::measure(&config.database_url(), &dir, config.database_connections, probe_for).await?;
            // The first start creates the schema and the boxes (on a fresh database); the second,
            // after the tokens are made, is a start as every later one is.
            let mut first = server::OwnServer::start(&config, &file).await?;
            let startup_first = first.startup;
            first.stop().await?;
            let plan = server::tokens(&config, args.kiosks).await?;
            let again = server::OwnServer::start(&config, &file).await?;
            let backend = limit::backend_name(&config.database_url());
            (plan, Some((again, startup_first, config)), Some(limit), backend)
        }
    };
    if plan.panels.len() < args.kiosks as usize {
        bail!("--tokens names {} panels, fewer than --kiosks {}", plan.panels.len(), args.kiosks);
    }
    let recorder = Arc::new(Recorder::default());
    let citizens = Arc::new(Citizens::new(Arc::new(plan), recorder.clone(), args.kiosks as usize)?);
    let idle = own.as_ref().and_then(|(s, _, _)| s.memory());
    let counters_before = store_counters(&citizens).await;
    let cpu_before = (own.as_ref().and_then(|(s, _, _)| s.cpu()), server::cpu_of("/proc/self/stat"));

    let progress = ProgressBar::new(pickups);
    progress.set_style(ProgressStyle::with_template("{bar:40} {pos}/{len} pickups, {per_sec}, {elapsed}")?);
    let started = Instant::now();
    let load = async {
        match args.rate {
            None => closed_loop(&citizens, args.kiosks, pickups, &progress).await,
            Some(rate) => open_loop(&citizens, args.kiosks, pickups, rate, &progress).await,
        }
    };
    let outcome = tokio::select! {
        outcome = load => outcome,
        () = interrupted() => {
            progress.finish_and_clear();
            if let Some((s, _, config)) = own.as_mut() {
                s.stop().await?;
                server::revoke(config, citizens.plan()).await?;
            }
            bail!("interrupted; the server the bench started is stopped");
        }
    };
    let elapsed = started.elapsed();
    progress.finish_and_clear();

    let counters_after = store_counters(&citizens).await;
    let store_used = counters_before.zip(counters_after);
    let per_pickup = |before: Option<Duration>, after: Option<Duration>| {
        let used = after?.checked_sub(before?)?;
        (outcome.completed > 0).then(|| used.as_secs_f64() * 1000.0 / outcome.completed as f64)
    };
    let bench_cpu_ms_per_pickup = per_pickup(cpu_before.1, server::cpu_of("/proc/self/stat"));
    let mut failures = outcome.failures;
    let server = match own.as_mut() {
        Some((s, startup_first, config)) => {
            let memory = s.memory();
            let figures = ServerFigures {
                cpu_ms_per_pickup: per_pickup(cpu_before.0, s.cpu()),
                startup_ms_first: startup_first.as_secs_f64() * 1000.0,
                startup_ms: s.startup.as_secs_f64() * 1000.0,
                rss_idle_mb: idle.map(|m| mb(m.resident_bytes)),
                rss_peak_mb: memory.map(|m| mb(m.peak_bytes)),
            };
            if let Err(e) = s.stop().await {
                failures.push(format!("the server did not stop cleanly: {e:#}"));
            }
            server::revoke(config, citizens.plan()).await?;
            Some(figures)
        }
        None => None,
    };
    let report = Report::new(report::Inputs {
        backend,
        kiosks: args.kiosks,
        rate: args.rate,
        completed: outcome.completed,
        failures,
        elapsed,
        limit_commits_per_s: limit.map(|l| l.commits_per_s),
        limit_writers: limit.map(|l| l.writers),
        commits: store_used.map(|(b, a)| a.commits.saturating_sub(b.commits)),
        flushes: store_used.and_then(|(b, a)| Some(a.flushes?.saturating_sub(b.flushes?))),
        write_seconds: store_used.and_then(|(b, a)| Some((a.write_seconds? - b.write_seconds?).max(0.0))),
        calls: recorder.summaries(),
        late_starts: outcome.late_starts,
        bench_cpu_ms_per_pickup,
        server,
    });
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.table());
    }
    Ok(if report.failed == 0 { 0 } else { 1 })
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// What a load run ended with.
#[derive(Default)]
struct Outcome {
    completed: u64,
    failures: Vec<String>,
    /// Open loop: pickups that started late because every kiosk was busy.
    late_starts: u64,
}

/// Each kiosk starts its next pickup as soon as its last one is done.
async fn closed_loop(citizens: &Arc<Citizens>, kiosks: u32, pickups: u64, progress: &ProgressBar) -> Outcome {
    let next = Arc::new(AtomicU64::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for k in 0..kiosks as usize {
        let (citizens, next, progress) = (citizens.clone(), next.clone(), progress.clone());
        tasks.spawn(async move {
            let mut outcome = Outcome::default();
            let Some(panel) = citizens.plan().panels.get(k).cloned() else { return outcome };
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= pickups {
                    return outcome;
                }
                match citizens.pickup(n, &panel).await {
                    Ok(()) => outcome.completed += 1,
                    Err(e) => outcome.failures.push(e.0),
                }
                progress.inc(1);
            }
        });
    }
    gather(tasks).await
}

/// Starts a pickup every 1/`rate` seconds at a free kiosk, whether or not the last ones are done.
async fn open_loop(citizens: &Arc<Citizens>, kiosks: u32, pickups: u64, rate: f64, progress: &ProgressBar) -> Outcome {
    let (free_tx, mut free_rx) = tokio::sync::mpsc::unbounded_channel();
    for k in 0..kiosks as usize {
        let _ = free_tx.send(k);
    }
    let mut ticks = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut tasks = tokio::task::JoinSet::new();
    let mut late_starts = 0;
    for n in 0..pickups {
        ticks.tick().await;
        let k = match free_rx.try_recv() {
            Ok(k) => k,
            Err(_) => {
                late_starts += 1;
                match free_rx.recv().await {
                    Some(k) => k,
                    None => break,
                }
            }
        };
        let (citizens, free_tx, progress) = (citizens.clone(), free_tx.clone(), progress.clone());
        tasks.spawn(async move {
            let mut outcome = Outcome::default();
            if let Some(panel) = citizens.plan().panels.get(k).cloned() {
                match citizens.pickup(n, &panel).await {
                    Ok(()) => outcome.completed += 1,
                    Err(e) => outcome.failures.push(e.0),
                }
            }
            progress.inc(1);
            let _ = free_tx.send(k);
            outcome
        });
    }
    let mut outcome = gather(tasks).await;
    outcome.late_starts = late_starts;
    outcome
}

async fn gather(mut tasks: tokio::task::JoinSet<Outcome>) -> Outcome {
    let mut all = Outcome::default();
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok(o) => {
                all.completed += o.completed;
                all.failures.extend(o.failures);
            }
            Err(e) => all.failures.push(format!("a kiosk's task failed: {e}")),
        }
    }
    all
}

/// Ctrl-C or SIGTERM: the bench stops the server it started before it ends.
async fn interrupted() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (signal(SignalKind::interrupt()), signal(SignalKind::terminate())) {
            (Ok(mut int), Ok(mut term)) => {
                tokio::select! {
                    _ = int.recv() => {}
                    _ = term.recv() => {}
                }
            }
            _ => std::future::pending::<()>().await,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// The server's store counters from `/metrics`, when the plan has an admin token.
#[derive(Debug, Clone, Copy)]
struct StoreCounters {
    commits: u64,
    /// Missing on a server from before the counter.
    write_seconds: Option<f64>,
    /// Missing on a server from before group commit.
    flushes: Option<u64>,
}

async fn store_counters(citizens: &Citizens) -> Option<StoreCounters> {
    let plan = citizens.plan();
    let admin = plan.admin.as_ref()?;
    let response = reqwest::Client::new().get(format!("{}/metrics", plan.base)).bearer_auth(admin).send().await.ok()?;
    let text = response.error_for_status().ok()?.text().await.ok()?;
    let value = |name: &str| text.lines().find_map(|l| l.strip_prefix(name)).map(str::trim);
    Some(StoreCounters {
        commits: value("abholbox_store_commits_total ")?.parse().ok()?,
        write_seconds: value("abholbox_store_write_seconds_total ").and_then(|v| v.parse().ok()),
        flushes: value("abholbox_store_flushes_total ").and_then(|v| v.parse().ok()),
    })
}
