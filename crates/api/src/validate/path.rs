//! The field path of a validation error, written the way a person finds the
//! field in YAML: `spec.strategy.canary.steps[3].setWeight`.

use std::fmt;

/// A path from the root of a document to one field. Cheap to extend: every
/// builder method returns a new path and leaves `self` untouched.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Path(String);

impl Path {
    /// The root of the document (displayed as an empty string).
    pub fn root() -> Self {
        Self(String::new())
    }

    /// This path followed by the field `name`.
    pub fn field(&self, name: &str) -> Self {
        if self.0.is_empty() {
            Self(name.to_string())
        } else {
            Self(format!("{}.{name}", self.0))
        }
    }

    /// This path followed by the list index `index`.
    pub fn index(&self, index: usize) -> Self {
        Self(format!("{}[{index}]", self.0))
    }

    /// This path followed by the map key `key` (`headers[x-user]`).
    pub fn key(&self, key: &str) -> Self {
        Self(format!("{}[{key}]", self.0))
    }

    /// The path as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_indexes_render_like_yaml_paths() {
        let path = Path::root()
            .field("spec")
            .field("steps")
            .index(3)
            .field("setWeight");
        assert_eq!(path.to_string(), "spec.steps[3].setWeight");
        assert_eq!(
            Path::root().field("m").key("x-user").to_string(),
            "m[x-user]"
        );
    }
}
