//! Runs and their metric points in the store: what `bosun runs`, `bosun metrics` and the Experiments screen read.

use rusqlite::{OptionalExtension as _, params, params_from_iter};

use super::{JobRecord, PodRecord, Store, StoreError};

/// The step kept for a point that has none (a log line without `epoch`/`step`): such points are told apart by
/// their wall time.
pub const NO_STEP: i64 = i64::MIN;

/// One point of one metric, as kept.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PointRecord {
    pub metric: String,
    pub step: Option<i64>,
    /// Unix seconds.
    pub wall_time: Option<f64>,
    pub value: f64,
}

/// A run: the job as kept, and what its metrics came to.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RunRecord {
    pub job: JobRecord,
    pub metrics: Vec<SeriesSummary>,
}

/// One metric of one run, summed up.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SeriesSummary {
    pub metric: String,
    pub points: i64,
    /// The value at the highest step (or latest time).
    pub last: f64,
    pub min: f64,
    pub max: f64,
}

impl JobRecord {
    /// Seconds it ran (until `now` while it runs); `None` before it started.
    pub fn duration(&self, now: i64) -> Option<i64> {
        match (self.started, self.finished) {
            (0, _) => None,
            (s, 0) => Some(now - s),
            (s, f) => Some(f - s),
        }
    }
}

pub(super) const JOB_COLUMNS: &str =
    "uid, cluster, namespace, kind, name, experiment, state, hyperparameters, started, finished";

/// A row of [`JOB_COLUMNS`] as a [`JobRecord`].
pub(super) fn job_record(r: &rusqlite::Row<'_>) -> rusqlite::Result<JobRecord> {
    let hyperparameters: String = r.get(7)?;
    Ok(JobRecord {
        uid: r.get(0)?,
        cluster: r.get(1)?,
        namespace: r.get(2)?,
        kind: r.get(3)?,
        name: r.get(4)?,
        experiment: r.get(5)?,
        state: r.get(6)?,
        hyperparameters: serde_json::from_str(&hyperparameters).unwrap_or_default(),
        started: r.get(8)?,
        finished: r.get(9)?,
    })
}

/// Hyperparameters as kept: a JSON list of `[name, value]` pairs, so their order survives.
pub(super) fn hyperparameters_json(params: &[(String, String)]) -> String {
    serde_json::to_string(params).unwrap_or_else(|_| "[]".into())
}

fn point(metric: String, step: i64, wall_time: f64, value: Option<f64>) -> PointRecord {
    PointRecord {
        metric,
        step: (step != NO_STEP).then_some(step),
        wall_time: (wall_time != 0.0).then_some(wall_time),
        value: value.unwrap_or(f64::NAN),
    }
}

/// Which runs to read.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunFilter<'a> {
    /// The cluster (context) they ran on; `None`: every cluster.
    pub cluster: Option<&'a str>,
    pub experiment: Option<&'a str>,
    /// `(namespace, name)`.
    pub run: Option<(&'a str, &'a str)>,
}

impl Store {
    /// The runs that match, newest first, each with a summary of its metrics. A job made again under the same
    /// namespace and name replaces its earlier run (the newest is kept), so a run's name means one run.
    pub fn runs(&self, filter: RunFilter<'_>) -> Result<Vec<RunRecord>, StoreError> {
        let mut sql = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE 1 = 1");
        let mut values: Vec<String> = Vec::new();
        if let Some(c) = filter.cluster {
            values.push(c.to_string());
            sql += &format!(" AND cluster = ?{}", values.len());
        }
        if let Some(e) = filter.experiment {
            values.push(e.to_string());
            sql += &format!(" AND experiment = ?{}", values.len());
        }
        if let Some((ns, name)) = filter.run {
            values.push(ns.to_string());
            sql += &format!(" AND namespace = ?{}", values.len());
            values.push(name.to_string());
            sql += &format!(" AND name = ?{}", values.len());
        }
        sql += " ORDER BY first_seen DESC, name";
        let mut q = self.conn.prepare(&sql)?;
        let mut jobs: Vec<JobRecord> =
            q.query_map(params_from_iter(values.iter()), job_record)?.collect::<Result<_, _>>()?;
        let mut seen = std::collections::HashSet::new();
        jobs.retain(|j| seen.insert((j.cluster.clone(), j.namespace.clone(), j.name.clone())));
        jobs.into_iter().map(|job| Ok(RunRecord { metrics: self.series_summaries(&job.uid)?, job })).collect()
    }

