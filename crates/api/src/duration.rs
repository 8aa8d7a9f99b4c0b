//! Durations as written in a spec: `250ms`, `30s`, `5m`, `1h`, `1h30m`, or a
//! whole number of seconds. The raw text is kept so that validation can report
//! every malformed duration of a document at once; [`Duration::parse`] turns it
//! into a [`std::time::Duration`].

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A duration field: an integer (seconds) or a string such as `30s` or `1h30m`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Duration(String);

/// Why a duration did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// The text was empty.
    #[error("is empty; use a number with a unit such as 30s, 5m or 1h")]
    Empty,
    /// The text was not a sequence of `<number><unit>` parts.
    #[error("'{0}' is not a duration; use a number with a unit such as 30s, 5m or 1h")]
    Malformed(String),
    /// The number is too large to represent.
    #[error("'{0}' is too long")]
    Overflow(String),
}

impl Duration {
    /// A duration from its text, unchecked (see [`Duration::parse`]).
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// A duration of whole seconds.
    pub fn from_secs(secs: u64) -> Self {
        Self(format!("{secs}s"))
    }

    /// The text as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Parses the text: a bare integer is seconds, otherwise a sequence of
    /// `<integer><unit>` with the units `ms`, `s`, `m`, `h`.
    pub fn parse(&self) -> Result<std::time::Duration, DurationError> {
        let text = self.0.trim();
        if text.is_empty() {
            return Err(DurationError::Empty);
        }
        if let Ok(secs) = text.parse::<u64>() {
            return Ok(std::time::Duration::from_secs(secs));
        }
        let malformed = || DurationError::Malformed(text.to_string());
        let mut total_ms: u64 = 0;
        let mut rest = text;
        while !rest.is_empty() {
            let digits = rest
                .find(|c: char| !c.is_ascii_digit())
                .ok_or_else(malformed)?;
            if digits == 0 {
                return Err(malformed());
            }
            let number: u64 = rest[..digits]
                .parse()
                .map_err(|_| DurationError::Overflow(text.into()))?;
            rest = &rest[digits..];
            let unit_len = rest
                .find(|c: char| c.is_ascii_digit())
                .unwrap_or(rest.len());
            let factor = match &rest[..unit_len] {
                "ms" => 1,
                "s" => 1_000,
                "m" => 60_000,
                "h" => 3_600_000,
                _ => return Err(malformed()),
            };
            rest = &rest[unit_len..];
            total_ms = number
                .checked_mul(factor)
                .and_then(|ms| total_ms.checked_add(ms))
                .ok_or_else(|| DurationError::Overflow(text.into()))?;
        }
        Ok(std::time::Duration::from_millis(total_ms))
    }

    /// The parsed duration in milliseconds, or `default_ms` when it does not
    /// parse (only an unvalidated spec can hold such a duration).
    pub fn millis_or(&self, default_ms: u64) -> u64 {
        self.parse()
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(default_ms)
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Int(u64),
            Text(String),
        }
        Ok(match Raw::deserialize(deserializer)? {
            Raw::Int(secs) => Self(secs.to_string()),
            Raw::Text(text) => Self(text),
        })
    }
}

impl JsonSchema for Duration {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A duration: whole seconds, or a string such as 250ms, 30s, 5m, 1h, 1h30m.",
            "x-kubernetes-int-or-string": true,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(text: &str) -> Result<u128, DurationError> {
        Duration::new(text).parse().map(|d| d.as_millis())
    }

    #[test]
    fn parses_every_unit_and_combinations() {
        assert_eq!(ms("250ms"), Ok(250));
        assert_eq!(ms("30s"), Ok(30_000));
        assert_eq!(ms("5m"), Ok(300_000));
        assert_eq!(ms("1h"), Ok(3_600_000));
        assert_eq!(ms("1h30m"), Ok(5_400_000));
        assert_eq!(ms("45"), Ok(45_000));
    }

    #[test]
    fn rejects_malformed_text() {
        for bad in ["", "5x", "m5", "1.5h", "-3s", "1h 30m", "s"] {
            assert!(ms(bad).is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn deserializes_integers_as_seconds() {
        let d: Duration = serde_json::from_str("90").expect("int");
        assert_eq!(d.parse().map(|d| d.as_secs()), Ok(90));
    }
}
