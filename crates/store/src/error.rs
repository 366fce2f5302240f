use thiserror::Error;

/// A uniqueness rule of the store. Each backend maps its own constraint to these, so nothing above
/// the store reads a database's error text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// A registry reference is used once per site.
    PickupReference,
    /// An active pickup's new-document number is used once per site.
    PickupDocumentNumber,
    /// A compartment holds one document.
    CompartmentHoldsOne,
    /// A session hands over one document at a time.
    OneClaimPerSession,
    /// A staff member's sign-in name is used once.
    StaffName,
    /// A compartment's label is used once per box: a new layout that gives a label to another
    /// compartment meets it when the one holding it was taken into use meanwhile.
    CompartmentLabel,
    /// Ids and token hashes are unique.
    Identity,
}

/// What can go wrong in storage, as far as the use cases need to tell apart.
#[derive(Debug, Error)]
pub enum StoreError {
    /// A uniqueness rule refused the write.
    #[error("conflict with existing data ({0:?})")]
    Conflict(Rule),
    /// Concurrent transactions collided in a way the database resolved by aborting this one (a
    /// deadlock or a serialization failure); doing it again may succeed.
    #[error("the database aborted a concurrent transaction; try again")]
    Retry,
    /// A stored value does not parse back into its domain type: the database was changed by hand or
    /// by a newer version.
    #[error("corrupt stored value in {0}")]
    Corrupt(&'static str),
    /// The database itself failed (I/O, connection, lock timeout).
    #[error("database error: {0}")]
    Database(#[source] Box<dyn std::error::Error + Send + Sync>),
}
