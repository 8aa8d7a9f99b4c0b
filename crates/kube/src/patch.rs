//! JSON patches (RFC 6902) written as JSON values.

/// The patch `ops` (a JSON array of operations) describes.
///
/// # Errors
/// `ops` is not an array of valid operations.
pub fn json(ops: serde_json::Value) -> Result<json_patch::Patch, serde_json::Error> {
    serde_json::from_value(ops)
}
