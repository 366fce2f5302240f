//! Wiring: a configuration and a listener become a running abholbox.
//!
//! The binary only parses the command line and calls into here, so tests start the very same server
//! on port 0 over a fresh data directory.

pub mod bench;
pub mod config;
pub mod demo_pickups;
pub mod hardware_cli;
pub mod hardware_config;
pub mod mrz_cli;
pub mod sms_config;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use abholbox_box::{BoxDriver, ReportSink, SimulatedBox};
use abholbox_core::ids::BoxId;
use abholbox_core::ids::SlotNo;
use abholbox_http::{AppState, Simulator};
use abholbox_messages::Messages;
use abholbox_service::Service;
use abholbox_service::clock::{Clock, SystemClock};
use abholbox_service::secrets::KeyRing;
use abholbox_sms::SmsGateway;
use abholbox_store::Store;
use abholbox_store_postgres::PostgresStore;
use abholbox_store_sqlite::SqliteStore;
use anyhow::Context;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

pub use config::{Backend, Config};

/// How long a stop waits for work in flight (a compartment opening for a claim, a document being kept).
const IN_FLIGHT_GRACE: std::time::Duration = std::time::Duration::from_secs(30);
/// How long a stop waits for the workers to finish what they hold.
const WORKER_GRACE: std::time::Duration = std::time::Duration::from_secs(10);
/// How long a start waits for the serial boxes' lock controllers to answer once.
const FIRST_LOOK: std::time::Duration = std::time::Duration::from_secs(5);

/// A built, not yet serving, application.
pub struct Application {
    pub service: Service,
    /// Held while the server runs: one server per data directory.
    _lock: std::fs::File,
    listener: TcpListener,
    router: axum::Router,
    limits: abholbox_http::ConnectionLimits,
    tls: Option<abholbox_http::TlsAcceptor>,
    store: Arc<dyn Store>,
    workers: Vec<JoinHandle<()>>,
    shutdown: watch::Sender<bool>,
    /// The pairing links this server honours for its panels' pages.
    pub pairing: abholbox_http::PanelPairing,
    /// What the simulator page shows about the demo's waiting documents.
    pub sim_guide: abholbox_http::SimGuide,
    /// Holds `/healthz` at `starting` while the demo prepares itself.
    pub readiness: abholbox_http::Readiness,
}

/// Creates the data directory readable by the service user only: it holds the keys.
fn prepare_data_dir(config: &Config) -> anyhow::Result<()> {
    let dir = &config.data_dir;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create the data directory {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir)?.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                .with_context(|| format!("cannot restrict {} to its owner", dir.display()))?;
        }
    }
    Ok(())
}

/// Takes the data directory for this server alone. A second server on the same directory would run
/// the check after a start and end the first one's sessions at open compartments, so it must not
/// start; commands such as `token create` work beside a running server and take no lock.
fn lock_data_dir(config: &Config) -> anyhow::Result<std::fs::File> {
    let path = config.data_dir.join("server.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => {
            anyhow::bail!("another abholbox server is running on {}", config.data_dir.display())
        }
        Err(std::fs::TryLockError::Error(e)) => Err(e).with_context(|| format!("cannot lock {}", path.display())),
    }
}

/// Loads the key file and checks that it is the one every server of this database uses: a server with
/// other keys would send PINs that no other server accepts.
async fn load_keys(config: &Config, store: &dyn Store) -> anyhow::Result<KeyRing> {
    let path = config.key_file();
    let keys = KeyRing::load_or_create(&path)?;
    let ours = keys.fingerprint();
    let agreed = store.agree_on("keys_fingerprint", &ours).await?;
    let before_sealing = keys.fingerprint_before_sealing();
    if agreed == before_sealing {
        store.change_agreed("keys_fingerprint", &before_sealing, &ours).await?;
    } else if agreed != ours {
        anyhow::bail!(
            "the key file {} is not the one this database's servers use: give every server the same key_file",
            path.display()
        );
    }
    Ok(keys)
}

/// Adds a key for `purpose` to the installation's key file and makes it the one its servers agree
/// on; refused while a server runs on the data directory. Returns the new key's id.
pub async fn rotate_key(config: &Config, purpose: &str) -> anyhow::Result<String> {
    let _lock = lock_data_dir(config)?;
    let store = open_store(config).await?;
    let before = load_keys(config, store.as_ref()).await?.fingerprint();
    let id = abholbox_service::secrets::rotate_key(&config.key_file(), purpose)?;
    let after = KeyRing::load_or_create(&config.key_file())?.fingerprint();
    let agreed = store.change_agreed("keys_fingerprint", &before, &after).await;
    let recorded = match agreed {
        Ok(true) => record_rotation(store.as_ref(), config, purpose, &id).await,
        Ok(false) => Err(anyhow::anyhow!(
            "the database's servers agreed on other keys meanwhile; the key file has the new key {id}"
        )),
        Err(e) => Err(e.into()),
    };
    store.close().await;
    recorded?;
    Ok(id)
}

