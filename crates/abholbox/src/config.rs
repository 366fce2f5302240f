//! The configuration of a server: one TOML file, every key with a default, environment overrides.
//!
//! Layered as defaults, then the file, then `ABHOLBOX_…` variables (`ABHOLBOX_LISTEN`,
//! `ABHOLBOX_PINS__LENGTH`). Unknown keys are errors, so a typo never silently keeps a default.

pub use crate::sms_config::SmsConfig;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use abholbox_core::hours::{Hours, State};
use abholbox_core::ids::{BoxId, PanelId, SiteId, SlotNo};
use abholbox_core::kiosk::SessionLimits;
use abholbox_core::layout::{ModuleLayout, default_modules, expand};
use abholbox_core::pickup::PickupRules;
use abholbox_core::pin::PinPolicy;
use abholbox_service::Policy;
use abholbox_service::setup::{BoxSpec, PanelSpec, SiteSpec};
use anyhow::{Context, bail};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address and port the HTTP API listens on.
    pub listen: SocketAddr,
    /// Where the key file (and by default the SQLite database) lives; created with mode 0700.
    pub data_dir: PathBuf,
    /// `sqlite://PATH` (one box or site) or `postgres://USER@HOST/DB` (a city, several server
    /// processes); empty means `abholbox.db` in `data_dir`. Leave the password out of the URL.
    pub database: String,
    /// A file holding the PostgreSQL password (e.g. a mounted secret); `ABHOLBOX_DATABASE_PASSWORD`
    /// also works. Never on the command line, where every user sees it.
    pub database_password_file: Option<PathBuf>,
    /// PostgreSQL connections this process keeps at most (it holds one more for its name). Every
    /// process sharing the database holds as many, and together they must stay below the database's
    /// `max_connections` (100 by default). Not used on SQLite, which has one writer and its readers.
    pub database_connections: u32,
    /// This server process's name among those sharing one database (1 to 64 of a-z, 0-9, `-`, `_`):
    /// after a restart each takes up only what it left in flight itself. Give each process its own.
    pub server_name: String,
    /// The key file; all server processes of one installation need the same one. Empty means
    /// `keys.json` in `data_dir`, created at first start.
    pub key_file: Option<PathBuf>,
    pub pins: PinsConfig,
    pub kiosk: KioskConfig,
    pub pickup: PickupConfig,
    pub sms: SmsConfig,
    pub http: HttpConfig,
    pub retention: RetentionConfig,
    /// Serves the simulator's control routes (`/api/v1/sim/…`: doors, slot, SMS inbox). They need no
    /// token and show PINs, so only the demo turns them on.
    pub simulator_api: bool,
    pub sites: Vec<SiteConfig>,
    pub boxes: Vec<BoxConfig>,
}

/// The database a configuration names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
    Unknown,
}

/// Whether a `postgres://` URL carries a password (`user:password@host`, or `?password=`).
fn url_has_password(url: &str) -> bool {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or_default();
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let in_userinfo = authority.split_once('@').is_some_and(|(user, _)| user.contains(':'));
    let in_query = url.split_once('?').is_some_and(|(_, q)| q.split('&').any(|kv| kv.starts_with("password=")));
    in_userinfo || in_query
}

