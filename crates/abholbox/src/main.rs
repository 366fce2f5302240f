//! The `abholbox` command: parses the command line and hands over to the library.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::Arc;

use abholbox::{Application, Config, mrz_cli};
use abholbox_core::ids::{BoxId, PanelId};
use abholbox_service::audit::AuditVerdict;
use abholbox_service::clock::{DemoClock, SystemClock};
use abholbox_store::Role;
use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(name = "abholbox", version, about = "Self-service pickup boxes for passports and ID cards")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the demo: one site, one simulated box of 600 compartments, on an embedded SQLite file.
    Demo {
        #[arg(long, default_value_t = 8080)]
        port: u16,
        #[arg(long, default_value = "abholbox-data")]
        data_dir: PathBuf,
        /// Runs the demo on PostgreSQL instead of the embedded SQLite file (`postgres://…`).
        #[arg(long)]
        database: Option<String>,
        /// `simulated`: the box in process; `serial`: the box through its serial driver, on the
        /// ports given or, without them, on a serial simulator this process starts on
        /// pseudo-terminals.
        #[arg(long, value_enum, default_value_t = DemoDriver::Simulated)]
        driver: DemoDriver,
        /// With `--driver serial`: the lock controllers' line (as `abholbox sim serial` prints it).
        #[arg(long, requires = "reader_port")]
        lock_port: Option<String>,
        /// With `--driver serial`: the slot reader's line.
        #[arg(long, requires = "lock_port")]
        reader_port: Option<String>,
    },
    /// Simulators that run as their own process.
    Sim {
        #[command(subcommand)]
        command: SimCommand,
    },
    /// Tools for box hardware.
    #[command(name = "box")]
    BoxHardware {
        #[command(subcommand)]
        command: BoxCommand,
    },
    /// Runs the server from a configuration file.
    Serve {
        #[arg(long, env = "ABHOLBOX_CONFIG")]
        config: PathBuf,
    },
    /// Brings the database schema up to date and exits.
    Migrate(Target),
    /// Manages API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Acts on one pickup, as a supervisor.
    Pickup {
        #[command(subcommand)]
        command: PickupCommand,
    },
    /// Tools for opening hours.
    Hours {
        #[command(subcommand)]
        command: HoursCommand,
    },
    /// Drives complete pickups through the HTTP API from many kiosks and reports throughput, latency
    /// per call, and the database's own write limit beside them.
    Bench(abholbox::bench::BenchArgs),
    /// Checks the audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Manages the key file's keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Tools for machine-readable zones.
    Mrz {
        #[command(subcommand)]
        command: MrzCommand,
    },
    /// Tools for SMS texts.
    Sms {
        #[command(subcommand)]
        command: SmsCommand,
    },
    /// Manages staff accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
}

/// Which installation a command works on: a configuration file, or a demo's data directory
/// (`./abholbox-data`, the demo's default, when neither is named).
#[derive(Args)]
struct Target {
    #[arg(long, conflicts_with = "data_dir", env = "ABHOLBOX_CONFIG")]
    config: Option<PathBuf>,
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// The demo's database when it runs on PostgreSQL (as its `--database`); its data directory
    /// then holds only its keys.
    #[arg(long, conflicts_with = "config")]
    database: Option<String>,
}

const DEMO_DATA_DIR: &str = "abholbox-data";

/// What a command works on, and whether its configuration is to be written into the database.
struct Installation {
    config: Config,
    /// A configuration file describes its installation, so its sites and boxes are written (by
    /// `migrate` always, by other commands into a new database only); a demo's directory only gets
    /// the demo's when it is created, never over an installation that exists.
    setup: abholbox::Setup,
}