/// Writes a key rotation into the audit log, sealed with the new keys.
async fn record_rotation(store: &dyn Store, config: &Config, purpose: &str, id: &str) -> anyhow::Result<()> {
    let keys = Arc::new(KeyRing::load_or_create(&config.key_file())?);
    let sealer = keys.clone();
    store.audit_seal().set(Arc::new(move |entry: &[u8]| sealer.audit_seal(entry)));
    let mut tx = store.begin().await?;
    tx.append_audit(&abholbox_store::NewAuditEntry {
        at: chrono::Utc::now(),
        actor: "operator:cli".into(),
        action: "key_added",
        object: "keys".into(),
        detail: serde_json::json!({ "purpose": purpose, "key": id }),
    })
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Checks the installation's audit chain from its start with the key file's audit keys.
pub async fn verify_audit_log(config: &Config) -> anyhow::Result<abholbox_service::audit::AuditVerdict> {
    let path = config.key_file();
    if !path.exists() {
        anyhow::bail!("no key file at {}: the audit chain cannot be checked without it", path.display());
    }
    let store = open_store(config).await?;
    // The installation's own key file, or nothing is judged: other keys would call every entry altered.
    let keys = match load_keys(config, store.as_ref()).await {
        Ok(keys) => keys,
        Err(e) => {
            store.close().await;
            return Err(e);
        }
    };
    let verdict = abholbox_service::audit::verify_audit(store.as_ref(), &keys).await;
    store.close().await;
    Ok(verdict?)
}

/// Opens the store a configuration names, picked by its URL, and brings its schema up to date.
pub async fn open_store(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    prepare_data_dir(config)?;
    let url = config.database_url();
    let store: Arc<dyn Store> = match config.backend() {
        Backend::Sqlite => Arc::new(
            SqliteStore::open_url(&url)
                .await
                .with_context(|| format!("cannot open the database {}", config::redacted(&url)))?,
        ),
        Backend::Postgres => {
            let password = config.database_password()?;
            Arc::new(
                PostgresStore::open(&url, password.as_deref(), config.database_connections)
                    .await
                    .with_context(|| format!("cannot open the database {}", config::redacted(&url)))?,
            )
        }
        Backend::Unknown => anyhow::bail!("database: use a sqlite:// or postgres:// URL"),
    };
    Ok(store)
}

/// Whether a command writes the configuration's sites and boxes before it acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setup {
    /// As a start does: `migrate`, and the bench on its own databases.
    Always,
    /// Only into a database that holds no site yet: a command beside an installation that exists
    /// (`token create --config F`, say) leaves what it holds, an admin's panels among it, as it is;
    /// the file reaches it at the next start or `abholbox migrate`.
    IntoNewDatabase,
    Never,
}

/// A service over a configuration, without HTTP or drivers: for commands such as `token create`.
pub async fn offline_service(config: &Config, setup: Setup) -> anyhow::Result<(Service, Arc<dyn Store>)> {
    let resolved = config.resolve_offline()?;
    let store = open_store(config).await?;
    let (service, store) = offline_service_on(config, store, &resolved).await?;
    let write = match setup {
        Setup::Always => true,
        Setup::IntoNewDatabase => store.sites().await?.is_empty(),
        // An installation that exists has its sites; a database without any is not the one meant.
        Setup::Never if store.sites().await?.is_empty() => anyhow::bail!(
            "no installation in this database (it holds no site): name the one the demo or server runs on, \
             or set one up with `abholbox migrate` first"
        ),
        Setup::Never => false,
    };
    if write {
        apply_configuration(&service, &resolved).await?;
    }
    Ok((service, store))
}

/// Writes the configuration's sites and boxes. A box whose layout in the file would change a
/// compartment in use is named, with where the difference comes from and what to do about it.
async fn apply_configuration(service: &Service, resolved: &config::Resolved) -> anyhow::Result<()> {
    service.apply_setup(&resolved.sites, &[]).await?;
    for b in &resolved.boxes {
        match service.apply_setup(&[], std::slice::from_ref(b)).await {
            Err(e @ abholbox_service::Error::CompartmentsInUse(_)) => anyhow::bail!(
                "box {}: {e}. The layout kept in the database (changed over the admin API?) differs from \
                 the configuration's; make the configuration's modules match it, or empty those \
                 compartments first (the demo has no configuration file: start it with a fresh --data-dir)",
                b.id
            ),
            other => other?,
        }
    }
    Ok(())
}

