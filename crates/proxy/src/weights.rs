//! The checked stable/canary split. A [`Weights`] value can only be built by a
//! constructor that refuses a set not summing to 100, so the data plane never
//! sees an impossible split.

use thiserror::Error;

/// Buckets a split draw is taken from: weights have 0.01% resolution.
pub const BUCKETS: u16 = 10_000;

/// A stable/canary split in percent, known to sum to 100.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Weights {
    canary: u8,
}

/// Why a set of weights was refused.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum WeightsError {
    /// The weights do not add up to 100.
    #[error("stable + canary must sum to 100, got {stable} + {canary} = {sum}", sum = .stable + .canary)]
    BadSum {
        /// The stable share given.
        stable: u32,
        /// The canary share given.
        canary: u32,
    },
}

impl Weights {
    /// All traffic to stable.
    pub const ALL_STABLE: Weights = Weights { canary: 0 };

    /// Builds a split; refuses one whose parts do not sum to 100.
    pub fn new(stable: u32, canary: u32) -> Result<Weights, WeightsError> {
        if stable.checked_add(canary) != Some(100) {
            return Err(WeightsError::BadSum { stable, canary });
        }
        // canary <= 100 here, so the narrowing is exact.
        let canary = u8::try_from(canary).map_err(|_| WeightsError::BadSum { stable, canary })?;
        Ok(Weights { canary })
    }

    /// The canary share, in percent.
    pub fn canary_percent(self) -> u32 {
        u32::from(self.canary)
    }

    /// The stable share, in percent.
    pub fn stable_percent(self) -> u32 {
        100 - self.canary_percent()
    }

    /// A bucket in `0..BUCKETS` goes to the canary iff it is below this.
    /// Growing the weight only adds buckets, so sticky clients never move back.
    pub fn canary_buckets(self) -> u16 {
        u16::from(self.canary) * (BUCKETS / 100)
    }
}

#[cfg(test)]
mod tests {
    use super::{Weights, WeightsError};

    #[test]
    fn weights_that_do_not_sum_to_100_are_refused() {
        assert_eq!(
            Weights::new(90, 5),
            Err(WeightsError::BadSum {
                stable: 90,
                canary: 5
            })
        );
        assert!(Weights::new(u32::MAX, 2).is_err());
        assert!(Weights::new(0, 101).is_err());
    }

    #[test]
    fn canary_buckets_grow_with_the_canary_weight() {
        assert_eq!(Weights::new(100, 0).map(Weights::canary_buckets), Ok(0));
        assert_eq!(Weights::new(90, 10).map(Weights::canary_buckets), Ok(1000));
        assert_eq!(
            Weights::new(0, 100).map(Weights::canary_buckets),
            Ok(10_000)
        );
    }
}
