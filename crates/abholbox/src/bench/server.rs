//! The server the bench starts itself: a configuration of its own, tokens, and `abholbox serve` as a
//! child process, so that its start-up time and memory are measured from outside like an operator's.

use std::path::{Path, PathBuf};

use std::process::Stdio;
use std::time::{Duration, Instant};

use abholbox_core::ids::{BoxId, PanelId};
use abholbox_store::Role;
use anyhow::{Context, bail};
use tokio::process::{Child, Command};

use super::citizen::{Panel, Plan};
use crate::config::{BoxConfig, Config, PanelConfig, SiteConfig};

/// Panels per simulated box: a box of 600 compartments has room for many, and a city's kiosks are
/// spread over several boxes.
pub const PANELS_PER_BOX: u32 = 10;
const SITE: &str = "bench";

/// A running `abholbox serve`.
pub struct OwnServer {
    child: Child,
    log: PathBuf,
    pub base: String,
    /// From spawning the process to its first healthy answer.
    pub startup: Duration,
}

/// Resident memory of a process, now and at its peak.
#[derive(Debug, Clone, Copy)]
pub struct Memory {
    pub resident_bytes: u64,
    pub peak_bytes: u64,
}

/// Writes the bench's configuration into `dir`: one site open around the clock, and enough boxes of
/// 600 compartments for `kiosks` panels. The directory must be new, empty, or one a bench made (it
/// holds `bench.toml`), never an installation's, and no server may run on it. Without `database`, the
/// one a bench used there before (a filled one) is taken again.
pub fn configure(dir: &Path, database: Option<&str>, kiosks: u32) -> anyhow::Result<(Config, PathBuf)> {
    let file = dir.join("bench.toml");
    let made_by_bench = file.exists();
    if !made_by_bench && std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some()) {
        bail!(
            "{} is not empty and no bench made it (it may hold an installation): name a new or empty directory",
            dir.display()
        );
    }
    if let Ok(lock) = std::fs::OpenOptions::new().write(true).open(dir.join("server.lock"))
        && let Err(std::fs::TryLockError::WouldBlock) = lock.try_lock()
    {
        bail!("a server is running on {}: stop it first", dir.display());
    }
    let before = if made_by_bench { Some(Config::load(Some(&file))?) } else { None };
    let database = match (database, &before) {
        (Some(url), _) => Some(url.to_owned()),
        (None, Some(before)) if !before.database.is_empty() => Some(before.database.clone()),
        _ => None,
    };
    let database = database.as_deref();
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let boxes = kiosks.div_ceil(PANELS_PER_BOX).max(1);
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut config = Config::demo(dir.to_path_buf(), port);
    config.database = database.unwrap_or_default().to_owned();
    config.sites = vec![SiteConfig {
        id: SITE.into(),
        name: "Lasttest".into(),
        address: "Benchstraße 1, 40227 Düsseldorf".into(),
        time_zone: "Europe/Berlin".into(),
        opening_hours: None,
        holiday_state: "NW".into(),
        open_24_7: true,
        four_eyes: false,
        counter_phone: None,
        pin_letter_kinds: Vec::new(),
        sms_quiet_hours: None,
    }];
    config.boxes = (1..=boxes)
        .map(|b| BoxConfig {
            serial: None,
            id: format!("bench-{b}"),
            site: SITE.into(),
            name: format!("Lasttest {b}"),
            driver: "simulated".into(),
            modules: abholbox_core::layout::default_modules(),
            panels: (1..=PANELS_PER_BOX).map(|p| PanelConfig { id: format!("panel-{p}"), reader_slot: p }).collect(),
        })
        .collect();
    // Every simulated kiosk and the registry share 127.0.0.1 here: one address must not be throttled.
    config.http.requests_per_second_per_client = 0;
    // The bench divides the writer's time by the run's; whole seconds would be too coarse for that.
    config.http.exact_write_time = true;
    config.resolve()?;
    std::fs::write(&file, toml::to_string(&config)?).with_context(|| format!("cannot write {}", file.display()))?;
    // What the server will run with: the file under the environment's overrides (its pool size, say,
    // which the limit's probe matches).
    let config = Config::load(Some(&file))?;
    config.resolve()?;
    Ok((config, file))
}

/// Creates the tokens: one for the registry, one admin (for `/metrics`), one per kiosk panel.
pub async fn tokens(config: &Config, kiosks: u32) -> anyhow::Result<Plan> {
    let (service, store) = crate::offline_service(config, crate::Setup::Always).await?;
    let made = async {
        let integration =
            service.create_token(&abholbox_service::Principal::Host, Role::Integration, None, None, "bench").await?;
        let admin = service.create_token(&abholbox_service::Principal::Host, Role::Admin, None, None, "bench").await?;
        let mut panels = Vec::new();
        for k in 0..kiosks {
            let box_id = format!("bench-{}", k / PANELS_PER_BOX + 1);
            let panel = PanelId::parse(&format!("panel-{}", k % PANELS_PER_BOX + 1))?;
            let (record, token) = service
                .create_token(
                    &abholbox_service::Principal::Host,
                    Role::Kiosk,
                    Some(BoxId::parse(&box_id)?),
                    Some(panel),
                    "bench",
                )
                .await?;
            panels.push(Panel { token, id: record.id, box_id });
        }
        let mut token_ids: Vec<String> = panels.iter().map(|p| p.id.clone()).collect();
        token_ids.extend([integration.0.id, admin.0.id]);
        anyhow::Ok(Plan {
            base: format!("http://{}", config.listen),
            integration: integration.1,
            admin: Some(admin.1),
            site: SITE.into(),
            panels,
            token_ids,
        })
    }
    .await;
    store.close().await;
    made
}