async fn offline_service_on(
    config: &Config,
    store: Arc<dyn Store>,
    resolved: &config::Resolved,
) -> anyhow::Result<(Service, Arc<dyn Store>)> {
    let keys = load_keys(config, store.as_ref()).await?;
    let messages = Arc::new(Messages::load()?);
    let service =
        Service::new(store.clone(), Arc::new(SystemClock), keys, HashMap::new(), messages, resolved.policy.clone())
            .named(&config.server_name);
    Ok((service, store))
}

impl Application {
    /// Builds everything and binds the listener; nothing is served until [`Application::run`].
    /// Nothing is written before the directory is this server's and its port is bound, so a start that
    /// fails leaves a running server's data as it was.
    pub async fn build(config: &Config, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        Self::build_with_simulators(config, clock, HashMap::new()).await
    }

    /// Builds with the physical side of serial simulators that run in this process (the demo on
    /// `--driver serial`), so that the simulator's control routes reach them.
    pub async fn build_with_simulators(
        config: &Config,
        clock: Arc<dyn Clock>,
        serial_simulators: HashMap<BoxId, Arc<SimulatedBox>>,
    ) -> anyhow::Result<Self> {
        let resolved = config.resolve()?;
        prepare_data_dir(config)?;
        let lock = lock_data_dir(config)?;
        let tls = match (&config.http.tls_certificate_file, &config.http.tls_key_file) {
            (Some(certificate), Some(key)) => Some(abholbox_http::tls_acceptor(certificate, key)?),
            (None, None) => None,
            _ => anyhow::bail!("http: give both tls_certificate_file and tls_key_file, or neither"),
        };
        let listener =
            TcpListener::bind(config.listen).await.with_context(|| format!("cannot listen on {}", config.listen))?;
        let store = open_store(config).await?;
        if !store.hold_server_name(&config.server_name).await? {
            anyhow::bail!(
                "a server named {:?} is already running on this database: give each process its own server_name",
                config.server_name
            );
        }
        let messages = Arc::new(Messages::load()?);
        for costly in config.costly_ready_texts(&messages) {
            tracing::warn!("{costly}");
        }
        // The configuration's sites and boxes first, then a driver for every box the database holds
        // (those made through the admin API included).
        let (setup, _) = offline_service_on(config, store.clone(), &resolved).await?;
        apply_configuration(&setup, &resolved).await?;
        let (reports_tx, reports_rx) = mpsc::channel(1024);
        let mut drivers: HashMap<BoxId, Arc<dyn BoxDriver>> = HashMap::new();
        let mut simulated_boxes = serial_simulators;
        for summary in store.box_summaries().await? {
            let b = summary.record;
            let count = summary.last_compartment;
            let now_of = clock.clone();
            let sink = ReportSink::new(b.id.clone(), reports_tx.clone(), Arc::new(move || now_of.now()));
            match b.driver.as_str() {
                "simulated" => {
                    let slots: Vec<SlotNo> = store.panels(&b.id).await?.iter().map(|p| p.reader_slot).collect();
                    let sim = Arc::new(SimulatedBox::new(sink, count, &slots));
                    drivers.insert(b.id.clone(), sim.clone());
                    simulated_boxes.insert(b.id.clone(), sim);
                }
                "kerong-cu16" => {
                    let Some(serial) =
                        config.boxes.iter().find(|c| c.id == b.id.as_str()).and_then(|c| c.serial.as_ref())
                    else {
                        tracing::error!(box_id = %b.id, "a kerong-cu16 box without [boxes.serial] in the configuration; the box is not run");
                        continue;
                    };
                    let setup = serial.setup(&format!("box {}", b.id))?;
                    match abholbox_box::serial::open_serial_box(sink, count, &setup) {
                        Ok(driver) => {
                            if !driver.first_look(FIRST_LOOK).await {
                                tracing::warn!(box_id = %b.id, "not every lock controller answered at start");
                            }
                            tracing::info!(box_id = %b.id, buses = setup.buses.len(), readers = setup.readers.len(), "box on serial lines");
                            drivers.insert(b.id.clone(), driver);
                        }
                        Err(e) => {
                            tracing::error!(box_id = %b.id, error = %e, "serial lines not opened; the box is not run")
                        }
                    }
                }
                other => {
                    tracing::error!(box_id = %b.id, driver = %other, "no such driver in this version; the box is not run")
                }
            }
        }
        drop(reports_tx);
        let (delivery_tx, delivery_rx) = mpsc::channel(1024);
        let gateways = config.sms.gateways(&delivery_tx)?;
        drop(delivery_tx);
        let simulator = Simulator { boxes: Arc::new(simulated_boxes), sms: gateways.demo.clone() };
        let keys = load_keys(config, store.as_ref()).await?;
        let service =
            Service::new(store.clone(), clock, keys, drivers, messages, resolved.policy).named(&config.server_name);
        service.recover_after_start().await?;
        service.reseal_under_current_key().await?;
        service.rekey_phone_lookups().await?;

        let (shutdown, shutdown_rx) = watch::channel(false);
        let mut workers = Vec::new();
        let sms: Arc<dyn SmsGateway> = gateways.send;
        let (s, stop) = (service.clone(), shutdown_rx.clone());
        workers.push(tokio::spawn(async move { s.run_outbox(sms, stop).await }));
        let (s, stop) = (service.clone(), shutdown_rx.clone());
        workers.push(tokio::spawn(async move { s.run_delivery_reports(delivery_rx, stop).await }));
        let (s, stop) = (service.clone(), shutdown_rx.clone());
        workers.push(tokio::spawn(async move { s.run_box_reports(reports_rx, stop).await }));
        let (s, stop) = (service.clone(), shutdown_rx.clone());
        workers.push(tokio::spawn(async move { s.run_audit_chain(stop).await }));
        let (s, stop) = (service.clone(), shutdown_rx.clone());
        workers.push(tokio::spawn(async move { s.run_retention(stop).await }));
        let (s, stop) = (service.clone(), shutdown_rx.clone());
        workers.push(tokio::spawn(async move { s.run_box_event_applier(stop).await }));
        let (s, stop) = (service.clone(), shutdown_rx);
        workers.push(tokio::spawn(async move { s.run_housekeeping(stop).await }));

        let with_simulator = config.simulator_api && (!simulator.boxes.is_empty() || simulator.sms.is_some());
        let mut state = AppState::new(service.clone(), with_simulator.then_some(simulator), tls.is_some())?;
        state.exact_write_time = config.http.exact_write_time;
        let pairing = state.pairing.clone();
        let sim_guide = state.sim_guide.clone();
        let readiness = state.readiness.clone();
        let router = abholbox_http::router(state, config.http.requests_per_second_per_client);
        let limits = abholbox_http::ConnectionLimits {
            header_read_timeout: std::time::Duration::from_secs(config.http.header_read_timeout_seconds.max(1)),
            max_connections: config.http.max_connections,
            max_connections_per_client: config.http.max_connections_per_client,
        };
        Ok(Self {
            service,
            _lock: lock,
            listener,
            router,
            limits,
            tls,
            store,
            workers,
            shutdown,
            pairing,
            sim_guide,
            readiness,
        })
    }

