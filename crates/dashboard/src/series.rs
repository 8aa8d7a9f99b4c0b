//! The bounded time series the charts draw: per rollout, one [`Point`] per
//! sample with each arm's numbers (request rate, error rate, p99), the
//! oldest dropped past a fixed count.

use std::collections::{BTreeMap, VecDeque};

use serde::Serialize;
use serin_view::ArmNumbers;

/// One sample of a rollout's arms.
#[derive(Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Point {
    /// When, in milliseconds since the Unix epoch.
    pub t: u64,
    /// Each arm's numbers then (the version is in each).
    pub arms: Vec<ArmNumbers>,
}

/// The series of every rollout, each at most `capacity` points long.
#[derive(Debug)]
pub struct Series {
    capacity: usize,
    by_rollout: BTreeMap<String, VecDeque<Point>>,
}

impl Series {
    /// Empty, keeping at most `capacity` points per rollout (at least one).
    pub fn new(capacity: usize) -> Series {
        Series {
            capacity: capacity.max(1),
            by_rollout: BTreeMap::new(),
        }
    }

    /// Adds a point to `rollout`'s series, dropping the oldest when full.
    pub fn push(&mut self, rollout: &str, point: Point) {
        let s = self.by_rollout.entry(rollout.to_owned()).or_default();
        while s.len() >= self.capacity {
            s.pop_front();
        }
        s.push_back(point);
    }

    /// `rollout`'s points, oldest first.
    pub fn points(&self, rollout: &str) -> Vec<Point> {
        self.by_rollout
            .get(rollout)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Forgets the rollouts not in `keep`.
    pub fn retain(&mut self, keep: &[&str]) {
        self.by_rollout
            .retain(|name, _| keep.contains(&name.as_str()));
    }
}

#[cfg(test)]
mod tests {
    use super::{Point, Series};

    fn point(t: u64) -> Point {
        Point { t, arms: vec![] }
    }

    #[test]
    fn a_full_series_drops_its_oldest_point() {
        let mut s = Series::new(3);
        for t in 1..=5 {
            s.push("web", point(t));
        }
        let ts: Vec<u64> = s.points("web").iter().map(|p| p.t).collect();
        assert_eq!(ts, vec![3, 4, 5]);
    }

    #[test]
    fn series_of_rollouts_are_kept_apart_and_forgotten_when_gone() {
        let mut s = Series::new(10);
        s.push("web", point(1));
        s.push("api", point(2));
        assert_eq!(s.points("api").len(), 1);
        s.retain(&["web"]);
        assert!(s.points("api").is_empty());
        assert_eq!(s.points("web").len(), 1);
    }
}
