//! [`RouterError`]: why a router could not write or read its objects.

use thiserror::Error;

/// A router failed.
#[derive(Debug, Error)]
pub enum RouterError {
    /// An object the spec names does not exist.
    #[error("{router}: {kind} {namespace}/{name} not found")]
    NotFound {
        /// The router.
        router: &'static str,
        /// The object's kind.
        kind: &'static str,
        /// Its namespace.
        namespace: String,
        /// Its name.
        name: String,
    },
    /// The API server refused or failed a request.
    #[error("{router}: {source}")]
    Api {
        /// The router.
        router: &'static str,
        /// What the client said.
        #[source]
        source: kube::Error,
    },
    /// An object holds something serin cannot read (a broken annotation).
    #[error("{router}: {message}")]
    Invalid {
        /// The router.
        router: &'static str,
        /// What is wrong, naming the object and field.
        message: String,
    },
}