    /// Count, last, min and max of each metric of a run, by metric name.
    pub fn series_summaries(&self, job_uid: &str) -> Result<Vec<SeriesSummary>, StoreError> {
        let mut q = self.conn.prepare_cached(
            "SELECT s.metric, COUNT(*), MIN(p.value), MAX(p.value),
               (SELECT value FROM points WHERE series = s.id ORDER BY step DESC, wall_time DESC LIMIT 1)
             FROM series s JOIN points p ON p.series = s.id WHERE s.job_uid = ?1 GROUP BY s.id ORDER BY s.metric",
        )?;
        let rows = q.query_map(params![job_uid], |r| {
            let number = |i: usize| -> rusqlite::Result<f64> { Ok(r.get::<_, Option<f64>>(i)?.unwrap_or(f64::NAN)) };
            Ok(SeriesSummary {
                metric: r.get(0)?,
                points: r.get(1)?,
                min: number(2)?,
                max: number(3)?,
                last: number(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A run's points, by metric then step and time; `metric` narrows to one.
    pub fn points(&self, job_uid: &str, metric: Option<&str>) -> Result<Vec<PointRecord>, StoreError> {
        let mut q = self.conn.prepare_cached(
            "SELECT s.metric, p.step, p.wall_time, p.value FROM series s JOIN points p ON p.series = s.id
             WHERE s.job_uid = ?1 AND (?2 IS NULL OR s.metric = ?2) ORDER BY s.metric, p.step, p.wall_time",
        )?;
        let rows = q.query_map(params![job_uid, metric], |r| Ok(point(r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The pod whose log holds a run's metrics: the chief, master or launcher, else the first worker or pod.
    pub fn primary_pod(&self, job_uid: &str) -> Result<Option<PodRecord>, StoreError> {
        Ok(primary_pod(&self.conn, job_uid)?
            .and_then(|uid| self.pods(job_uid).ok()?.into_iter().find(|p| p.uid == uid)))
    }

    /// Replaces all of a run's points (a re-read of its log with another metric pattern).
    pub fn replace_points(&mut self, job_uid: &str, points: Vec<PointRecord>) -> Result<(), StoreError> {
        {
            let tx = self.conn.transaction()?;
            tx.execute(
                "DELETE FROM points WHERE series IN (SELECT id FROM series WHERE job_uid = ?1)",
                params![job_uid],
            )?;
            tx.execute("DELETE FROM series WHERE job_uid = ?1", params![job_uid])?;
            tx.commit()?;
        }
        self.series.retain(|(uid, _), _| uid != job_uid);
        self.write(&[super::Record::Points { job_uid: job_uid.to_string(), points }])
    }

    /// How many points the store keeps in all.
    pub fn count_points(&self) -> Result<i64, StoreError> {
        Ok(self.conn.query_row("SELECT COUNT(*) FROM points", [], |r| r.get(0))?)
    }

    /// The store file's size on disk (main file and write-ahead log), for bytes-per-point reports.
    pub fn size_on_disk(&self) -> u64 {
        let size = |p: &std::path::Path| std::fs::metadata(p).map_or(0, |m| m.len());
        let wal = std::path::PathBuf::from(format!("{}-wal", self.path.display()));
        size(&self.path) + size(&wal)
    }

    /// Folds the write-ahead log into the main file (what a size measurement wants first).
    pub fn checkpoint(&self) -> Result<(), StoreError> {
        self.conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(())
    }
}

/// The UID of a run's primary pod (see [`Store::primary_pod`]).
fn primary_pod(conn: &rusqlite::Connection, job_uid: &str) -> rusqlite::Result<Option<String>> {
    conn.query_row(
        "SELECT uid FROM pods WHERE job_uid = ?1
         ORDER BY CASE role WHEN 'chief' THEN 0 WHEN 'master' THEN 0 WHEN 'launcher' THEN 0
                            WHEN 'worker' THEN 1 WHEN 'pod' THEN 1 ELSE 2 END, name LIMIT 1",
        params![job_uid],
        |r| r.get(0),
    )
    .optional()
}

/// Drops a run's points and reads its primary pod's kept lines of `container` with `parse` (inside the writer's
/// transaction, so the lines of the same batch are there).
pub(super) fn reparse(
    tx: &rusqlite::Transaction<'_>,
    job_uid: &str,
    container: &str,
    parse: &super::Reparser,
) -> Result<Vec<PointRecord>, StoreError> {
    tx.execute("DELETE FROM points WHERE series IN (SELECT id FROM series WHERE job_uid = ?1)", params![job_uid])?;
    tx.execute("DELETE FROM series WHERE job_uid = ?1", params![job_uid])?;
    let Some(pod) = primary_pod(tx, job_uid)? else { return Ok(Vec::new()) };
    let mut q =
        tx.prepare_cached("SELECT time, line FROM log_lines WHERE pod_uid = ?1 AND container = ?2 ORDER BY seq")?;
    let mut points = Vec::new();
    let mut rows = q.query(params![pod, container])?;
    while let Some(row) = rows.next()? {
        let (time, line): (String, String) = (row.get(0)?, row.get(1)?);
        points.extend((parse.0)(&line, &time));
    }
    Ok(points)
}

#[cfg(test)]
mod tests {
    use super::super::{Record, Retention};
    use super::*;

    fn job(uid: &str, experiment: &str) -> JobRecord {
        JobRecord {
            uid: uid.into(),
            cluster: "lab".into(),
            namespace: "ml".into(),
            kind: "TFJob".into(),
            name: format!("run-{uid}"),
            experiment: experiment.into(),
            ..Default::default()
        }
    }

    fn points(metric: &str, steps: std::ops::Range<i64>) -> Vec<PointRecord> {
        steps
            .map(|s| PointRecord {
                metric: metric.into(),
                step: Some(s),
                wall_time: Some(1_700_000_000.0 + s as f64),
                value: 1.0 / (s + 1) as f64,
            })
            .collect()
    }

    #[test]
    fn a_reparse_reads_the_primary_pod_s_lines_in_order_with_the_batch_it_is_in() {
        use crate::store::{LogLine, PodRecord, Reparser};
        let dir = tempfile::tempdir().expect("dir");
        let mut store = Store::open(&dir.path().join("s.db")).expect("open");
        let pod = |uid: &str, role: &str| {
            Record::Pod(PodRecord {
                uid: uid.into(),
                job_uid: "a".into(),
                namespace: "ml".into(),
                name: format!("run-a-{role}-0"),
                role: role.into(),
                node: String::new(),
            })
        };
        let line = |pod: &str, seq: i64, text: &str| {
            Record::Log(LogLine {
                pod_uid: pod.into(),
                container: "tensorflow".into(),
                seq,
                time: format!("2026-01-01T00:00:0{seq}Z"),
                line: text.into(),
            })
        };
        // Only `loss` is a metric now (a parse as the keeper would hand over).
        let parse = Reparser(std::sync::Arc::new(|line: &str, time: &str| {
            // The line's second is its step here.
            let step = time.get(17..19).and_then(|s| s.parse().ok());
            line.split_whitespace()
                .filter_map(|pair| pair.strip_prefix("loss="))
                .filter_map(|v| v.parse().ok())
                .map(|value| PointRecord { metric: "loss".into(), step, wall_time: None, value })
                .collect()
        }));
        store
            .write(&[
                Record::Job(job("a", "sweep")),
                pod("w", "worker"),
                pod("c", "chief"),
                line("c", 0, "loss=0.5 acc=0.1"),
                line("w", 0, "loss=9.0"),
                Record::Points { job_uid: "a".into(), points: points("acc", 0..3) },
                line("c", 1, "loss=0.25 acc=0.2"),
                Record::Reparse { job_uid: "a".into(), container: "tensorflow".into(), parse },
            ])
            .expect("write");
        assert_eq!(store.primary_pod("a").expect("read").map(|p| p.uid).as_deref(), Some("c"), "the chief's log");
        let kept: Vec<(String, f64)> =
            store.points("a", None).expect("points").into_iter().map(|p| (p.metric, p.value)).collect();
        assert_eq!(kept, [("loss".to_string(), 0.5), ("loss".to_string(), 0.25)], "acc went, the worker's line too");
        // Points written after it join the new series.
        store.write(&[Record::Points { job_uid: "a".into(), points: points("loss", 0..1) }]).expect("write");
        assert_eq!(store.series_summaries("a").expect("series").len(), 1);
    }

    #[test]
    fn points_are_kept_once_and_read_back_by_run_and_metric() {
        let dir = tempfile::tempdir().expect("dir");
        let mut store = Store::open(&dir.path().join("s.db")).expect("open");
        let mut j = job("a", "sweep");
        j.hyperparameters = vec![("lr".into(), "0.1".into()), ("batch".into(), "64".into())];
        j.state = "Running".into();
        j.started = 100;
        store
            .write(&[Record::Job(j.clone()), Record::Points { job_uid: "a".into(), points: points("loss", 0..5) }])
            .expect("write");
        // A resumed stream sends some of the same points again; a pod's job record knows no state.
        let mut again = points("loss", 3..8);
        again.push(PointRecord { metric: "accuracy".into(), step: None, wall_time: Some(5.5), value: f64::NAN });
        store
            .write(&[Record::Job(job("a", "")), Record::Points { job_uid: "a".into(), points: again }])
            .expect("write again");
        let loss = store.points("a", Some("loss")).expect("points");
        assert_eq!(loss.iter().map(|p| p.step.unwrap_or(-1)).collect::<Vec<_>>(), (0..8).collect::<Vec<_>>());
        let acc = store.points("a", Some("accuracy")).expect("acc");
        assert_eq!((acc[0].step, acc[0].wall_time), (None, Some(5.5)));
        assert!(acc[0].value.is_nan(), "NaN survives the store");
        let runs = store.runs(RunFilter { experiment: Some("sweep"), ..Default::default() }).expect("runs");
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].job.state, "Running", "an unknown state does not overwrite a known one");
        assert_eq!(runs[0].job.hyperparameters, j.hyperparameters);
        assert_eq!(runs[0].job.started, 100);
        let loss_summary = runs[0].metrics.iter().find(|m| m.metric == "loss").expect("loss");
        assert_eq!((loss_summary.points, loss_summary.last), (8, 1.0 / 8.0));
        assert_eq!(loss_summary.max, 1.0);
        assert_eq!(store.runs(RunFilter { run: Some(("ml", "run-a")), ..Default::default() }).expect("r").len(), 1);
        assert!(store.runs(RunFilter { cluster: Some("other"), ..Default::default() }).expect("r").is_empty());
        // The job made again under the same name: its new run replaces the old one in the list.
        let mut remade = job("a2", "sweep");
        remade.name = "run-a".into();
        store.conn.execute("UPDATE jobs SET first_seen = first_seen - 10", []).expect("age the first");
        store.write(&[Record::Job(remade)]).expect("write");
        let runs = store.runs(RunFilter { run: Some(("ml", "run-a")), ..Default::default() }).expect("runs");
        assert_eq!(runs.iter().map(|r| r.job.uid.as_str()).collect::<Vec<_>>(), ["a2"]);
    }

    #[test]
    fn retention_forgets_the_points_of_forgotten_runs() {
        let dir = tempfile::tempdir().expect("dir");
        let mut store = Store::open(&dir.path().join("s.db")).expect("open");
        store
            .write(&[Record::Job(job("a", "e")), Record::Points { job_uid: "a".into(), points: points("loss", 0..3) }])
            .expect("write");
        store.conn.execute("UPDATE jobs SET last_seen = 0", []).expect("age");
        store.apply_retention(Retention::default()).expect("retention");
        assert_eq!(store.count_points().expect("count"), 0);
        // The series cache was cleared with the series: new points of a new run of that UID land.
        store
            .write(&[Record::Job(job("a", "e")), Record::Points { job_uid: "a".into(), points: points("loss", 0..2) }])
            .expect("write");
        assert_eq!(store.points("a", None).expect("points").len(), 2);
    }
}
