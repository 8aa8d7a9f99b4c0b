//! Errors of the fake API server, each rendered as the `Status` object a
//! real API server returns, so the kube client maps it to `kube::Error::Api`.

use serde_json::{Value, json};

use crate::resources::ResourceType;

/// A request the fake refused, with the HTTP code and `Status.reason` it answers with.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    /// The object does not exist (404 NotFound).
    #[error("{resource} \"{name}\" not found")]
    NotFound {
        /// The qualified resource (`replicasets.apps`).
        resource: String,
        /// The object's name.
        name: String,
    },
    /// Create of an object that exists (409 AlreadyExists).
    #[error("{resource} \"{name}\" already exists")]
    AlreadyExists {
        /// The qualified resource.
        resource: String,
        /// The object's name.
        name: String,
    },
    /// A write with a stale `resourceVersion` (409 Conflict).
    #[error(
        "Operation cannot be fulfilled on {resource} \"{name}\": the object has been modified; please apply your changes to the latest version and try again"
    )]
    Conflict {
        /// The qualified resource.
        resource: String,
        /// The object's name.
        name: String,
    },
    /// A write whose `metadata.uid` is not the object's (409 Conflict).
    #[error("{0}")]
    Precondition(String),
    /// A server-side apply that would change fields another manager owns (409 Conflict).
    #[error("{0}")]
    ApplyConflict(String),
    /// A watch from a `resourceVersion` older than the retained history (410 Expired).
    #[error("too old resource version: {requested} ({oldest})")]
    Expired {
        /// The version asked for.
        requested: u64,
        /// The oldest version a watch may start from.
        oldest: u64,
    },
    /// A malformed request (400 BadRequest).
    #[error("{0}")]
    BadRequest(String),
    /// An object that fails the fake's checks (422 Invalid).
    #[error("{0}")]
    Invalid(String),
    /// A verb the resource does not support (405 MethodNotAllowed).
    #[error("the server does not allow this method on the requested resource")]
    MethodNotAllowed,
    /// A content type the fake cannot read (415 UnsupportedMediaType).
    #[error("the body of the request was in an unknown format: {0}")]
    UnsupportedMediaType(String),
    /// A fault injected by the test (any code).
    #[error("injected fault")]
    Injected {
        /// The HTTP code to answer with.
        code: u16,
    },
}

impl ApiError {
    /// The not-found error for `name` of `rt`.
    pub fn not_found(rt: &ResourceType, name: &str) -> Self {
        Self::NotFound {
            resource: rt.qualified(),
            name: name.to_string(),
        }
    }

    /// The HTTP code.
    pub fn code(&self) -> u16 {
        match self {
            Self::NotFound { .. } => 404,
            Self::AlreadyExists { .. }
            | Self::Conflict { .. }
            | Self::ApplyConflict(_)
            | Self::Precondition(_) => 409,
            Self::Expired { .. } => 410,
            Self::BadRequest(_) => 400,
            Self::Invalid(_) => 422,
            Self::MethodNotAllowed => 405,
            Self::UnsupportedMediaType(_) => 415,
            Self::Injected { code } => *code,
        }
    }

    /// The `Status.reason`.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::NotFound { .. } => "NotFound",
            Self::AlreadyExists { .. } => "AlreadyExists",
            Self::Conflict { .. } | Self::ApplyConflict(_) | Self::Precondition(_) => "Conflict",
            Self::Expired { .. } => "Expired",
            Self::BadRequest(_) => "BadRequest",
            Self::Invalid(_) => "Invalid",
            Self::MethodNotAllowed => "MethodNotAllowed",
            Self::UnsupportedMediaType(_) => "UnsupportedMediaType",
            Self::Injected { code } => reason_for_code(*code),
        }
    }

    /// The `Status` object (kind Status, status Failure, reason, code).
    pub fn status(&self) -> Value {
        json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.to_string(),
            "reason": self.reason(),
            "code": self.code(),
        })
    }
}

fn reason_for_code(code: u16) -> &'static str {
    match code {
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        409 => "Conflict",
        410 => "Expired",
        422 => "Invalid",
        429 => "TooManyRequests",
        503 => "ServiceUnavailable",
        504 => "Timeout",
        _ => "InternalError",
    }
}
