//! The proxy's error type: everything the library can refuse or fail at.

use std::net::SocketAddr;
use std::path::PathBuf;

use thiserror::Error;

use crate::arm::Arm;
use crate::policy::TableError;

/// Errors from loading configuration, changing routing, or serving.
#[derive(Debug, Error)]
pub enum ProxyError {
    /// The config file could not be read.
    #[error("cannot read config {path}: {source}")]
    ReadConfig {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The config file is not well-formed YAML for [`crate::ProxyConfig`].
    #[error("cannot parse config: {0}")]
    ParseConfig(String),
    /// The config parsed but a value is wrong; the field path is in the message.
    #[error("invalid config: {0}")]
    InvalidConfig(TableError),
    /// A routing table was refused; the routing in effect is unchanged.
    #[error("invalid routing table: {0}")]
    InvalidTable(#[from] TableError),
    /// No listener has this name.
    #[error("no listener named {0:?}")]
    UnknownListener(String),
    /// The arm is not defined on the listener.
    #[error("arm {arm} is not defined on listener {listener:?}")]
    UndefinedArm {
        /// The listener.
        listener: String,
        /// The arm asked for.
        arm: Arm,
    },
    /// A socket could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The admin API would listen beyond loopback without a bearer token.
    #[error(
        "admin.listen {0} is not a loopback address, so a bearer token is required (admin.tokenFile or the admin.tokenEnv variable)"
    )]
    AdminTokenRequired(SocketAddr),
    /// The admin token file could not be read or is empty.
    #[error("cannot read admin token from {path}: {reason}")]
    TokenFile {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// Draining an arm did not reach zero in-flight requests in time.
    #[error("drain of {arm} on {listener:?} timed out with {in_flight} requests still in flight")]
    DrainTimeout {
        /// The listener.
        listener: String,
        /// The arm being drained.
        arm: Arm,
        /// Requests still in flight at the deadline.
        in_flight: u64,
    },
}
