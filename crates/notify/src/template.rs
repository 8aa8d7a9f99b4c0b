//! Message templates: text with `{placeholder}`s filled from an [`Event`].
//! The placeholders are `{rollout}`, `{namespace}`, `{event}`,
//! `{severity}`, `{message}`, `{revision}`, `{step}`, `{weight}` and
//! `{time}`; `{{` and `}}` stand for literal braces. A value the event does
//! not have (no revision, no step) is written `-`. An unknown placeholder
//! or an unclosed brace is refused when the template is read.

use crate::event::{Event, reason_name};

/// The template used when a sink gives none.
pub const DEFAULT: &str = "[{namespace}/{rollout}] {event}: {message}";

/// A value a template can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Rollout,
    Namespace,
    Event,
    Severity,
    Message,
    Revision,
    Step,
    Weight,
    Time,
}

/// Every placeholder, as written, with its field.
const FIELDS: [(&str, Field); 9] = [
    ("rollout", Field::Rollout),
    ("namespace", Field::Namespace),
    ("event", Field::Event),
    ("severity", Field::Severity),
    ("message", Field::Message),
    ("revision", Field::Revision),
    ("step", Field::Step),
    ("weight", Field::Weight),
    ("time", Field::Time),
];

/// Why a template was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// A placeholder that is not one of those listed above.
    #[error(
        "unknown placeholder {{{0}}}; known: {{rollout}}, {{namespace}}, {{event}}, {{severity}}, {{message}}, {{revision}}, {{step}}, {{weight}}, {{time}}"
    )]
    Unknown(String),
    /// A `{` without its `}`.
    #[error("unclosed '{{' at byte {0}; write {{{{ for a literal brace")]
    Unclosed(usize),
    /// A `}` with no `{` before it.
    #[error("unmatched '}}' at byte {0}; write }}}} for a literal brace")]
    Unmatched(usize),
}

/// One piece of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Field(Field),
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

impl Template {
    /// Parses `text`.
    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut chars = text.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            match c {
                '{' if chars.peek().map(|p| p.1) == Some('{') => {
                    chars.next();
                    literal.push('{');
                }
                '}' if chars.peek().map(|p| p.1) == Some('}') => {
                    chars.next();
                    literal.push('}');
                }
                '}' => return Err(TemplateError::Unmatched(at)),
                '{' => {
                    let rest = &text[at + 1..];
                    let end = rest.find('}').ok_or(TemplateError::Unclosed(at))?;
                    let name = &rest[..end];
                    let field = FIELDS
                        .iter()
                        .find(|(n, _)| *n == name)
                        .map(|(_, f)| *f)
                        .ok_or_else(|| TemplateError::Unknown(name.to_owned()))?;
                    if !literal.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut literal)));
                    }
                    parts.push(Part::Field(field));
                    while chars.peek().is_some_and(|(i, _)| *i <= at + 1 + end) {
                        chars.next();
                    }
                }
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            parts.push(Part::Text(literal));
        }
        Ok(Self { parts })
    }

    /// The text for `event`.
    pub fn render(&self, event: &Event) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Field(f) => out.push_str(&value(*f, event)),
            }
        }
        out
    }
}

impl Default for Template {
    fn default() -> Self {
        Self::parse(DEFAULT).unwrap_or(Self { parts: Vec::new() })
    }
}

/// The value of `field` for `event`.
fn value(field: Field, event: &Event) -> String {
    let or_dash = |v: Option<String>| v.unwrap_or_else(|| "-".to_owned());
    match field {
        Field::Rollout => event.rollout.clone(),
        Field::Namespace => event.namespace.clone(),
        Field::Event => reason_name(event.reason),
        Field::Severity => event.severity().to_owned(),
        Field::Message => event.message.clone(),
        Field::Revision => or_dash(event.revision.clone()),
        Field::Step => or_dash(event.step.map(|s| s.to_string())),
        Field::Weight => or_dash(event.weight.map(|w| w.to_string())),
        Field::Time => event.time.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serin_engine::EventReason;

    fn event() -> Event {
        Event::new(
            EventReason::StepCompleted,
            "web",
            "default",
            "step 1/4 done",
            jiff::Timestamp::UNIX_EPOCH,
        )
        .with_revision(Some("v2".into()))
    }

    #[test]
    fn placeholders_are_filled_and_missing_values_are_a_dash() {
        let t =
            Template::parse("{rollout}@{revision} step {step} {weight}%: {event} {{ok}}").unwrap();
        assert_eq!(t.render(&event()), "web@v2 step - -%: StepCompleted {ok}");
    }

    #[test]
    fn an_unknown_placeholder_is_refused_by_name() {
        let err = Template::parse("{rollout} {versoin}").unwrap_err();
        assert_eq!(err, TemplateError::Unknown("versoin".into()));
        assert!(err.to_string().starts_with("unknown placeholder {versoin}"));
    }

    #[test]
    fn unbalanced_braces_are_refused() {
        assert_eq!(
            Template::parse("a {rollout").unwrap_err(),
            TemplateError::Unclosed(2)
        );
        assert_eq!(
            Template::parse("a } b").unwrap_err(),
            TemplateError::Unmatched(2)
        );
    }

    #[test]
    fn the_default_template_names_rollout_event_and_message() {
        assert_eq!(
            Template::default().render(&event()),
            "[default/web] StepCompleted: step 1/4 done"
        );
    }
}
