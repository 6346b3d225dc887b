//! The app's own frame times, kept for the diagnostics panel: proof that the window stays fast and idles.

use std::collections::VecDeque;

use crate::charts::{LineChart, Series};

/// How many frames are kept.
pub const CAPACITY: usize = 600;

/// CPU time spent building recent frames, with the UI time each frame started at.
#[derive(Debug, Default)]
pub struct FrameTimes {
    samples: VecDeque<(f64, f32)>,
    total_frames: u64,
}

impl FrameTimes {
    /// Records one frame: UI time in seconds and the CPU time it took in seconds.
    pub fn record(&mut self, time: f64, cpu_seconds: f32) {
        if self.samples.len() == CAPACITY {
            self.samples.pop_front();
        }
        self.samples.push_back((time, cpu_seconds));
        self.total_frames += 1;
    }

    pub fn total_frames(&self) -> u64 {
        self.total_frames
    }

    /// Median CPU time per frame in milliseconds over the kept frames.
    pub fn median_ms(&self) -> Option<f32> {
        let mut ms: Vec<f32> = self.samples.iter().map(|s| s.1 * 1000.0).collect();
        if ms.is_empty() {
            return None;
        }
        ms.sort_by(f32::total_cmp);
        Some(ms[ms.len() / 2])
    }

    /// The frame times as a chart: milliseconds against seconds before the newest frame.
    pub fn chart(&self) -> LineChart {
        let newest = self.samples.back().map_or(0.0, |s| s.0);
        let points = self.samples.iter().map(|&(t, cpu)| (t - newest, f64::from(cpu) * 1000.0)).collect();
        LineChart {
            title: "UI frame time".into(),
            x_label: "seconds ago".into(),
            y_label: "CPU ms per frame".into(),
            series: vec![Series { name: "frame".into(), points }],
            fill_first: true,
            fit_y: false,
            log_y: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_a_bounded_window_and_reports_the_median() {
        let mut ft = FrameTimes::default();
        for i in 0..(CAPACITY + 10) {
            ft.record(i as f64, (i % 3) as f32 / 1000.0);
        }
        assert_eq!(ft.total_frames(), (CAPACITY + 10) as u64);
        assert_eq!(ft.chart().series[0].points.len(), CAPACITY);
        assert_eq!(ft.median_ms(), Some(1.0));
        let last = ft.chart().series[0].points.last().copied();
        assert_eq!(last.map(|p| p.0), Some(0.0));
    }
}