impl Target {
    /// The installation named. One that does not exist is refused, so a command run in the wrong
    /// directory or with a mistyped `--data-dir` never creates a new, empty installation and acts on
    /// that; only `migrate` with an explicit `--data-dir` (or a configuration file) creates one.
    fn installation(&self, may_create: bool) -> anyhow::Result<Installation> {
        if let Some(file) = &self.config {
            let setup = if may_create { abholbox::Setup::Always } else { abholbox::Setup::IntoNewDatabase };
            return Ok(Installation { config: Config::load(Some(file))?, setup });
        }
        let named = self.data_dir.is_some();
        let dir = self.data_dir.clone().unwrap_or_else(|| PathBuf::from(DEMO_DATA_DIR));
        if let Some(url) = &self.database {
            if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                bail!("--database names the PostgreSQL database a demo runs on (postgres://…)");
            }
            let mut config = Config::demo(dir.clone(), 0);
            config.database.clone_from(url);
            // The database is elsewhere; the directory's key file tells that an installation is here,
            // and the database must hold one (a mistyped name is refused, not set up anew).
            return match (dir.join("keys.json").exists(), may_create) {
                (true, false) => Ok(Installation { config, setup: abholbox::Setup::Never }),
                (true, true) => Ok(Installation { config, setup: abholbox::Setup::IntoNewDatabase }),
                (false, true) => Ok(Installation { config, setup: abholbox::Setup::Always }),
                (false, false) => bail!(
                    "no installation at {}: no keys.json there (run the demo with --database first)",
                    dir.display()
                ),
            };
        }
        let exists = dir.join("abholbox.db").exists();
        match (exists, named, may_create) {
            (true, _, _) | (false, true, true) => Ok(Installation {
                config: Config::demo(dir, 0),
                setup: if exists { abholbox::Setup::Never } else { abholbox::Setup::Always },
            }),
            (false, false, _) => bail!(
                "no installation here: name one with --config FILE or --data-dir DIR (no ./{DEMO_DATA_DIR}/abholbox.db)"
            ),
            (false, true, false) => bail!(
                "no installation at {}: no abholbox.db there (run the demo or `abholbox migrate --data-dir` first; \
                 for a demo on PostgreSQL add its --database)",
                dir.display()
            ),
        }
    }
}

