//! The checks the API server makes on every object whatever its kind: the
//! name (a DNS-1123 subdomain; a DNS-1035 label for Services), label keys
//! and values, at most one controller owner reference, and no new
//! finalizers on an object being deleted. Failures are 422 Invalid, as on a real cluster, so a
//! controller that builds a bad name or label fails here too.

use serde_json::Value;

use crate::error::ApiError;
use crate::resources::ResourceType;

fn alnum(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

/// A DNS-1123 subdomain: at most 253 of `[a-z0-9.-]`, starting and ending alphanumeric.
pub fn is_dns_subdomain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.chars().all(|c| alnum(c) || c == '-' || c == '.')
        && s.starts_with(alnum)
        && s.ends_with(alnum)
}

/// A DNS-1035 label: at most 63 of `[a-z0-9-]`, starting with a letter, ending alphanumeric.
pub fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.chars().all(|c| alnum(c) || c == '-')
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.ends_with(alnum)
}

fn label_part(s: &str) -> bool {
    let ok = |c: char| c.is_ascii_alphanumeric();
    s.len() <= 63
        && s.chars().all(|c| ok(c) || "-_.".contains(c))
        && (s.is_empty() || (s.starts_with(ok) && s.ends_with(ok)))
}

/// A label key: `[prefix/]name`, the prefix a DNS subdomain, the name at most 63 characters.
pub fn is_label_key(s: &str) -> bool {
    let (prefix, name) = s.rsplit_once('/').map_or((None, s), |(p, n)| (Some(p), n));
    prefix.is_none_or(is_dns_subdomain) && !name.is_empty() && label_part(name)
}

/// A label value: empty, or at most 63 of `[A-Za-z0-9_.-]` starting and ending alphanumeric.
pub fn is_label_value(s: &str) -> bool {
    label_part(s)
}

/// Check an object's name and labels before it is stored.
pub fn object(rt: &ResourceType, object: &Value) -> Result<(), ApiError> {
    let name = object
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("");
    let name_ok = if rt.kind == "Service" {
        is_dns_label(name)
    } else {
        is_dns_subdomain(name)
    };
    let invalid =
        |what: String| ApiError::Invalid(format!("{} \"{name}\" is invalid: {what}", rt.kind));
    if !name_ok {
        return Err(invalid(format!(
            "metadata.name: Invalid value: \"{name}\": must be a lowercase RFC 1123 name"
        )));
    }
    let labels = object
        .pointer("/metadata/labels")
        .and_then(Value::as_object);
    for (key, value) in labels.into_iter().flatten() {
        let Some(value) = value.as_str() else {
            return Err(invalid(format!("metadata.labels: {key} is not a string")));
        };
        if !is_label_key(key) {
            return Err(invalid(format!(
                "metadata.labels: Invalid value: \"{key}\": name part must be 63 characters or less of [A-Za-z0-9_.-]"
            )));
        }
        if !is_label_value(value) {
            return Err(invalid(format!(
                "metadata.labels: Invalid value: \"{value}\": a valid label must be an empty string or 63 characters or less of [A-Za-z0-9_.-], starting and ending alphanumeric"
            )));
        }
    }
    let controllers = object
        .pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .map_or(0, |refs| {
            refs.iter()
                .filter(|r| r.get("controller") == Some(&Value::Bool(true)))
                .count()
        });
    if controllers > 1 {
        return Err(invalid(
            "metadata.ownerReferences: Invalid value: only one reference can have Controller set to true".into(),
        ));
    }
    Ok(())
}

/// A write to an object being deleted may remove finalizers, not add them.
pub fn no_new_finalizers(rt: &ResourceType, old: &Value, new: &Value) -> Result<(), ApiError> {
    let list = |v: &Value| -> Vec<String> {
        v.pointer("/metadata/finalizers")
            .and_then(Value::as_array)
            .map(|f| {
                f.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    let before = list(old);
    if list(new).iter().any(|f| !before.contains(f)) {
        let name = new
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("");
        return Err(ApiError::Invalid(format!(
            "{} \"{name}\" is invalid: metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted",
            rt.kind
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_labels_follow_the_api_server_rules() {
        assert!(is_dns_subdomain("web-7c9f.v2"));
        assert!(!is_dns_subdomain("Web"));
        assert!(!is_dns_subdomain("-web"));
        assert!(!is_dns_subdomain(&"a".repeat(254)));
        assert!(is_dns_label("web-1"));
        assert!(!is_dns_label("1web"));
        assert!(is_label_key("serin.dev/rollouts-pod-template-hash"));
        assert!(is_label_key("app"));
        assert!(!is_label_key("bad/key/x"));
        assert!(is_label_value(""));
        assert!(!is_label_value(&"a".repeat(64)));
        assert!(!is_label_value("-a"));
    }
}
