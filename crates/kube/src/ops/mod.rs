//! The controller's own HTTP endpoints: /metrics, /healthz, /readyz.
