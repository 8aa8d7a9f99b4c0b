//! What `serin install` prints: CRDs, RBAC, the controller Deployment and its metrics Service.