/// A database URL fit for a message or a log: any password in it replaced.
pub fn redacted(url: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let base = match base.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.split_once('/').map_or((rest, None), |(a, p)| (a, Some(p)));
            let authority = match authority.rsplit_once('@') {
                Some((user, host)) if user.contains(':') => {
                    format!("{}:***@{host}", user.split(':').next().unwrap_or_default())
                }
                _ => authority.to_owned(),
            };
            format!("{scheme}://{authority}{}", path.map(|p| format!("/{p}")).unwrap_or_default())
        }
        None => base.to_owned(),
    };
    match query {
        Some(q) => {
            let q: Vec<String> = q
                .split('&')
                .map(|kv| if kv.starts_with("password=") { "password=***".to_owned() } else { kv.to_owned() })
                .collect();
            format!("{base}?{}", q.join("&"))
        }
        None => base,
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PinsConfig {
    /// Digits of a PIN (4 to 10).
    pub length: usize,
    /// Wrong PINs per pickup before it is locked for a supervisor.
    pub lockout_after: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KioskConfig {
    /// A session without input ends after this many seconds.
    pub idle_timeout_seconds: u32,
    /// Wrong PINs within one session before it ends.
    pub pin_attempts: u32,
    /// Wrong third factors (old document, birth date) within one session before it ends.
    pub third_factor_attempts: u32,
    /// Wrong third factors per pickup, across sessions, before it is locked for a supervisor.
    pub third_factor_lockout_after: u32,
    /// An open compartment whose door has not closed after this many seconds ends its session
    /// (`door_left_open`) and is flagged for staff.
    pub collect_timeout_seconds: u32,
    /// Every refused PIN takes at least this long, so that a known number, an unknown one and a
    /// locked document cannot be told apart by the time the answer takes. It hides the difference
    /// only while the step's work stays below it, so it is set well above that work on a loaded
    /// machine, and below what a person at the panel notices.
    pub pin_step_floor_ms: u32,
    /// Refused PINs and birth dates at one panel within 15 minutes that cost nothing; after them the
    /// panel waits 1, 2, 4 … (at most 60) seconds after each refusal.
    pub panel_free_refusals: u32,
    /// Refusals at one panel within 15 minutes that raise an alarm for staff.
    pub panel_alarm_after: u32,
    /// Refusals at all panels of a site within 5 minutes that raise an alarm for staff.
    pub site_alarm_after: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PickupConfig {
    /// Days a document waits in the box before it expires.
    pub window_days: u32,
}

/// How long what remains of an ended pickup (collected, withdrawn or cancelled) is kept. Its phone
/// number, birth date and PIN are erased when it ends, whatever these say.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionConfig {
    /// Days after its end until a pickup's reference and document number are replaced.
    pub pseudonymise_after_days: u32,
    /// Days after its end until the pickup, its events, messages and old-document record are deleted.
    pub delete_after_days: u32,
    /// Days until a kiosk session's record (which pickups it showed, how it ended) is deleted.
    pub sessions_after_days: u32,
    /// Days an opt-in may wait for its document; then it is called off (its personal data erased,
    /// the registry told by the feed), so that one whose document never came keeps nothing for ever.
    pub never_loaded_after_days: u32,
}

/// The longest retention period: a hundred years, longer than any record needs keeping.
const MAX_RETENTION_DAYS: u32 = 36_500;

impl RetentionConfig {
    fn policy(&self) -> anyhow::Result<abholbox_service::retention::RetentionPolicy> {
        let r = self;
        if r.pseudonymise_after_days == 0
            || r.delete_after_days < r.pseudonymise_after_days
            || r.sessions_after_days == 0
        {
            anyhow::bail!(
                "retention: pseudonymise_after_days and sessions_after_days at least 1, delete_after_days at least pseudonymise_after_days"
            );
        }
        if [r.pseudonymise_after_days, r.delete_after_days, r.sessions_after_days, r.never_loaded_after_days]
            .iter()
            .any(|d| *d > MAX_RETENTION_DAYS)
        {
            anyhow::bail!("retention: every period at most {MAX_RETENTION_DAYS} days (a hundred years)");
        }
        if r.never_loaded_after_days < 30 {
            anyhow::bail!("retention: never_loaded_after_days at least 30 (a new document takes weeks to be made)");
        }
        let days = |d: u32| chrono::Duration::days(i64::from(d));
        Ok(abholbox_service::retention::RetentionPolicy {
            pseudonymise_after: days(r.pseudonymise_after_days),
            delete_after: days(r.delete_after_days),
            sessions_after: days(r.sessions_after_days),
            never_loaded_after: days(r.never_loaded_after_days),
        })
    }
}

impl Default for RetentionConfig {
    fn default() -> Self {
        Self {
            pseudonymise_after_days: 90,
            delete_after_days: 365,
            sessions_after_days: 30,
            never_loaded_after_days: 180,
        }
    }
}

/// What one connection may hold of the server: a client that sends its request slowly, or opens
/// connections without end, is cut off instead of tying the server up.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    /// A request's headers must arrive within this many seconds of its first byte.
    pub header_read_timeout_seconds: u64,
    /// Connections open at once, from everyone; more wait to be accepted.
    pub max_connections: usize,
    /// Connections open at once from one address (a site's kiosks may share one behind NAT).
    pub max_connections_per_client: usize,
    /// Requests a second from one address (bursts of twice that); 0: no limit. Kiosks behind one
    /// NAT share an address: size it for all of them.
    pub requests_per_second_per_client: u32,
    /// Serves HTTPS with this certificate chain (PEM), with `tls_key_file`; both or neither.
    #[serde(default)]
    pub tls_certificate_file: Option<PathBuf>,
    /// The certificate's private key (PEM, PKCS#8 or RSA or EC), readable by the service user only.
    #[serde(default)]
    pub tls_key_file: Option<PathBuf>,
    /// `/metrics` tells the time inside write transactions to the microsecond instead of in whole
    /// seconds. Only for a load test: to the microsecond, a PIN step's writes would tell an admin
    /// token whether the number typed has a document waiting.
    #[serde(default)]
    pub exact_write_time: bool,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            header_read_timeout_seconds: 10,
            max_connections: 4096,
            max_connections_per_client: 512,
            requests_per_second_per_client: 200,
            tls_certificate_file: None,
            tls_key_file: None,
            exact_write_time: false,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteConfig {
    pub id: String,
    pub name: String,
    pub address: String,
    #[serde(default = "default_time_zone")]
    pub time_zone: String,
    /// The office's hours in OpenStreetMap `opening_hours` syntax, e.g.
    /// `Mo,Tu 07:30-16:00; We,Fr 07:30-13:00; Th 07:30-18:00; PH off`. Without it the box is always open.
    #[serde(default)]
    pub opening_hours: Option<String>,
    /// The federal state whose public holidays (`PH`) close the site: NW, BE, BY, …
    #[serde(default = "default_holiday_state")]
    pub holiday_state: String,
    /// The box stands in a room of its own and can be used at any hour, whatever `opening_hours` says.
    #[serde(default)]
    pub open_24_7: bool,
    /// A second staff member confirms each loading and service opening with their own sign-in.
    #[serde(default)]
    pub four_eyes: bool,
    /// The counter's phone number as citizens dial it, shown on the panel's help screen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counter_phone: Option<String>,
    /// The kinds of document whose PIN letter the citizen confirms at the panel before the third
    /// factor, e.g. `["id_card"]` for the eID PIN letter; none by default.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pin_letter_kinds: Vec<abholbox_core::document::DocumentKind>,
    /// Quiet hours of this site's SMS (`HH:MM-HH:MM`, "" for none), instead of `sms.quiet_hours`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms_quiet_hours: Option<String>,
}

/// The lowest `[kiosk] pin_step_floor_ms` accepted: the PIN step's own work on an idle machine is a few
/// milliseconds, so a lower floor would hide nothing (0 would switch the protection off).
const MIN_PIN_STEP_FLOOR_MS: u32 = 20;

/// The service centre's office hours, from the city's announcement; its box room is open around the clock.
const DUESSELDORF_HOURS: &str = "Mo,Tu 07:30-16:00; We,Fr 07:30-13:00; Th 07:30-18:00; PH off";

fn default_holiday_state() -> String {
    "NW".into()
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoxConfig {
    pub id: String,
    pub site: String,
    pub name: String,
    /// `simulated`: the in-process simulator; `kerong-cu16`: Kerong KR-CU16 lock controllers and a
    /// slot reader on serial lines, described in `[boxes.serial]` (docs/hardware.md).
    #[serde(default = "default_driver")]
    pub driver: String,
    /// The serial lines of a `kerong-cu16` box.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial: Option<crate::hardware_config::SerialConfig>,
    /// Modules of compartments; the default is 10 modules of 60 (600 compartments).
    #[serde(default = "default_modules")]
    pub modules: Vec<ModuleLayout>,
    /// The touch panels and the document slot beside each; the default is one panel at slot 1.
    #[serde(default = "default_panels")]
    pub panels: Vec<PanelConfig>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PanelConfig {
    /// Kiosk tokens are bound to a panel: `abholbox token create --role kiosk --box B --panel ID`.
    pub id: String,
    /// The number of the document slot (and its reader) beside this panel; what it reads reaches
    /// only this panel's sessions.
    pub reader_slot: u32,
}

fn default_panels() -> Vec<PanelConfig> {
    vec![PanelConfig { id: "panel-1".into(), reader_slot: 1 }]
}

fn default_time_zone() -> String {
    "Europe/Berlin".into()
}

fn default_driver() -> String {
    "simulated".into()
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("abholbox-data"),
            database: String::new(),
            database_password_file: None,
            database_connections: abholbox_store_postgres::DEFAULT_CONNECTIONS,
            server_name: abholbox_service::DEFAULT_SERVER_NAME.into(),
            key_file: None,
            pins: PinsConfig { length: 6, lockout_after: 5 },
            kiosk: KioskConfig {
                idle_timeout_seconds: 120,
                pin_attempts: 3,
                third_factor_attempts: 3,
                third_factor_lockout_after: 5,
                collect_timeout_seconds: 120,
                pin_step_floor_ms: 50,
                panel_free_refusals: 10,
                panel_alarm_after: 10,
                site_alarm_after: 20,
            },
            pickup: PickupConfig { window_days: 10 },
            sms: SmsConfig::default(),
            http: HttpConfig::default(),
            retention: RetentionConfig::default(),
            simulator_api: false,
            sites: Vec::new(),
            boxes: Vec::new(),
        }
    }
}

/// What a validated configuration means to the service.
pub struct Resolved {
    pub policy: Policy,
    pub sites: Vec<SiteSpec>,
    pub boxes: Vec<BoxSpec>,
}

impl Config {
    /// Where the German "ready" SMS of a site would cost more than one GSM-7 segment, for the longest
    /// PIN this configuration makes and any document kind: each is money spent on every pickup, so
    /// the server says so at start.
    pub fn costly_ready_texts(&self, messages: &abholbox_messages::Messages) -> Vec<String> {
        use abholbox_core::document::DocumentKind;
        use abholbox_core::language::Language;
        use abholbox_service::notifications::Texts;
        let pin = "9".repeat(self.pins.length);
        let deadline = chrono::TimeZone::with_ymd_and_hms(&chrono_tz::Europe::Berlin, 2026, 12, 31, 12, 0, 0).single();
        let mut costly = Vec::new();
        for site in &self.sites {
            for kind in DocumentKind::ALL {
                let Some(deadline) = deadline else { continue };
                let texts = Texts::new(messages, Language::De, kind, &site.name, &site.address, deadline);
                for key in ["sms-ready", "sms-ready-birth-date", "sms-new-pin", "sms-new-pin-family"] {
                    let cost = abholbox_sms::encoding::cost(&texts.text(messages, Language::De, key, Some(&pin)));
                    if cost.segments > 1 || cost.encoding != abholbox_sms::encoding::Encoding::Gsm7 {
                        costly.push(format!(
                            "site {}: the German {key} SMS for a {} costs {} {} segments (a shorter name or street line keeps it to one)",
                            site.id,
                            kind.as_str(),
                            cost.segments,
                            cost.encoding.as_str()
                        ));
                    }
                }
            }
        }
        costly
    }

    /// Loads defaults, then the file (if given), then the environment.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(path) = file {
            if !path.exists() {
                bail!("the configuration file {} does not exist", path.display());
            }
            figment = figment.merge(Toml::file(path));
        }
        figment = figment.merge(Env::prefixed("ABHOLBOX_").split("__").ignore(&[
            "bin",
            "config",
            "log",
            "rebuild",
            "database_password",
            "smpp_password",
            "kannel_password",
            "test_postgres",
            "require_peers",
            "timing_steps",
        ]));
        figment.extract().map_err(|e| anyhow::anyhow!("configuration: {e}"))
    }

    /// The SQLite file in use.
    pub fn database_url(&self) -> String {
        if self.database.is_empty() {
            format!("sqlite://{}", self.data_dir.join("abholbox.db").display())
        } else {
            self.database.clone()
        }
    }

    /// Which database the URL names.
    pub fn backend(&self) -> Backend {
        let url = self.database_url();
        if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Unknown
        }
    }

    /// The PostgreSQL password from `database_password_file` or `ABHOLBOX_DATABASE_PASSWORD`.
    pub fn database_password(&self) -> anyhow::Result<Option<String>> {
        if let Some(file) = &self.database_password_file {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("database_password_file: cannot read {}", file.display()))?;
            return Ok(Some(text.trim_end_matches(['\r', '\n']).to_owned()));
        }
        Ok(std::env::var("ABHOLBOX_DATABASE_PASSWORD").ok())
    }

    /// The key file in use.
    pub fn key_file(&self) -> PathBuf {
        self.key_file.clone().unwrap_or_else(|| self.data_dir.join("keys.json"))
    }

    /// Checks every value and turns the file's strings into domain values; errors name the key.
    pub fn resolve(&self) -> anyhow::Result<Resolved> {
        self.resolve_with(true)
    }

    /// As [`Config::resolve`], without reading the SMS gateways' passwords: a command (a staff
    /// account, a token) queues SMS at most and never sends, so it does not need them.
    pub fn resolve_offline(&self) -> anyhow::Result<Resolved> {
        self.resolve_with(false)
    }

    fn resolve_with(&self, gateway_secrets: bool) -> anyhow::Result<Resolved> {
        let pin = PinPolicy::new(self.pins.length).context("pins.length")?;
        if self.pins.lockout_after == 0 {
            bail!("pins.lockout_after must be at least 1");
        }
        let http = &self.http;
        if !(1..=300).contains(&http.header_read_timeout_seconds) {
            bail!("http.header_read_timeout_seconds must be between 1 and 300");
        }
        if http.max_connections == 0 || !(1..=http.max_connections).contains(&http.max_connections_per_client) {
            bail!(
                "http.max_connections and http.max_connections_per_client must be at least 1, the second at most the first"
            );
        }
        if !(10..=3600).contains(&self.kiosk.idle_timeout_seconds) {
            bail!("kiosk.idle_timeout_seconds must be between 10 and 3600");
        }
        if self.kiosk.pin_attempts == 0 || self.kiosk.third_factor_attempts == 0 {
            bail!("kiosk.pin_attempts and kiosk.third_factor_attempts must be at least 1");
        }
        if self.kiosk.third_factor_lockout_after == 0 {
            bail!("kiosk.third_factor_lockout_after must be at least 1");
        }
        if !(10..=3600).contains(&self.kiosk.collect_timeout_seconds) {
            bail!("kiosk.collect_timeout_seconds must be between 10 and 3600");
        }
        if self.kiosk.pin_step_floor_ms < MIN_PIN_STEP_FLOOR_MS {
            bail!(
                "kiosk.pin_step_floor_ms must be between {MIN_PIN_STEP_FLOOR_MS} and 1000: below that a refused PIN's \
                 answer time tells a known number from an unknown one"
            );
        }
        if self.kiosk.pin_step_floor_ms > 1000 {
            bail!(
                "kiosk.pin_step_floor_ms must be between {MIN_PIN_STEP_FLOOR_MS} and 1000: a citizen waits that long for every refused PIN"
            );
        }
        if !(2..=1000).contains(&self.database_connections) {
            bail!("database_connections must be between 2 and 1000");
        }
        if !(1..=90).contains(&self.pickup.window_days) {
            bail!("pickup.window_days must be between 1 and 90");
        }
        self.sms.validate_with(self.simulator_api, gateway_secrets)?;
        abholbox_core::ids::SiteId::parse(&self.server_name).context("server_name")?;
        match self.backend() {
            Backend::Sqlite | Backend::Postgres => {}
            Backend::Unknown => {
                bail!("database: use a sqlite:// or postgres:// URL, not {:?}", redacted(&self.database))
            }
        }
        if self.backend() == Backend::Postgres && url_has_password(&self.database) {
            bail!(
                "database: keep the password out of the URL; use database_password_file or ABHOLBOX_DATABASE_PASSWORD"
            );
        }
        let mut sites = Vec::new();
        for (i, s) in self.sites.iter().enumerate() {
            let id = SiteId::parse(&s.id).with_context(|| format!("sites[{i}].id"))?;
            if sites.iter().any(|o: &SiteSpec| o.id == id) {
                bail!("sites[{i}].id: site {:?} is configured twice", s.id);
            }
            let Ok(tz) = s.time_zone.parse::<chrono_tz::Tz>() else {
                bail!("sites[{i}].time_zone: unknown time zone {:?}", s.time_zone);
            };
            let state = State::parse(&s.holiday_state).with_context(|| format!("sites[{i}].holiday_state"))?;
            if let Some(rule) = &s.opening_hours {
                Hours::parse(rule, state, tz).with_context(|| format!("sites[{i}].opening_hours"))?;
            }
            sites.push(SiteSpec {
                id,
                name: s.name.clone(),
                address: s.address.clone(),
                time_zone: s.time_zone.clone(),
                opening_hours: s.opening_hours.clone(),
                holiday_state: s.holiday_state.to_ascii_uppercase(),
                open_24_7: s.open_24_7,
                four_eyes: s.four_eyes,
                counter_phone: s.counter_phone.clone(),
                pin_letter_kinds: s.pin_letter_kinds.clone(),
            });
        }
        let mut boxes = Vec::new();
        for (i, b) in self.boxes.iter().enumerate() {
            let id = BoxId::parse(&b.id).with_context(|| format!("boxes[{i}].id"))?;
            if boxes.iter().any(|o: &BoxSpec| o.id == id) {
                bail!("boxes[{i}].id: box {:?} is configured twice", b.id);
            }
            let site = SiteId::parse(&b.site).with_context(|| format!("boxes[{i}].site"))?;
            if !sites.iter().any(|s| s.id == site) {
                bail!("boxes[{i}].site: no site {:?} is configured", b.site);
            }
            if !abholbox_service::setup::DRIVERS.contains(&b.driver.as_str()) {
                bail!(
                    "boxes[{i}].driver: {:?} is no driver; one of {}",
                    b.driver,
                    abholbox_service::setup::DRIVERS.join(", ")
                );
            }
            expand(&b.modules).with_context(|| format!("boxes[{i}].modules"))?;
            let panels = panels(i, &b.panels)?;
            match (&b.serial, b.driver.as_str()) {
                (Some(serial), "kerong-cu16") => {
                    let setup = serial.setup(&format!("boxes[{i}].serial"))?;
                    let compartments = expand(&b.modules).map(|c| c.len()).unwrap_or(0);
                    for (j, bus) in setup.buses.iter().enumerate() {
                        let last = bus.last_compartment();
                        if usize::try_from(bus.first_compartment).unwrap_or(usize::MAX) > compartments {
                            bail!(
                                "boxes[{i}].serial.buses[{j}].first_compartment: {} is past the box's last compartment ({compartments})",
                                bus.first_compartment
                            );
                        }
                        if usize::try_from(last).unwrap_or(usize::MAX) > compartments + 15 {
                            bail!(
                                "boxes[{i}].serial.buses[{j}].boards: they reach compartment {last}, the box ends at {compartments}"
                            );
                        }
                    }
                    for (j, p) in panels.iter().enumerate() {
                        if !setup.readers.iter().any(|r| r.slot == p.reader_slot) {
                            bail!(
                                "boxes[{i}].panels[{j}].reader_slot: no [[boxes.serial.readers]] for slot {}",
                                p.reader_slot
                            );
                        }
                    }
                }
                (None, "kerong-cu16") => bail!("boxes[{i}].serial: a kerong-cu16 box needs its serial lines"),
                (Some(_), _) => bail!("boxes[{i}].serial: only for a box on a serial driver (kerong-cu16)"),
                (None, _) => {}
            }
            boxes.push(BoxSpec {
                id,
                site,
                name: b.name.clone(),
                driver: b.driver.clone(),
                modules: b.modules.clone(),
                panels,
            });
        }
        let policy = Policy {
            pin,
            rules: PickupRules {
                pin_lockout_after: self.pins.lockout_after,
                third_factor_lockout_after: self.kiosk.third_factor_lockout_after,
                pickup_window: chrono::Duration::days(i64::from(self.pickup.window_days)),
            },
            session: SessionLimits {
                pin_attempts: self.kiosk.pin_attempts,
                third_factor_attempts: self.kiosk.third_factor_attempts,
                idle_timeout: chrono::Duration::seconds(i64::from(self.kiosk.idle_timeout_seconds)),
                collect_timeout: chrono::Duration::seconds(i64::from(self.kiosk.collect_timeout_seconds)),
            },
            retention: self.retention.policy()?,
            pin_step_floor: std::time::Duration::from_millis(u64::from(self.kiosk.pin_step_floor_ms)),
            panel: abholbox_core::panel_limits::PanelLimits {
                free_refusals: self.kiosk.panel_free_refusals,
                panel_alarm_after: self.kiosk.panel_alarm_after,
                site_alarm_after: self.kiosk.site_alarm_after,
                ..Default::default()
            },
            sms: self.sms.policy(self.sites.iter().map(|s| (s.id.as_str(), s.sms_quiet_hours.as_deref())))?,
        };
        Ok(Resolved { policy, sites, boxes })
    }

    /// The demo's city: Düsseldorf's service centre with one simulated box of 600 compartments.
    pub fn demo(data_dir: PathBuf, port: u16) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], port)),
            data_dir,
            simulator_api: true,
            sites: vec![SiteConfig {
                id: "dus-dlz".into(),
                name: "Dienstleistungszentrum".into(),
                address: "Willi-Becker-Allee 7, 40227 Düsseldorf".into(),
                time_zone: default_time_zone(),
                opening_hours: Some(DUESSELDORF_HOURS.into()),
                holiday_state: default_holiday_state(),
                open_24_7: true,
                four_eyes: false,
                counter_phone: Some("0211 89-91".into()),
                pin_letter_kinds: Vec::new(),
                sms_quiet_hours: None,
            }],
            boxes: vec![BoxConfig {
                id: "dlz-1".into(),
                site: "dus-dlz".into(),
                name: "Ausgabebox Dienstleistungszentrum".into(),
                driver: default_driver(),
                serial: None,
                modules: default_modules(),
                panels: default_panels(),
            }],
            // Whoever tries the demo at night gets their SMS at once; installations keep 20:00-08:00.
            sms: SmsConfig { quiet_hours: String::new(), ..SmsConfig::default() },
            ..Self::default()
        }
    }
}

