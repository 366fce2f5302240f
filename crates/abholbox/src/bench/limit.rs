//! The ceiling a run is measured against: what the same database commits per second with nothing
//! but one-row write transactions, measured before the server starts so nothing competes with it.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail};

/// The database's ceiling, and how many writers reached it.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub commits_per_s: f64,
    pub writers: u32,
}

/// One-row durable commits per second on the database `url` names (SQLite: a scratch file beside it,
/// one writer; PostgreSQL: a scratch table, `connections` clients, as many as the server's pool).
pub async fn measure(url: &str, data_dir: &Path, connections: u32, duration: Duration) -> anyhow::Result<Limit> {
    if url.starts_with("sqlite:") {
        std::fs::create_dir_all(data_dir)?;
        let commits_per_s =
            abholbox_store_sqlite::write_limit(url, duration).await.context("measuring the SQLite write limit")?;
        Ok(Limit { commits_per_s, writers: 1 })
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let password = std::env::var("ABHOLBOX_DATABASE_PASSWORD").ok();
        let writers = connections.max(1);
        let commits_per_s = abholbox_store_postgres::write_limit(url, password.as_deref(), writers, duration)
            .await
            .context("measuring the PostgreSQL write limit")?;
        Ok(Limit { commits_per_s, writers })
    } else {
        bail!("--database: use a sqlite:// or postgres:// URL")
    }
}

/// Refuses what cannot be benched: a database in memory is another one for every connection (and
/// for the server process), a URL of no known kind is no database.
pub fn check_database(url: &str) -> anyhow::Result<()> {
    if url.contains(":memory:") || url.contains("mode=memory") {
        bail!("--database: an in-memory database is not shared with the server; name a file or PostgreSQL");
    }
    if backend_name(url) == "unknown" {
        bail!("--database: use a sqlite:// or postgres:// URL");
    }
    Ok(())
}

/// The name a report gives the database.
pub fn backend_name(url: &str) -> &'static str {
    if url.starts_with("sqlite:") {
        "sqlite"
    } else if url.starts_with("postgres") {
        "postgres"
    } else {
        "unknown"
    }
}
