//! The judge as the analysis runner stores it: a measurement's value holds
//! the judge's state as JSON, and each measurement resumes from the previous
//! one's value, so a restarted controller loses no evidence.

use crate::measure::Outcome;

use super::SequentialJudge;
use super::config::JudgeConfig;
use super::errors::StateError;

impl SequentialJudge {
    /// The judge of a metric whose latest measurement held `previous` (a
    /// fresh judge when there is none). An unreadable state is an error, not
    /// a fresh start: starting over after a near-failure would weaken the
    /// alpha guarantee.
    pub fn resume(previous: Option<&str>, config: JudgeConfig) -> Result<Self, StateError> {
        match previous {
            None => Ok(Self::new(config)),
            Some(value) => serde_json::from_str(value).map_err(StateError::Unreadable),
        }
    }

    /// The state as a measurement's value.
    pub fn to_value(&self) -> Result<String, StateError> {
        serde_json::to_string(self).map_err(StateError::Unwritable)
    }

    /// The measurement's outcome: the verdict as a phase, the state as the
    /// value, and the message.
    pub fn outcome(&self) -> Outcome {
        match self.to_value() {
            Ok(value) => Outcome::Judged {
                phase: self.verdict().phase(),
                value,
                message: self.message(),
            },
            Err(e) => Outcome::Error(e.to_string()),
        }
    }
}
