//! `abholbox bench fill`: a city's years of history in the database — sites with their boxes, and
//! collected pickups with their events and audit entries, personal data erased as after a real
//! hand-over — so that the bench can show what a full database costs.

use std::path::PathBuf;

use abholbox_core::document::DocumentKind;
use abholbox_core::ids::{BoxId, PickupId, SiteId};
use abholbox_core::language::Language;
use abholbox_core::personal::ThirdFactor;
use abholbox_core::pickup::PickupStatus;
use abholbox_store::{NewAuditEntry, NewEvent, PersonalRecord, PickupRecord, Sealed, Tx};
use anyhow::{Context, bail};
use chrono::{DateTime, Duration, Utc};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

use super::server;
use crate::config::{BoxConfig, PanelConfig, SiteConfig};

/// The options of `abholbox bench fill`.
#[derive(Args, Debug)]
pub struct FillArgs {
    /// Past pickups to write.
    #[arg(long, default_value_t = 1_000_000)]
    pickups: u64,
    /// Sites (citizens' offices), each with a box of 600 compartments.
    #[arg(long, default_value_t = 50)]
    sites: u32,
    /// The data directory to fill; `abholbox bench --data-dir` then runs on it.
    #[arg(long)]
    data_dir: PathBuf,
    /// The database (default: SQLite in the data directory); `postgres://…` for PostgreSQL.
    #[arg(long)]
    database: Option<String>,
}

/// Pickups written per transaction.
const BATCH: u64 = 2_000;
/// How far back the history goes, in days: within the year that retention keeps by default (the
/// last pickups end some weeks later than they start), so all of them stay a running server's
/// history.
const HISTORY_DAYS: i64 = 330;

pub async fn run(args: FillArgs) -> anyhow::Result<i32> {
    if args.sites == 0 || args.sites > 999 {
        bail!("--sites: 1 to 999");
    }
    if let Some(url) = &args.database {
        super::limit::check_database(url)?;
    }
    let (mut config, _) = server::configure(&args.data_dir, args.database.as_deref(), 1)?;
    for s in 1..=args.sites {
        config.sites.push(SiteConfig {
            id: site(s)?.to_string(),
            name: format!("Bürgerbüro {s}"),
            address: format!("Rathausplatz {s}, 40200 Düsseldorf"),
            time_zone: "Europe/Berlin".into(),
            opening_hours: Some("Mo-Fr 08:00-16:00; PH off".into()),
            holiday_state: "NW".into(),
            open_24_7: false,
            four_eyes: false,
            counter_phone: None,
            pin_letter_kinds: Vec::new(),
            sms_quiet_hours: None,
        });
        config.boxes.push(BoxConfig {
            serial: None,
            id: box_of(s)?.to_string(),
            site: site(s)?.to_string(),
            name: format!("Ausgabebox {s}"),
            driver: "simulated".into(),
            modules: abholbox_core::layout::default_modules(),
            panels: vec![PanelConfig { id: "panel-1".into(), reader_slot: 1 }],
        });
    }
    let (_, store) = crate::offline_service(&config, crate::Setup::Never).await?;
    let first = box_of(1)?;
    if store.boxes().await?.iter().any(|b| b.id == first) {
        store.close().await;
        bail!(
            "{} is filled already: fill a new directory (and, on PostgreSQL, an empty database)",
            args.data_dir.display()
        );
    }
    store.close().await;
    let (service, store) = crate::offline_service(&config, crate::Setup::Always).await?;
    let progress = ProgressBar::new(args.pickups);
    progress.set_style(ProgressStyle::with_template("{bar:40} {pos}/{len} past pickups, {per_sec}, {eta} left")?);
    let now = Utc::now();
    let span = Duration::days(HISTORY_DAYS);
    let filled = async {
        let mut n = 0;
        while n < args.pickups {
            let end = (n + BATCH).min(args.pickups);
            let mut tx = store.begin().await?;
            for i in n..end {
                let offset = span.num_seconds() * i64::try_from(i)? / i64::try_from(args.pickups)?;
                let created = now - span + Duration::seconds(offset);
                write_pickup(tx.as_mut(), i, args.sites, created).await?;
            }
            tx.commit().await?;
            progress.inc(end - n);
            n = end;
        }
        // Chained and retained here, as a running server would have done day by day, rather than by
        // the bench's server while it is measured.
        service.chain_audit().await?;
        service.apply_retention().await?;
        anyhow::Ok(())
    }
    .await;
    progress.finish_and_clear();
    store.close().await;
    filled.context("filling the database")?;
    println!(
        "filled {}: {} past pickups across {} sites, as `abholbox bench --data-dir {}` finds them",
        config.database_url().split('?').next().unwrap_or_default(),
        args.pickups,
        args.sites,
        args.data_dir.display()
    );
    Ok(0)
}

