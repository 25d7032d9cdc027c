//! Figures the benchmarks print.

/// p50 and p95 of a set of samples (NaN when there are none), by the nearest rank.
pub fn p50_p95(mut samples: Vec<f64>) -> (f64, f64) {
    samples.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| {
        let i = ((samples.len() as f64 - 1.0) * q).round() as usize;
        samples.get(i).copied().unwrap_or(f64::NAN)
    };
    (at(0.5), at(0.95))
}
