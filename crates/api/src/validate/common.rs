//! Rules shared by every resource: names, durations, ranges, and the wording
//! of "exactly one of" errors.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::{Errors, Path};
use crate::Duration;

/// The longest DNS-1123 subdomain.
const DNS1123_SUBDOMAIN_MAX: usize = 253;

/// `metadata.name` is present and a DNS-1123 subdomain.
pub(crate) fn check_metadata_name(meta: &ObjectMeta, errors: &mut Errors) {
    let path = Path::root().field("metadata").field("name");
    match meta.name.as_deref() {
        None | Some("") => errors.push(&path, "is required"),
        Some(name) => check_dns_name(name, &path, errors),
    }
}

/// `name` is a DNS-1123 subdomain: lowercase letters, digits, `-` and `.`,
/// starting and ending with a letter or digit, at most 253 characters.
pub(crate) fn check_dns_name(name: &str, path: &Path, errors: &mut Errors) {
    if !is_dns1123_subdomain(name) {
        errors.push(
            path,
            format!(
                "'{name}' is not a valid DNS-1123 name (lowercase letters, digits, '-' and '.', \
                 starting and ending with a letter or digit, at most {DNS1123_SUBDOMAIN_MAX} characters)"
            ),
        );
    }
}

/// Whether `name` is a DNS-1123 subdomain.
pub(crate) fn is_dns1123_subdomain(name: &str) -> bool {
    let alnum = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    !name.is_empty()
        && name.len() <= DNS1123_SUBDOMAIN_MAX
        && name.chars().all(|c| alnum(c) || c == '-' || c == '.')
        && name.starts_with(alnum)
        && name.ends_with(alnum)
}

/// A set duration parses.
pub(crate) fn check_duration(duration: Option<&Duration>, path: &Path, errors: &mut Errors) {
    if let Some(Err(e)) = duration.map(Duration::parse) {
        errors.push(path, e.to_string());
    }
}

/// `value` is within `min..=max`.
pub(crate) fn check_range(value: i64, min: i64, max: i64, path: &Path, errors: &mut Errors) {
    if value < min {
        errors.push(path, format!("{value} is below {min}"));
    } else if value > max {
        errors.push(path, format!("{value} is above {max}"));
    }
}

/// A set value is not negative.
pub(crate) fn check_non_negative(value: Option<i32>, path: &Path, errors: &mut Errors) {
    if let Some(v) = value.filter(|v| *v < 0) {
        errors.push(path, format!("{v} is negative"));
    }
}

/// Exactly one of `all` is among `set`; `what` names the object (`a step`).
pub(crate) fn check_exactly_one(
    set: &[&str],
    all: &[&str],
    what: &str,
    path: &Path,
    errors: &mut Errors,
) {
    match set.len() {
        0 => errors.push(
            path,
            format!("is empty; {what} has exactly one of {}", join_or(all)),
        ),
        1 => {}
        _ => errors.push(
            path,
            format!("has {}; {what} has exactly one", join_and(set)),
        ),
    }
}

/// `a`, `a and b`, `a, b and c`.
pub(crate) fn join_and(names: &[&str]) -> String {
    join(names, "and")
}

/// `a`, `a or b`, `a, b or c`.
pub(crate) fn join_or(names: &[&str]) -> String {
    join(names, "or")
}

fn join(names: &[&str], word: &str) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} {word} {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_names_follow_rfc_1123() {
        for good in ["web", "web-1", "a.b.c", "0abc"] {
            assert!(is_dns1123_subdomain(good), "{good}");
        }
        for bad in ["", "Web", "-web", "web-", "web_1", "a b", &"a".repeat(254)] {
            assert!(!is_dns1123_subdomain(bad), "{bad}");
        }
    }

    #[test]
    fn lists_are_joined_in_english() {
        assert_eq!(join_and(&["a"]), "a");
        assert_eq!(join_and(&["a", "b"]), "a and b");
        assert_eq!(join_or(&["a", "b", "c"]), "a, b or c");
    }
}
