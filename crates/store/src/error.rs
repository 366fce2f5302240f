use thiserror::Error;

/// What can go wrong in storage, as far as the use cases need to tell apart.
#[derive(Debug, Error)]
pub enum StoreError {
    /// A uniqueness rule refused the write; names the rule (e.g. `pickups_reference`).
    #[error("conflict with existing data ({0})")]
    Conflict(&'static str),
    /// A stored value does not parse back into its domain type: the database was changed by hand or
    /// by a newer version.
    #[error("corrupt stored value in {0}")]
    Corrupt(&'static str),
    /// The database itself failed (I/O, connection, lock timeout).
    #[error("database error: {0}")]
    Database(#[source] Box<dyn std::error::Error + Send + Sync>),
}