fn site(s: u32) -> anyhow::Result<SiteId> {
    Ok(SiteId::parse(&format!("fill-{s:03}"))?)
}

fn box_of(s: u32) -> anyhow::Result<BoxId> {
    Ok(BoxId::parse(&format!("fill-{s:03}-a"))?)
}

/// One collected pickup with the history the service writes for it: registered, loaded, claimed at
/// the kiosk, the old document kept (every other one), handed over; personal data erased.
async fn write_pickup(tx: &mut dyn Tx, n: u64, sites: u32, created: DateTime<Utc>) -> anyhow::Result<()> {
    let s = u32::try_from(n % u64::from(sites))? + 1;
    let seconds = u64::try_from(created.timestamp()).unwrap_or_default();
    let id = PickupId::from_random((u128::from(n) << 64 | u128::from(seconds)).to_be_bytes());
    let (site_id, box_id) = (site(s)?, box_of(s)?);
    let old_document = n.is_multiple_of(2);
    let ready = created + Duration::days(14);
    let collected = ready + Duration::hours(i64::try_from(n % 200)? + 2);
    let pickup = PickupRecord {
        id: id.clone(),
        reference: format!("FILL-{n}"),
        site: site_id,
        document_kind: if n.is_multiple_of(3) { DocumentKind::Passport } else { DocumentKind::IdCard },
        document_number: None,
        third_factor: if old_document { ThirdFactor::OldDocument } else { ThirdFactor::BirthDate },
        language: Language::De,
        low_compartment: false,
        status: PickupStatus::Collected,
        box_id: Some(box_id.clone()),
        compartment: None,
        locked: false,
        failed_pin_attempts: 0,
        failed_third_factor_attempts: 0,
        claimed_by: None,
        claimed_at: Some(collected - Duration::seconds(40)),
        door_opened_at: None,
        phone_hash: None,
        pin: None,
        ready_at: Some(ready),
        deadline: Some(ready + Duration::days(10)),
        collected_at: Some(collected),
        withdrawal_started_at: None,
        attention: None,
        handled_by: None,
        created_at: created,
        updated_at: collected,
        version: 6,
    };
    // Erased right after, as after a real hand-over: what it held does not matter.
    let personal = PersonalRecord { pickup: id.clone(), sealed: Sealed { key_id: "data-1".into(), bytes: Vec::new() } };
    tx.insert_pickup(&pickup, &personal).await?;
    tx.erase_personal_data(&id, None).await?;
    let mut history = vec![
        ("registered", created, "awaiting_deposit"),
        ("deposit_started", ready - Duration::minutes(1), "depositing"),
        ("deposit_completed", ready, "ready"),
        ("claimed", collected - Duration::seconds(40), "ready"),
    ];
    if old_document {
        history.push(("old_document_kept", collected - Duration::seconds(35), "ready"));
    }
    history.push(("handed_over", collected, "collected"));
    for (kind, at, status) in history {
        tx.append_event(&NewEvent { pickup: id.clone(), kind, at, data: json!({ "status": status }) }).await?;
        let entry = NewAuditEntry {
            at,
            actor: format!("box:{box_id}"),
            action: kind,
            object: id.to_string(),
            detail: json!({ "status": status }),
        };
        tx.append_audit(&entry).await?;
    }
    Ok(())
}
