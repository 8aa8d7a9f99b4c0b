//! AND groups of conditions on a request (headers, cookies, method, path):
//! checking a plain [`Condition`] list into a [`CheckedGroup`] with exact
//! field paths on errors, and evaluating a group against [`RequestFacts`].

use http::HeaderName;

use crate::cookie::cookie_value;
use crate::decide::RequestFacts;
use crate::matcher::ValueMatcher;
use crate::policy::{TableError, check_matcher, is_token};
use crate::table::{Condition, RequestPart};

/// What a checked condition looks at.
#[derive(Clone, Debug)]
enum Subject {
    Header(HeaderName),
    Cookie(String),
    Method,
    Path,
}

/// One checked condition.
#[derive(Clone, Debug)]
struct CheckedCondition {
    subject: Subject,
    matcher: ValueMatcher,
}

impl CheckedCondition {
    fn holds(&self, req: &RequestFacts<'_>) -> bool {
        match &self.subject {
            Subject::Header(name) => req
                .headers
                .get_all(name)
                .iter()
                .any(|v| self.matcher.matches(v.as_bytes())),
            Subject::Cookie(name) => {
                cookie_value(req.headers, name).is_some_and(|v| self.matcher.matches(v))
            }
            Subject::Method => self.matcher.matches(req.method.as_str().as_bytes()),
            Subject::Path => self.matcher.matches(req.path.as_bytes()),
        }
    }
}

/// Conditions that must all hold; never empty.
#[derive(Clone, Debug)]
pub(crate) struct CheckedGroup(Vec<CheckedCondition>);

impl CheckedGroup {
    /// Checks `all`, found at `field` (e.g. `routes.matchRoutes[0]`).
    pub(crate) fn check(field: &str, all: &[Condition]) -> Result<CheckedGroup, TableError> {
        if all.is_empty() {
            return Err(TableError::new(
                format!("{field}.all"),
                "needs at least one condition",
            ));
        }
        all.iter()
            .enumerate()
            .map(|(i, c)| check_condition(&format!("{field}.all[{i}]"), c))
            .collect::<Result<Vec<_>, _>>()
            .map(CheckedGroup)
    }

    /// Whether every condition holds for this request.
    pub(crate) fn holds(&self, req: &RequestFacts<'_>) -> bool {
        self.0.iter().all(|c| c.holds(req))
    }
}

fn check_condition(field: &str, c: &Condition) -> Result<CheckedCondition, TableError> {
    let subject = match (&c.header, &c.cookie, c.request) {
        (Some(h), None, None) => HeaderName::from_bytes(h.as_bytes())
            .map(Subject::Header)
            .map_err(|_| {
                TableError::new(
                    format!("{field}.header"),
                    format!("{h:?} is not a valid header name"),
                )
            })?,
        (None, Some(name), None) => {
            if !is_token(name) {
                return Err(TableError::new(
                    format!("{field}.cookie"),
                    format!("{name:?} is not a valid cookie name"),
                ));
            }
            Subject::Cookie(name.clone())
        }
        (None, None, Some(RequestPart::Method)) => Subject::Method,
        (None, None, Some(RequestPart::Path)) => Subject::Path,
        _ => {
            return Err(TableError::new(
                field,
                "exactly one of header, cookie or request is required",
            ));
        }
    };
    let matcher = check_matcher(field, &c.exact, &c.prefix, &c.regex)?;
    Ok(CheckedCondition { subject, matcher })
}
