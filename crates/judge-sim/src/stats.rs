//! Small statistics for the benchmark: the Mann-Whitney U test and
//! quantiles of samples.

use statrs::distribution::{ContinuousCDF, Normal};

/// One-sided p-value of the Mann-Whitney U test that `a` tends to be larger
/// than `b`: normal approximation with continuity and tie corrections.
/// `None` when a sample is empty or every value is tied.
pub fn mann_whitney_greater(a: &[f64], b: &[f64]) -> Option<f64> {
    let (n1, n2) = (a.len() as f64, b.len() as f64);
    if a.is_empty() || b.is_empty() {
        return None;
    }
    let mut all: Vec<(f64, bool)> = a
        .iter()
        .map(|&x| (x, true))
        .chain(b.iter().map(|&x| (x, false)))
        .collect();
    all.sort_by(|x, y| x.0.total_cmp(&y.0));
    let n = all.len();
    let (mut rank_sum_a, mut tie_term, mut i) = (0.0, 0.0, 0);
    while i < n {
        let mut j = i;
        while j + 1 < n && all[j + 1].0 == all[i].0 {
            j += 1;
        }
        let mid_rank = (i + j) as f64 / 2.0 + 1.0;
        let ties = (j - i + 1) as f64;
        tie_term += ties * ties * ties - ties;
        rank_sum_a += mid_rank * all[i..=j].iter().filter(|x| x.1).count() as f64;
        i = j + 1;
    }
    let u = rank_sum_a - n1 * (n1 + 1.0) / 2.0;
    let total = n1 + n2;
    let var = n1 * n2 / 12.0 * ((total + 1.0) - tie_term / (total * (total - 1.0)));
    if var <= 0.0 {
        return None;
    }
    let z = (u - n1 * n2 / 2.0 - 0.5) / var.sqrt();
    let normal = Normal::standard();
    Some(1.0 - normal.cdf(z))
}

/// The `q` quantile (nearest rank) of a sorted sample.
pub fn quantile(sorted: &[u64], q: f64) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted.get(i.min(sorted.len() - 1)).copied()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn mann_whitney_sees_a_clear_shift_and_not_an_equal_sample() {
        let a: Vec<f64> = (0..30).map(|i| f64::from(i) + 10.0).collect();
        let b: Vec<f64> = (0..30).map(f64::from).collect();
        assert!(mann_whitney_greater(&a, &b).unwrap() < 0.01);
        assert!(mann_whitney_greater(&b, &b).unwrap() > 0.4);
        assert!(mann_whitney_greater(&[1.0; 5], &[1.0; 5]).is_none());
    }
}
