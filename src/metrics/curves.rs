//! Curves for drawing: TensorBoard's smoothing, log scale, and decimation to the pixels, so a chart of many long
//! runs draws as many points as it has pixel columns, not as many as it has steps.

/// TensorBoard's smoothing: an exponential moving average with the start debiased (weight 0 keeps the values,
/// 0.99 smooths hard). NaN and infinite values are kept as they are and do not disturb the average.
pub fn smooth(points: &[(f64, f64)], weight: f64) -> Vec<(f64, f64)> {
    let weight = weight.clamp(0.0, 0.999);
    if weight == 0.0 {
        return points.to_vec();
    }
    let mut last = 0.0;
    let mut n = 0i32;
    points
        .iter()
        .map(|&(x, y)| {
            if !y.is_finite() {
                return (x, y);
            }
            last = last * weight + (1.0 - weight) * y;
            n += 1;
            (x, last / (1.0 - weight.powi(n)))
        })
        .collect()
}

/// Values for a log-scale axis: log10 of the positive ones; the rest cannot be shown and are dropped.
pub fn log10(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    points.iter().filter(|(_, y)| *y > 0.0).map(|&(x, y)| (x, y.log10())).collect()
}

/// At most about `2 × buckets` points that draw the same line at that width: per bucket of x, the first, the
/// lowest, the highest and the last point, in x order. Points must be sorted by x.
pub fn decimate(points: &[(f64, f64)], buckets: usize) -> Vec<(f64, f64)> {
    let buckets = buckets.max(1);
    if points.len() <= buckets * 4 {
        return points.to_vec();
    }
    let (x0, x1) = (points[0].0, points[points.len() - 1].0);
    let width = (x1 - x0) / buckets as f64;
    if !(width > 0.0 && width.is_finite()) {
        return vec![points[0], points[points.len() - 1]];
    }
    let mut out = Vec::with_capacity(buckets * 4);
    let mut start = 0;
    while start < points.len() {
        let bucket = (((points[start].0 - x0) / width) as usize).min(buckets - 1);
        let mut end = start + 1;
        while end < points.len() && (((points[end].0 - x0) / width) as usize).min(buckets - 1) == bucket {
            end += 1;
        }
        let slice = &points[start..end];
        let finite = |p: &&(f64, f64)| p.1.is_finite();
        let low = slice.iter().filter(finite).min_by(|a, b| a.1.total_cmp(&b.1));
        let high = slice.iter().filter(finite).max_by(|a, b| a.1.total_cmp(&b.1));
        let mut picks: Vec<(usize, (f64, f64))> = vec![(0, slice[0]), (slice.len() - 1, slice[slice.len() - 1])];
        for p in [low, high].into_iter().flatten() {
            let i = slice.iter().position(|q| std::ptr::eq(q, p)).unwrap_or(0);
            picks.push((i, *p));
        }
        picks.sort_by_key(|(i, _)| *i);
        picks.dedup_by_key(|(i, _)| *i);
        out.extend(picks.into_iter().map(|(_, p)| p));
        start = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smoothing_is_tensorboard_s_debiased_average() {
        let points = [(0.0, 1.0), (1.0, 3.0), (2.0, f64::NAN), (3.0, 3.0)];
        assert_eq!(smooth(&points, 0.0)[1], (1.0, 3.0));
        let s = smooth(&points, 0.5);
        assert_eq!(s[0], (0.0, 1.0), "the first value is itself once debiased");
        assert!((s[1].1 - (0.5 * 0.5 + 0.5 * 3.0) / 0.75).abs() < 1e-12);
        assert!(s[2].1.is_nan());
        assert!(s[3].1 > s[1].1 && s[3].1 < 3.0);
    }

    #[test]
    fn decimation_keeps_the_extremes_of_each_column() {
        let points: Vec<(f64, f64)> =
            (0..10_000).map(|i| (i as f64, if i == 5_000 { 100.0 } else { (i % 7) as f64 })).collect();
        let d = decimate(&points, 100);
        assert!(d.len() <= 400, "{}", d.len());
        assert!(d.contains(&(5_000.0, 100.0)), "a spike survives");
        assert_eq!(d.first(), points.first());
        assert_eq!(d.last(), points.last());
        assert!(d.windows(2).all(|w| w[0].0 <= w[1].0), "still in x order");
        assert_eq!(decimate(&points[..10], 100), points[..10]);
        assert_eq!(log10(&[(0.0, 100.0), (1.0, 0.0), (2.0, -1.0)]), [(0.0, 2.0)]);
    }
}