/// Revokes the tokens a run made, so that a database used again does not collect valid ones.
pub async fn revoke(config: &Config, plan: &Plan) -> anyhow::Result<()> {
    let (service, store) = crate::offline_service(config, crate::Setup::Never).await?;
    let mut revoked = Ok(());
    for id in &plan.token_ids {
        if let Err(e) = service.revoke_token(&abholbox_service::Principal::Host, id).await {
            revoked = Err(e);
        }
    }
    store.close().await;
    Ok(revoked?)
}

impl OwnServer {
    /// Starts `abholbox serve` on the configuration and waits until it answers.
    pub async fn start(config: &Config, config_file: &Path) -> anyhow::Result<Self> {
        let log = config.data_dir.join("server.log");
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .with_context(|| format!("cannot open {}", log.display()))?;
        let start = Instant::now();
        let child = Command::new(std::env::current_exe()?)
            .arg("serve")
            .arg("--config")
            .arg(config_file)
            .stdout(Stdio::from(out.try_clone()?))
            .stderr(Stdio::from(out))
            .kill_on_drop(true)
            .spawn()
            .context("cannot start abholbox serve")?;
        let mut server = Self { child, log, base: format!("http://{}", config.listen), startup: Duration::ZERO };
        let client = reqwest::Client::new();
        let health = format!("{}/healthz", server.base);
        loop {
            if let Ok(r) = client.get(&health).send().await
                && r.status().is_success()
            {
                break;
            }
            if let Some(status) = server.child.try_wait()? {
                let tail = server.log_tail();
                let hint = if tail.contains("key file") {
                    "\nThis database was used with another data directory: name that one with --data-dir, or use an empty database."
                } else {
                    ""
                };
                bail!("abholbox serve ended ({status}) before it answered:\n{tail}{hint}");
            }
            if start.elapsed() > Duration::from_secs(60) {
                bail!("abholbox serve did not answer within 60 s:\n{}", server.log_tail());
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        server.startup = start.elapsed();
        Ok(server)
    }

    /// Resident memory from `/proc`, where there is one.
    pub fn memory(&self) -> Option<Memory> {
        let pid = self.child.id()?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let kb = |key: &str| -> Option<u64> {
            let line = status.lines().find(|l| l.starts_with(key))?;
            line.split_whitespace().nth(1)?.parse::<u64>().ok().map(|k| k * 1024)
        };
        Some(Memory { resident_bytes: kb("VmRSS:")?, peak_bytes: kb("VmHWM:")? })
    }

    /// CPU time the server has used so far (user and system), where `/proc` tells it.
    pub fn cpu(&self) -> Option<Duration> {
        cpu_of(&format!("/proc/{}/stat", self.child.id()?))
    }

    /// SIGTERM, then waits for the server to finish what it holds.
    pub async fn stop(&mut self) -> anyhow::Result<()> {
        if let Some(pid) = self.child.id().and_then(|p| i32::try_from(p).ok()).and_then(rustix::process::Pid::from_raw)
        {
            rustix::process::kill_process(pid, rustix::process::Signal::TERM)?;
        }
        match tokio::time::timeout(Duration::from_secs(60), self.child.wait()).await {
            Ok(status) => {
                let status = status?;
                if !status.success() {
                    bail!("abholbox serve stopped with {status}:\n{}", self.log_tail());
                }
            }
            Err(_) => {
                self.child.kill().await?;
                bail!("abholbox serve did not stop within 60 s");
            }
        }
        Ok(())
    }

    /// The end of the server's log, for an error message.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines.iter().skip(lines.len().saturating_sub(20)).copied().collect::<Vec<_>>().join("\n")
    }
}

/// User and system CPU time from a `/proc/…/stat` file (fields 14 and 15, in clock ticks).
pub fn cpu_of(stat_file: &str) -> Option<Duration> {
    let stat = std::fs::read_to_string(stat_file).ok()?;
    // The command name (field 2) may hold spaces; the fields after it are counted from its ')'.
    let after = stat.get(stat.rfind(')')? + 2..)?;
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    let per_second = rustix::param::clock_ticks_per_second().max(1);
    Some(Duration::from_secs_f64(ticks as f64 / per_second as f64))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    #[cfg(target_os = "linux")]
    #[test]
    fn this_process_has_used_some_cpu() {
        let spin = std::time::Instant::now();
        let mut x = 0u64;
        while spin.elapsed() < std::time::Duration::from_millis(50) {
            x = x.wrapping_add(1);
        }
        assert!(x > 0);
        assert!(super::cpu_of("/proc/self/stat").unwrap() > std::time::Duration::ZERO);
    }
}
