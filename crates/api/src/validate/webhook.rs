//! Rules of a Rollout's webhooks: unique non-empty names, an `http://` or
//! `https://` URL, a timeout that parses, and retries that are not negative.

use super::common::{check_duration, check_non_negative};
use super::{Errors, Path};
use crate::webhook::Webhook;

/// Every rule of `webhooks` at `path` (`spec.webhooks`).
pub(crate) fn check(webhooks: &[Webhook], path: &Path, errors: &mut Errors) {
    for (i, hook) in webhooks.iter().enumerate() {
        let hook_path = path.index(i);
        if hook.name.trim().is_empty() {
            errors.push(&hook_path.field("name"), "is empty");
        } else if let Some(first) = webhooks[..i].iter().position(|w| w.name == hook.name) {
            errors.push(
                &hook_path.field("name"),
                format!("'{}' is already the name of webhooks[{first}]", hook.name),
            );
        }
        if !(hook.url.starts_with("http://") || hook.url.starts_with("https://")) {
            errors.push(
                &hook_path.field("url"),
                format!("'{}' is not an http:// or https:// URL", hook.url),
            );
        }
        check_duration(hook.timeout.as_ref(), &hook_path.field("timeout"), errors);
        check_non_negative(hook.retries, &hook_path.field("retries"), errors);
    }
}