#[derive(Subcommand)]
enum UserCommand {
    /// Makes a staff account. The password is asked for on the terminal (twice, not shown) or, when
    /// stdin is no terminal, read as its first line; never taken from an argument, where every user
    /// of the machine could read it.
    Create {
        #[arg(long, value_enum)]
        role: StaffRoleArg,
        /// The sign-in name: 3 to 64 of a-z, 0-9, '.', '-', '_'.
        #[arg(long)]
        name: String,
        /// A site the member works for; repeat for several. Admins work for every site.
        #[arg(long = "site")]
        sites: Vec<String>,
        #[command(flatten)]
        target: Target,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum StaffRoleArg {
    Clerk,
    Supervisor,
    Admin,
}

/// A password to sign in with, from the terminal without echo, or stdin's first line for scripts.
fn read_password() -> anyhow::Result<String> {
    if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        return Ok(rpassword::prompt_password("password: ")?);
    }
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// A new password from the terminal (asked twice) or from the first line of stdin.
fn read_new_password() -> anyhow::Result<String> {
    if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        let first = rpassword::prompt_password("password: ")?;
        let second = rpassword::prompt_password("the same again: ")?;
        if first != second {
            bail!("the two passwords differ");
        }
        return Ok(first);
    }
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum DemoDriver {
    Simulated,
    Serial,
}

#[derive(Subcommand)]
enum SimCommand {
    /// A box of Kerong KR-CU16 lock controllers and an MRZ reader on two pseudo-terminals; prints
    /// `lock: PATH` and `reader: PATH`, one a line, and runs until stopped.
    Serial {
        /// Serves the simulator's control routes (`/api/v1/sim/boxes/{box}/...`) on 127.0.0.1:N.
        #[arg(long)]
        control_port: Option<u16>,
        /// The box id in the control routes.
        #[arg(long = "box", default_value = "dlz-1")]
        box_id: String,
        #[arg(long, default_value_t = 600)]
        compartments: u32,
    },
}

#[derive(Subcommand)]
enum BoxCommand {
    /// Asks every lock controller of every serial box for its state and prints each board's answer
    /// and each open door; opens nothing. Exit 1 when a board or line does not answer. Run it while
    /// the server is stopped: the server holds the lines.
    Check(Target),
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Creates a token and prints it once; only its hash is stored.
    Create {
        #[arg(long, value_enum)]
        role: RoleArg,
        /// The box a kiosk token is bound to.
        #[arg(long = "box")]
        box_id: Option<String>,
        /// The panel of the box a kiosk token drives (default: the box's first panel).
        #[arg(long)]
        panel: Option<String>,
        #[arg(long, default_value = "")]
        label: String,
        #[command(flatten)]
        target: Target,
    },
    /// Revokes a token at once, by the id printed when it was created.
    Revoke {
        id: String,
        #[command(flatten)]
        target: Target,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Checks every link of the audit chain and names the first broken entry (exit 0 intact, 1 broken).
    Verify(Target),
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Adds a new key for a purpose, used from the next start on; the server then seals personal
    /// data (data) or hashes waiting phone numbers (lookup) again under it. Stop every server of the
    /// installation first, and give them all the new key file.
    Rotate {
        #[arg(long, value_enum)]
        purpose: PurposeArg,
        #[command(flatten)]
        target: Target,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum PurposeArg {
    Pin,
    Lookup,
    Data,
    Audit,
}

#[derive(Subcommand)]
enum PickupCommand {
    /// Lifts the lock after too many wrong PINs or third factors, once the citizen has been seen in
    /// person; a new PIN goes out by SMS and the old one stops working.
    Unlock(SupervisorAction),
    /// Gives a claimed document back to its pickup, after a look into the compartment showed it is
    /// still there (the door never opened, or the service stopped mid-hand-over).
    Release(SupervisorAction),
}

/// A supervisor's action on one pickup, recorded with who and why.
#[derive(Args)]
struct SupervisorAction {
    /// The pickup id (`pu_…`).
    id: String,
    /// Why, for the audit log.
    #[arg(long)]
    reason: String,
    /// The supervisor who acts, by their sign-in name; their password is read from the terminal
    /// (or stdin's first line), and their role and sites are checked as on the staff pages.
    #[arg(long)]
    staff: String,
    #[command(flatten)]
    target: Target,
}

#[derive(Clone, Copy, ValueEnum)]
enum RoleArg {
    Integration,
    Kiosk,
    Admin,
}

#[derive(Subcommand)]
enum HoursCommand {
    /// Checks an opening_hours rule before it is saved: prints {"open": …, "next_change": …} at a
    /// moment (exit 0), or the parser's message (exit 2).
    Check {
        /// The rule in OpenStreetMap `opening_hours` syntax.
        rule: String,
        /// The federal state whose public holidays count (`PH`).
        #[arg(long, default_value = "NW")]
        state: String,
        /// The moment to check, RFC 3339 (default: now).
        #[arg(long)]
        at: Option<String>,
        /// The site's time zone.
        #[arg(long, default_value = "Europe/Berlin")]
        time_zone: String,
    },
}

#[derive(Subcommand)]
enum MrzCommand {
    /// Reads MRZ lines on stdin and prints them as JSON. Exit 0: valid; 1: recognised but failing a
    /// check; 2: not a machine-readable zone.
    Parse,
}

#[derive(Subcommand)]
enum SmsCommand {
    /// Reads a text on stdin (one final line break is not part of it) and prints what it costs:
    /// `{"encoding": "gsm7" | "ucs2", "units": N, "segments": N}`.
    Segments,
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    // Colours only on a terminal: a journal or log file gets plain text that tools can search.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt().with_env_filter(filter).with_ansi(ansi).with_writer(std::io::stderr).init();
}

/// Registers for SIGINT and SIGTERM at once and returns what waits for either. Called before the
/// server is built: a supervisor (or the bench) may send SIGTERM as soon as `/healthz` answers, and a
/// signal that arrives before the handler exists would kill the process instead of stopping it in order.
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()> + Send + 'static> {
    #[cfg(unix)]
    let signals = {
        use tokio::signal::unix::{SignalKind, signal};
        (signal(SignalKind::terminate())?, signal(SignalKind::interrupt())?)
    };
    Ok(async move {
        #[cfg(unix)]
        {
            let (mut terminate, mut interrupt) = signals;
            tokio::select! {
                _ = terminate.recv() => {}
                _ = interrupt.recv() => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        tracing::info!("stopping");
    })
}

/// Where the demo's box runs.
struct DemoHardware {
    driver: DemoDriver,
    lock_port: Option<String>,
    reader_port: Option<String>,
}

async fn demo(port: u16, data_dir: PathBuf, database: Option<String>, hardware: DemoHardware) -> anyhow::Result<()> {
    // Known to the seeding below: a stop in its middle cuts its requests, which is no fault.
    let stopping = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop = {
        let (signal, stopping) = (shutdown_signal()?, stopping.clone());
        async move {
            signal.await;
            stopping.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    };
    let mut serial_sims = HashMap::new();
    let mut in_process_simulator = None;
    // The simulator page needs a simulator in this process: the simulated box, or the serial
    // simulator the demo starts itself; not a box on ports of something else.
    let simulated_here = hardware.lock_port.is_none() && hardware.reader_port.is_none();
    let (mut config, box_line) = match (hardware.driver, hardware.lock_port, hardware.reader_port) {
        (DemoDriver::Simulated, None, None) => {
            (Config::demo(data_dir.clone(), port), "one simulated box (dlz-1, 600 compartments)".to_owned())
        }
        (DemoDriver::Simulated, _, _) => bail!("--lock-port and --reader-port need --driver serial"),
        (DemoDriver::Serial, Some(lock), Some(reader)) => (
            Config::demo_on_serial(data_dir.clone(), port, &lock, &reader),
            format!("one box (dlz-1, 600 compartments) on the serial driver: locks on {lock}, reader on {reader}"),
        ),
        (DemoDriver::Serial, _, _) => {
            let (simulator, sims) = abholbox::hardware_cli::demo_simulator("dlz-1", 600)?;
            let config = Config::demo_on_serial(data_dir.clone(), port, &simulator.lock_path, &simulator.reader_path);
            let line = format!(
                "one box (dlz-1, 600 compartments) on the serial driver, through a serial simulator: locks on {}, reader on {}",
                simulator.lock_path, simulator.reader_path
            );
            serial_sims = sims;
            in_process_simulator = Some(simulator);
            (config, line)
        }
    };
    if let Some(url) = database {
        config.database = url;
    }
    config.resolve()?;
    let app = Application::build_with_simulators(&config, Arc::new(DemoClock::default()), serial_sims).await?;
    let addr = app.local_addr()?;
    // Every start prints fresh tokens; those an earlier start printed stop working.
    for earlier in app.service.store().tokens().await? {
        if earlier.label == "demo" && earlier.revoked_at.is_none() {
            app.service.revoke_token(&abholbox_service::Principal::Host, &earlier.id).await?;
        }
    }
    let (_, integration) =
        app.service.create_token(&abholbox_service::Principal::Host, Role::Integration, None, None, "demo").await?;
    let kiosk_box = BoxId::parse("dlz-1")?;
    let (panel, kiosk) = app
        .service
        .create_token(&abholbox_service::Principal::Host, Role::Kiosk, Some(kiosk_box), None, "demo")
        .await?;
    let base = format!("http://{addr}");
    let sign_ins = demo_staff(&app.service).await?;
    write_demo_env(&data_dir, &base, &integration, &kiosk, &panel.id)?;
    let pairing = app.pairing.offer(&kiosk);
    let sim_guide = app.sim_guide.clone();
    let readiness = app.readiness.clone();
    readiness.hold();
    let server = tokio::spawn(app.run(stop));
    let mut out = std::io::stdout().lock();
    writeln!(out, "abholbox demo is running: one site (dus-dlz), {box_line}")?;
    if config.boxes.iter().any(|b| b.serial.is_some()) {
        writeln!(out, "  serial:  one bus of 16 boards wires compartments 1-256; the others are not offered")?;
    }
    writeln!(out, "  API:     {base}/api/v1")?;
    writeln!(out, "  OpenAPI: {base}/api/openapi.json")?;
    writeln!(out, "  SMS the demo gateway sent: {base}/api/v1/sim/sms")?;
    writeln!(out, "  data:    {} (tokens also in {})", data_dir.display(), data_dir.join("demo.env").display())?;
    writeln!(out, "  panel:   the kiosk token drives panel-1, whose id for the simulator's reader is {}", panel.id)?;
    writeln!(out, "integration token: {integration}")?;
    writeln!(out, "kiosk token: {kiosk}")?;
    writeln!(out, "kiosk: {base}/kiosk/pair?code={pairing}")?;
    if simulated_here {
        writeln!(out, "simulator: {base}/sim")?;
    }
    writeln!(out, "staff: {base}/staff")?;
    for (role, name, password) in &sign_ins {
        writeln!(out, "{role} sign-in: {name} {password}")?;
    }
    out.flush()?;
    drop(out);
    // Printed after the lines above, which scripts read as soon as the server answers.
    // Only a box whose doors this process can close: a box on ports of something else is left empty.
    let waiting = if !simulated_here {
        Vec::new()
    } else {
        match demo_documents(&data_dir, &base, &integration).await {
            Ok(waiting) => waiting,
            Err(_) if stopping.load(std::sync::atomic::Ordering::SeqCst) => {
                eprintln!(
                    "the demo stopped before its waiting documents were ready; the next start takes back or names what it left"
                );
                Vec::new()
            }
            Err(e) => {
                eprintln!("WARNING: the demo's waiting documents could not be prepared: {e:#}");
                Vec::new()
            }
        }
    };
    sim_guide.set(waiting.clone(), Some(abholbox::demo_pickups::stranger_zone()));
    let mut out = std::io::stdout().lock();
    for p in &waiting {
        let factor = match (&p.old_document, &p.birth_date) {
            (Some(number), _) => format!("old document {number}"),
            (None, Some(date)) => format!("birth date {date}"),
            (None, None) => String::new(),
        };
        writeln!(out, "  waiting: {} ({}): phone {}, PIN {}, {factor}", p.who, p.document_kind, p.phone, p.pin)?;
    }
    out.flush()?;
    drop(out);
    readiness.release();
    server.await??;
    drop(in_process_simulator);
    Ok(())
}

/// A staff account per role for the demo, each with a fresh password at every start (made on the
/// first start, given a new password on the next ones).
async fn demo_staff(service: &abholbox_service::Service) -> anyhow::Result<Vec<(&'static str, String, String)>> {
    use abholbox_core::staff::StaffRole;
    use abholbox_service::{Error, Principal};
    let mut out = Vec::new();
    for role in StaffRole::ALL {
        let name = format!("demo.{}", role.as_str());
        let password = demo_password();
        let new = abholbox_service::staff::NewStaff {
            name: name.clone(),
            role,
            sites: vec![abholbox_core::ids::SiteId::parse("dus-dlz")?],
            password: password.clone(),
        };
        match service.create_staff(&Principal::Host, new).await {
            Ok(_) => {}
            Err(Error::DuplicateStaffName) => {
                service.reset_staff_password(&Principal::Host, &name, password.clone()).await?
            }
            Err(e) => return Err(e.into()),
        }
        out.push((role.as_str(), name, password));
    }
    Ok(out)
}

/// Four groups of four hex digits from a fresh random token: easy to type from the screen, 64 bits.
fn demo_password() -> String {
    let token = abholbox_service::secrets::new_token();
    let hex: Vec<char> = token.trim_start_matches("abx_").chars().take(16).collect();
    hex.chunks(4).map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join("-")
}

/// Says, as loudly as a server can, that anyone who reaches it can open compartments and read PINs.
fn warn_simulator_api() {
    let lines = [
        "WARNING: simulator_api is on. /api/v1/sim/... needs no token: anyone who reaches this server",
        "WARNING: can close doors, insert documents and read every PIN sent. Only for the demo and tests;",
        "WARNING: set simulator_api = false (and unset ABHOLBOX_SIMULATOR_API) for real use.",
    ];
    for line in lines {
        eprintln!("{line}");
    }
    tracing::warn!("simulator_api is on: the simulator's routes need no token and show PINs");
}

/// Says that no SMS will reach a citizen: the demo gateway's inbox is read by nobody outside the demo.
fn warn_demo_gateway() {
    eprintln!("WARNING: sms.gateway is \"demo\": no SMS reaches any citizen, so nobody learns their PIN.");
    eprintln!("WARNING: configure [sms] gateway = \"smpp\" or \"kannel\" (docs/sms.md) before real use.");
    tracing::warn!("sms.gateway is demo: no SMS reaches any citizen");
}

/// The demo's waiting documents, fresh at every start: those an earlier start left are taken back
/// first (their ids are kept in `demo-pickups` beside `demo.env`), since their PINs are lost with
/// that process's phone inbox.
async fn demo_documents(
    data_dir: &std::path::Path,
    base: &str,
    integration: &str,
) -> anyhow::Result<Vec<abholbox::demo_pickups::DemoPickup>> {
    let mut kept = abholbox::demo_pickups::KeptIds::load(data_dir.join("demo-pickups"))?;
    let retired = abholbox::demo_pickups::retire(base, integration, &mut kept).await?;
    if retired.taken_back > 0 {
        tracing::info!(
            retired = retired.taken_back,
            "the documents an earlier demo left waiting were cancelled and withdrawn"
        );
    }
    if !retired.left_for_staff.is_empty() {
        eprintln!(
            "WARNING: documents an earlier demo left wait for staff (each with its state, and why if known): {}. \
             Settle them in the staff app, or start with a fresh --data-dir.",
            retired.left_for_staff.join(", ")
        );
    }
    let seeded = abholbox::demo_pickups::seed(base, integration, &mut kept).await?;
    if !seeded.without_pin.is_empty() {
        eprintln!(
            "WARNING: no SMS with a PIN reached the demo's phone for {}: a document from an earlier start still \
             waits for that number, and its PIN went with that start. Not listed.",
            seeded.without_pin.join(", ")
        );
    }
    Ok(seeded.waiting)
}

/// Writes the demo's URL and tokens for the README's walkthrough to source; readable by the owner only.
fn write_demo_env(
    dir: &std::path::Path,
    base: &str,
    integration: &str,
    kiosk: &str,
    kiosk_id: &str,
) -> anyhow::Result<()> {
    let path = dir.join("demo.env");
    let text =
        format!("BASE={base}\nINTEGRATION_TOKEN={integration}\nKIOSK_TOKEN={kiosk}\nKIOSK_TOKEN_ID={kiosk_id}\n");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(&path)?.write_all(text.as_bytes()).with_context(|| format!("cannot write {}", path.display()))
}

async fn run(cli: Cli) -> anyhow::Result<i32> {
    match cli.command {
        Command::Demo { port, data_dir, database, driver, lock_port, reader_port } => {
            init_logging();
            demo(port, data_dir, database, DemoHardware { driver, lock_port, reader_port }).await?;
        }
        Command::Sim { command: SimCommand::Serial { control_port, box_id, compartments } } => {
            init_logging();
            let stop = shutdown_signal()?;
            abholbox::hardware_cli::sim_serial(&box_id, compartments, control_port, stop).await?;
        }
        Command::BoxHardware { command: BoxCommand::Check(target) } => {
            let installation = target.installation(false)?;
            return Ok(if abholbox::hardware_cli::box_check(&installation.config).await? { 0 } else { 1 });
        }
        Command::Serve { config } => {
            init_logging();
            let config = Config::load(Some(&config))?;
            if config.simulator_api {
                warn_simulator_api();
            }
            if config.sms.gateway == "demo" && !config.simulator_api {
                warn_demo_gateway();
            }
            let stop = shutdown_signal()?;
            let app = Application::build(&config, Arc::new(SystemClock)).await?;
            tracing::info!(addr = %app.local_addr()?, https = app.serves_tls(), "abholbox is serving");
            app.run(stop).await?;
        }
        Command::Migrate(target) => {
            let installation = target.installation(true)?;
            let (_, store) = abholbox::offline_service(&installation.config, installation.setup).await?;
            store.close().await;
            println!("database schema is up to date");
        }
        Command::Token { command: TokenCommand::Create { role, box_id, panel, label, target } } => {
            let (service, store) = offline(&target).await?;
            let role = match role {
                RoleArg::Integration => Role::Integration,
                RoleArg::Kiosk => Role::Kiosk,
                RoleArg::Admin => Role::Admin,
            };
            let box_id = box_id.map(|b| BoxId::parse(&b)).transpose().context("--box")?;
            let panel = panel.map(|p| PanelId::parse(&p)).transpose().context("--panel")?;
            let created =
                service.create_token(&abholbox_service::Principal::Host, role, box_id.clone(), panel, &label).await;
            // A box or panel that is not there: name those that are, so the next try is the right one.
            let known: Option<(String, Vec<String>)> = match (&created, &box_id) {
                (Err(abholbox_service::Error::Unknown { field: "panel" }), Some(b)) => {
                    let panels = store.panels(b).await.unwrap_or_default();
                    let names = panels.iter().map(|p| p.id.to_string()).collect();
                    Some((format!("--panel: box {b} has no such panel; its panels"), names))
                }
                (Err(abholbox_service::Error::Unknown { field: "box" }), Some(b)) => {
                    let names = store.boxes().await.unwrap_or_default().iter().map(|b| b.id.to_string()).collect();
                    Some((format!("--box: there is no box {b}; the boxes"), names))
                }
                _ => None,
            };
            store.close().await;
            if let Some((what, names)) = known {
                bail!("{what}: {}", if names.is_empty() { "none".to_owned() } else { names.join(", ") });
            }
            let (record, token) = created?;
            println!("{} token: {token}", role.as_str());
            eprintln!("token id {}; shown once, stored only as a hash", record.id);
        }
        Command::Token { command: TokenCommand::Revoke { id, target } } => {
            let (service, store) = offline(&target).await?;
            let done = service.revoke_token(&abholbox_service::Principal::Host, &id).await;
            store.close().await;
            done?;
            println!("token {id} is revoked");
        }
        Command::Pickup { command } => {
            let (PickupCommand::Unlock(SupervisorAction { id, reason, staff, target })
            | PickupCommand::Release(SupervisorAction { id, reason, staff, target })) = &command;
            let id = abholbox_core::ids::PickupId::parse(id).context("not a pickup id")?;
            let password = read_password()?;
            let (service, store) = offline(target).await?;
            let done = async {
                let who = abholbox_service::Principal::Staff(service.sign_in(staff, &password).await?);
                match command {
                    PickupCommand::Unlock(_) => service.unlock(&who, &id, reason).await.map(|_| "unlocked"),
                    PickupCommand::Release(_) => service.release_claim(&who, &id, reason).await.map(|_| "released"),
                }
            }
            .await;
            store.close().await;
            println!("pickup {id} is {}", done?);
        }
        Command::Audit { command: AuditCommand::Verify(target) } => {
            let installation = target.installation(false)?;
            return Ok(match abholbox::verify_audit_log(&installation.config).await? {
                AuditVerdict::Intact { chained, unchained, head } => {
                    let head = head.map(|(p, link)| format!("; head at position {p}, link {link}")).unwrap_or_default();
                    println!("audit log intact: {chained} entries chained, {unchained} not chained yet{head}");
                    0
                }
                AuditVerdict::Broken { id, position, reason } => {
                    println!("audit log broken at entry {id} (position {position}): {reason}");
                    1
                }
                AuditVerdict::Unsealed { id } => {
                    println!(
                        "audit log broken at entry {id} (not chained yet): its seal does not hold; it was written or changed without the key"
                    );
                    1
                }
                AuditVerdict::Copied { id } => {
                    println!("audit log broken at entry {id}: it is a copy of an earlier entry");
                    1
                }
            });
        }
        Command::Keys { command: KeysCommand::Rotate { purpose, target } } => {
            let installation = target.installation(false)?;
            let purpose = match purpose {
                PurposeArg::Pin => "pin",
                PurposeArg::Lookup => "lookup",
                PurposeArg::Data => "data",
                PurposeArg::Audit => "audit",
            };
            let id = abholbox::rotate_key(&installation.config, purpose).await?;
            println!("new {purpose} key: {id}");
        }
        Command::Hours { command: HoursCommand::Check { rule, state, at, time_zone } } => {
            return hours_check(&rule, &state, at.as_deref(), &time_zone);
        }
        Command::Bench(args) => return abholbox::bench::run(args).await,
        Command::User { command: UserCommand::Create { role, name, sites, target } } => {
            let role = match role {
                StaffRoleArg::Clerk => abholbox_core::staff::StaffRole::Clerk,
                StaffRoleArg::Supervisor => abholbox_core::staff::StaffRole::Supervisor,
                StaffRoleArg::Admin => abholbox_core::staff::StaffRole::Admin,
            };
            let sites = sites
                .iter()
                .map(|s| abholbox_core::ids::SiteId::parse(s).with_context(|| format!("--site {s:?}")))
                .collect::<anyhow::Result<Vec<_>>>()?;
            // The name first: nobody types a password twice to learn that the name was wrong.
            abholbox_core::staff::parse_staff_name(&name).context("--name")?;
            let password = read_new_password()?;
            let (service, store) = offline(&target).await?;
            let new = abholbox_service::staff::NewStaff { name, role, sites, password };
            let made = service.create_staff(&abholbox_service::Principal::Host, new).await;
            store.close().await;
            let made = made?;
            println!("staff member {} ({}) is created", made.name, made.role.as_str());
        }
        Command::Sms { command: SmsCommand::Segments } => {
            let mut bytes = Vec::new();
            std::io::stdin().take(64 * 1024 + 1).read_to_end(&mut bytes).context("cannot read stdin")?;
            if bytes.len() > 64 * 1024 {
                eprintln!("abholbox: the text on stdin is longer than 64 KiB");
                return Ok(64);
            }
            let Ok(text) = String::from_utf8(bytes) else {
                eprintln!("abholbox: the text on stdin is not UTF-8");
                return Ok(64);
            };
            let text = text.strip_suffix('\n').map_or(text.as_str(), |t| t.strip_suffix('\r').unwrap_or(t));
            println!("{}", serde_json::to_string(&abholbox_sms::encoding::cost(text))?);
        }
        Command::Mrz { command: MrzCommand::Parse } => {
            let mut bytes = Vec::new();
            std::io::stdin().take(64 * 1024).read_to_end(&mut bytes).context("cannot read stdin")?;
            let (json, code) = mrz_cli::parse(&String::from_utf8_lossy(&bytes), chrono::Local::now().date_naive());
            println!("{json}");
            return Ok(code);
        }
    }
    Ok(0)
}

/// `hours check`: exit 0 with the answer, 2 when the rule does not parse, 64 for a bad argument.
fn hours_check(rule: &str, state: &str, at: Option<&str>, time_zone: &str) -> anyhow::Result<i32> {
    use abholbox_core::hours::{Hours, HoursError, State};
    let usage = |message: String| {
        eprintln!("abholbox: {message}");
        Ok(USAGE_ERROR)
    };
    let Ok(state) = State::parse(state) else { return usage(format!("--state: unknown federal state {state:?}")) };
    let Ok(tz) = time_zone.parse::<chrono_tz::Tz>() else {
        return usage(format!("--time-zone: unknown time zone {time_zone:?}"));
    };
    let at = match at {
        Some(text) => match chrono::DateTime::parse_from_rfc3339(text) {
            Ok(t) => t.with_timezone(&chrono::Utc),
            Err(e) => return usage(format!("--at: not an RFC 3339 time: {e}")),
        },
        None => chrono::Utc::now(),
    };
    match Hours::parse(rule, state, tz) {
        Ok(hours) => {
            let now = hours.at(at);
            let next = serde_json::json!(now.next_change.map(|t| t.with_timezone(&tz).to_rfc3339()));
            println!("{{\"open\": {}, \"next_change\": {next}}}", now.open);
            Ok(0)
        }
        Err(HoursError::Syntax(message)) => {
            eprintln!("{message}");
            Ok(2)
        }
        Err(e) => usage(e.to_string()),
    }
}

/// A service over an installation that exists, for the commands that act on one.
async fn offline(
    target: &Target,
) -> anyhow::Result<(abholbox_service::Service, std::sync::Arc<dyn abholbox_store::Store>)> {
    let installation = target.installation(false)?;
    abholbox::offline_service(&installation.config, installation.setup).await
}

/// Usage errors exit with 64 (EX_USAGE), not clap's 2, which `mrz parse` reserves for "no MRZ".
const USAGE_ERROR: i32 = 64;

#[tokio::main]
async fn main() {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            std::process::exit(if e.use_stderr() { USAGE_ERROR } else { 0 });
        }
    };
    match run(cli).await {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            if e.chain().any(|c| matches!(c.downcast_ref(), Some(abholbox_store::StoreError::Retry))) {
                eprintln!(
                    "abholbox: the database stayed busy: another process (another abholbox command, a backup, a \
                     tool) held it too long; try again once it is done"
                );
            } else {
                eprintln!("abholbox: {e:#}");
            }
            std::process::exit(3);
        }
    }
}
