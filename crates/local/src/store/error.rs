//! Why the store failed.

/// A failure of the embedded store.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The state directory could not be created.
    #[error("state directory: {0}")]
    Io(String),
    /// The database failed (open, transaction, table, commit).
    #[error("database: {0}")]
    Db(String),
    /// A value could not be encoded.
    #[error("encoding a stored value: {0}")]
    Encode(String),
    /// A stored value could not be read back.
    #[error("decoding a stored value: {0}")]
    Decode(String),
    /// The rollout is not in the store.
    #[error("no rollout named {0:?}")]
    Unknown(String),
}

impl StoreError {
    /// Wraps any redb error.
    pub(crate) fn db(e: impl std::fmt::Display) -> Self {
        Self::Db(e.to_string())
    }
}