impl Config {
    /// The demo with its box on the serial driver: the lock controllers on `lock_port`, the slot's
    /// reader on `reader_port` (as `abholbox sim serial` prints them).
    pub fn demo_on_serial(data_dir: PathBuf, port: u16, lock_port: &str, reader_port: &str) -> Self {
        let mut config = Self::demo(data_dir, port);
        for b in &mut config.boxes {
            let compartments = expand(&b.modules).map(|c| u32::try_from(c.len()).unwrap_or(u32::MAX)).unwrap_or(0);
            b.driver = "kerong-cu16".into();
            b.serial = Some(crate::hardware_config::SerialConfig::single(lock_port, reader_port, compartments));
        }
        config
    }
}

/// Checks a box's panels: at least one, ids and slots each unique.
fn panels(box_index: usize, configured: &[PanelConfig]) -> anyhow::Result<Vec<PanelSpec>> {
    if configured.is_empty() {
        bail!("boxes[{box_index}].panels: a box needs at least one panel");
    }
    let mut out: Vec<PanelSpec> = Vec::new();
    for (j, p) in configured.iter().enumerate() {
        let key = format!("boxes[{box_index}].panels[{j}]");
        let id = PanelId::parse(&p.id).with_context(|| format!("{key}.id"))?;
        let reader_slot =
            SlotNo::new(p.reader_slot).with_context(|| format!("{key}.reader_slot: slots are numbered from 1"))?;
        if out.iter().any(|o| o.id == id) {
            bail!("{key}.id: panel {:?} is configured twice", p.id);
        }
        if out.iter().any(|o| o.reader_slot == reader_slot) {
            bail!("{key}.reader_slot: slot {} belongs to another panel already", p.reader_slot);
        }
        out.push(PanelSpec { id, reader_slot });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/abholbox.example.toml")
    }

    /// The text a citizen gets must cost one segment with the sites we ship, for every document kind
    /// and the longest PIN; a site name too long for that is named.
    #[test]
    fn serial_buses_must_not_overlap_nor_reach_past_the_box() {
        let serial = |buses: &[(u32, u8)]| {
            let mut c = Config::demo_on_serial(PathBuf::from("/tmp/x"), 0, "/dev/a", "/dev/b");
            let s = c.boxes[0].serial.as_mut().unwrap();
            let template = s.buses[0].clone();
            s.buses = buses
                .iter()
                .map(|(first, boards)| crate::hardware_config::BusConfig {
                    first_compartment: *first,
                    boards: *boards,
                    ..template.clone()
                })
                .collect();
            c.resolve().err().map(|e| e.to_string()).unwrap_or_default()
        };
        assert_eq!(serial(&[(1, 16), (257, 16), (513, 6)]), "", "600 compartments on three buses");
        assert!(
            serial(&[(1, 2), (17, 2)])
                .contains("boxes[0].serial.buses[1]: compartments 17-48 overlap those of buses[0]")
        );
        assert!(serial(&[(590, 2)]).contains("boxes[0].serial.buses[0].boards: they reach compartment 621"));
        assert!(serial(&[(601, 1)]).contains("first_compartment: 601 is past"));
        let mut c = Config::demo_on_serial(PathBuf::from("/tmp/x"), 0, "/dev/a", "/dev/b");
        c.boxes[0].panels.push(PanelConfig { id: "p2".into(), reader_slot: 2 });
        assert!(
            c.resolve()
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
                .contains("boxes[0].panels[1].reader_slot: no [[boxes.serial.readers]] for slot 2")
        );
        c.boxes[0].serial = None;
        assert!(
            c.resolve()
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
                .contains("a kerong-cu16 box needs its serial lines")
        );
    }

    #[test]
    fn the_ready_sms_costs_one_gsm7_segment_for_the_shipped_sites() {
        let messages = abholbox_messages::Messages::load().unwrap();
        let mut demo = Config::demo(PathBuf::from("/tmp"), 0);
        demo.pins.length = 10;
        assert_eq!(demo.costly_ready_texts(&messages), Vec::<String>::new());
        let example = Config::load(Some(&example())).unwrap();
        assert_eq!(example.costly_ready_texts(&messages), Vec::<String>::new());
        demo.sites[0].name = "Bürgerbüro Düsseldorf-Oberbilk im Dienstleistungszentrum".into();
        let costly = demo.costly_ready_texts(&messages);
        assert_eq!(costly.iter().filter(|c| c.contains(" sms-ready SMS")).count(), 4, "every kind: {costly:?}");
        assert!(costly[0].contains("2 gsm7 segments"), "{costly:?}");
        demo.sites[0].name = "Bürgerbüro – Mitte".into();
        assert!(demo.costly_ready_texts(&messages)[0].contains("ucs2"));
    }

    #[test]
    fn the_documented_example_is_valid() {
        let config = Config::load(Some(&example())).unwrap();
        let resolved = config.resolve().unwrap();
        assert_eq!(resolved.sites.len(), 1);
        assert_eq!(resolved.boxes[0].modules.len(), 2);
        assert_eq!(resolved.policy.rules.pin_lockout_after, 5);
        assert_eq!(resolved.policy.rules.third_factor_lockout_after, 5);
        assert_eq!(resolved.policy.session.collect_timeout, chrono::Duration::seconds(120));
        assert_eq!(resolved.policy.pin_step_floor, std::time::Duration::from_millis(50));
        assert_eq!(resolved.boxes[0].panels.len(), 2);
        assert_eq!(config.database_url(), "sqlite:///var/lib/abholbox/abholbox.db");
    }

    #[test]
    fn a_misspelt_key_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, "[pins]\nlenght = 8\n").unwrap();
        let err = Config::load(Some(&path)).unwrap_err().to_string();
        assert!(err.contains("lenght"), "{err}");
    }

    #[test]
    fn values_are_checked_with_the_key_named() {
        let mut config = Config::demo(PathBuf::from("x"), 0);
        config.pins.length = 3;
        assert!(config.resolve().err().map(|e| format!("{e:#}")).unwrap_or_default().contains("pins.length"));
        for (tweak, named) in [
            (
                (|c: &mut Config| c.http.header_read_timeout_seconds = 0) as fn(&mut Config),
                "http.header_read_timeout_seconds",
            ),
            (|c: &mut Config| c.http.max_connections_per_client = 0, "http.max_connections_per_client"),
            (|c: &mut Config| c.http.max_connections_per_client = c.http.max_connections + 1, "at most the first"),
            (|c: &mut Config| c.retention.never_loaded_after_days = 29, "never_loaded_after_days at least 30"),
            (|c: &mut Config| c.retention.delete_after_days = 100_000_000, "at most 36500 days"),
        ] {
            let mut config = Config::demo(PathBuf::from("x"), 0);
            tweak(&mut config);
            let refused = config.resolve().err().map(|e| e.to_string()).unwrap_or_default();
            assert!(refused.contains(named), "{named}: {refused}");
        }
        let mut config = Config::demo(PathBuf::from("x"), 0);
        config.boxes[0].site = "elsewhere".into();
        assert!(config.resolve().err().map(|e| e.to_string()).unwrap_or_default().contains("boxes[0].site"));
        let mut config = Config::demo(PathBuf::from("x"), 0);
        config.sites[0].time_zone = "Mars/Olympus".into();
        assert!(config.resolve().err().map(|e| e.to_string()).unwrap_or_default().contains("sites[0].time_zone"));
        let mut config = Config::demo(PathBuf::from("x"), 0);
        config.boxes[0].panels.push(PanelConfig { id: "panel-2".into(), reader_slot: 1 });
        let err = config.resolve().err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("boxes[0].panels[1].reader_slot"), "{err}");
        let mut config = Config::demo(PathBuf::from("x"), 0);
        config.sites[0].opening_hours = Some("Mo-Fr 25:00".into());
        assert!(
            config.resolve().err().map(|e| format!("{e:#}")).unwrap_or_default().contains("sites[0].opening_hours")
        );
        let mut config = Config::demo(PathBuf::from("x"), 0);
        config.sites[0].holiday_state = "XX".into();
        assert!(
            config.resolve().err().map(|e| format!("{e:#}")).unwrap_or_default().contains("sites[0].holiday_state")
        );
        let mut config = Config::demo(PathBuf::from("x"), 0);
        config.boxes.push(config.boxes[0].clone());
        assert!(config.resolve().err().map(|e| e.to_string()).unwrap_or_default().contains("boxes[1].id"));
        let mut config = Config::demo(PathBuf::from("x"), 0);
        config.kiosk.pin_step_floor_ms = 1001;
        let refused = config.resolve().err().map(|e| e.to_string()).unwrap_or_default();
        assert!(refused.contains("kiosk.pin_step_floor_ms") && refused.contains("a citizen waits"), "{refused}");
        for off in [0, MIN_PIN_STEP_FLOOR_MS - 1] {
            config.kiosk.pin_step_floor_ms = off;
            let refused = config.resolve().err().map(|e| e.to_string()).unwrap_or_default();
            assert!(refused.contains("kiosk.pin_step_floor_ms must be between 20"), "{off}: {refused}");
        }
        config.kiosk.pin_step_floor_ms = MIN_PIN_STEP_FLOOR_MS;
        assert!(config.resolve().is_ok());
        for wrong in [0, 1, 1001] {
            config.database_connections = wrong;
            let refused = config.resolve().err().map(|e| e.to_string()).unwrap_or_default();
            assert!(refused.contains("database_connections must be between 2 and 1000"), "{wrong}: {refused}");
        }
        config.database_connections = 2;
        assert!(config.resolve().is_ok());
        let mut config = Config::demo(PathBuf::from("x"), 0);
        config.boxes[0].panels.clear();
        assert!(config.resolve().err().map(|e| e.to_string()).unwrap_or_default().contains("boxes[0].panels"));
    }

    #[test]
    fn the_database_is_picked_by_its_url_and_its_password_kept_out_of_it() {
        let mut config = Config::demo(PathBuf::from("x"), 0);
        assert_eq!(config.backend(), Backend::Sqlite);
        config.database = "postgres://abholbox@db.example/abholbox".into();
        assert_eq!(config.backend(), Backend::Postgres);
        assert!(config.resolve().is_ok());
        config.database = "postgres://abholbox:secret@db.example/abholbox".into();
        let err = config.resolve().err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("password") && !err.contains("secret"), "{err}");
        config.database = "postgres://abholbox@db/x?sslmode=require&password=LEAK".into();
        assert!(config.resolve().is_err(), "a password in the query too");
        assert_eq!(redacted(&config.database), "postgres://abholbox@db/x?sslmode=require&password=***");
        assert_eq!(redacted("postgres://u:p4ss@h:5432/d"), "postgres://u:***@h:5432/d");
        config.database = "mysql://x".into();
        assert!(config.resolve().err().map(|e| e.to_string()).unwrap_or_default().starts_with("database:"));
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pw");
        std::fs::write(&file, "s3cret\n").unwrap();
        config.database_password_file = Some(file);
        assert_eq!(config.database_password().unwrap().as_deref(), Some("s3cret"));
    }

    #[test]
    fn the_demo_has_one_box_of_600() {
        let resolved = Config::demo(PathBuf::from("x"), 0).resolve().unwrap();
        assert_eq!(expand(&resolved.boxes[0].modules).unwrap().len(), 600);
    }
}