    /// Whether it serves HTTPS.
    pub fn serves_tls(&self) -> bool {
        self.tls.is_some()
    }

    pub fn local_addr(&self) -> anyhow::Result<SocketAddr> {
        Ok(self.listener.local_addr()?)
    }

    /// Serves until `stop` resolves, then stops in order: requests in progress finish, then the work
    /// they started (a compartment opening, a document being kept) while the box's reports are still
    /// taken in, then the workers finish what they hold, and the database is closed.
    pub async fn run(self, stop: impl std::future::Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        // A stop answers the long-polls at once, so that it does not wait out their waits.
        let service = self.service.clone();
        let stop = async move {
            stop.await;
            service.stop_waiting();
        };
        abholbox_http::serve(self.listener, self.router, self.limits, self.tls, stop).await?;
        if !self.service.finish_in_flight(IN_FLIGHT_GRACE).await {
            tracing::error!("work in flight did not finish in time; what it left is flagged at the next start");
        }
        let _ = self.shutdown.send(true);
        for mut worker in self.workers {
            if tokio::time::timeout(WORKER_GRACE, &mut worker).await.is_err() {
                worker.abort();
                let _ = worker.await;
            }
        }
        // Last, once nothing writes any more: the log of a stopped installation is chained to its end.
        if let Err(e) = self.service.chain_audit().await {
            tracing::error!(error = %e, "audit entries left unchained at the stop; the next start chains them");
        }
        self.store.close().await;
        Ok(())
    }
}
