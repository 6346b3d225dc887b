//! Bosun's local store: one SQLite file under the user's data folder that keeps what the cluster forgets — the
//! logs and events of training jobs' pods, readable after `cleanPodPolicy` or a TTL deleted the pods, and the
//! training metrics of each run (a run is a job: its hyperparameters, times and final state, and its points).
//!
//! - Schema-versioned: `PRAGMA user_version` counts the [`MIGRATIONS`] applied; a newer file than this build knows
//!   is refused rather than misread.
//! - Crash-safe: write-ahead logging, and each batch is one transaction — a `kill -9` loses at most the batch being
//!   written, never the file.
//! - Written off the UI thread: [`writer::Writer`] batches records on its own thread.
//! - Bounded: [`Store::apply_retention`] drops what is older than the retention setting and caps lines per pod.

pub mod runs;
pub mod writer;

pub use runs::{PointRecord, RunFilter, RunRecord, SeriesSummary};

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension as _, params};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the local store {path} could not be opened: {source}")]
    Open { path: PathBuf, source: rusqlite::Error },
    #[error(
        "the local store {path} was written by a newer Bosun (schema {found}, this one knows {known}); update Bosun, or move the file away to start a new store"
    )]
    TooNew { path: PathBuf, found: i64, known: i64 },
    #[error("the local store: {0}")]
    Sql(#[from] rusqlite::Error),
}

/// The schema, one step per version; a step never changes once released.
pub const MIGRATIONS: &[&str] = &[
    // 1: jobs and their pods, log lines and events.
    "CREATE TABLE jobs (
        uid TEXT PRIMARY KEY, cluster TEXT NOT NULL, namespace TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL,
        experiment TEXT NOT NULL DEFAULT '', first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,
        state TEXT NOT NULL DEFAULT '');
     CREATE INDEX jobs_by_name ON jobs (cluster, namespace, name);
     CREATE TABLE pods (
        uid TEXT PRIMARY KEY, job_uid TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
        role TEXT NOT NULL DEFAULT '', node TEXT NOT NULL DEFAULT '', last_seen INTEGER NOT NULL);
     CREATE INDEX pods_by_job ON pods (job_uid);
     CREATE TABLE log_lines (
        id INTEGER PRIMARY KEY, pod_uid TEXT NOT NULL, container TEXT NOT NULL, seq INTEGER NOT NULL,
        time TEXT NOT NULL, line TEXT NOT NULL, UNIQUE (pod_uid, container, seq));
     CREATE TABLE events (
        uid TEXT PRIMARY KEY, job_uid TEXT NOT NULL, object TEXT NOT NULL, type TEXT NOT NULL, reason TEXT NOT NULL,
        message TEXT NOT NULL, count INTEGER NOT NULL, first_time INTEGER NOT NULL, last_time INTEGER NOT NULL);
     CREATE INDEX events_by_job ON events (job_uid);",
    // 2: runs (a job's hyperparameters, start and end) and their metric points. A series is one metric of one run,
    // so a point costs a small integer key instead of two strings; (series, step, wall_time) is unique, so a
    // stream read twice keeps each point once. `step` is NO_STEP for lines without one, `wall_time` 0 for points
    // without a time; a NULL value is NaN (SQLite keeps no NaN).
    "ALTER TABLE jobs ADD COLUMN hyperparameters TEXT NOT NULL DEFAULT '[]';
     ALTER TABLE jobs ADD COLUMN started INTEGER NOT NULL DEFAULT 0;
     ALTER TABLE jobs ADD COLUMN finished INTEGER NOT NULL DEFAULT 0;
     CREATE INDEX jobs_by_experiment ON jobs (cluster, experiment);
     CREATE TABLE series (
        id INTEGER PRIMARY KEY, job_uid TEXT NOT NULL, metric TEXT NOT NULL, UNIQUE (job_uid, metric));
     CREATE INDEX series_by_metric ON series (metric, job_uid);
     CREATE TABLE points (
        series INTEGER NOT NULL, step INTEGER NOT NULL, wall_time REAL NOT NULL, value REAL,
        PRIMARY KEY (series, step, wall_time)) WITHOUT ROWID;
     CREATE VIEW runs AS SELECT uid, cluster, namespace, kind, name, experiment, hyperparameters, started, finished,
        state FROM jobs;",
];

/// Where the store lives by default: the platform's data folder (`~/.local/share/bosun/bosun.db` on Linux).
pub fn default_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("dev", "bosun", "bosun").map(|d| d.data_dir().join("bosun.db"))
}

/// One job as the store knows it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct JobRecord {
    pub uid: String,
    pub cluster: String,
    pub namespace: String,
    pub kind: String,
    pub name: String,
    pub experiment: String,
    /// The final (or last seen) state; empty: not known yet, and an empty state never overwrites a known one.
    pub state: String,
    /// The run's hyperparameters in their order (empty: not known; never overwrites known ones).
    pub hyperparameters: Vec<(String, String)>,
    /// Unix seconds; 0: not known.
    pub started: i64,
    pub finished: i64,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct PodRecord {
    pub uid: String,
    pub job_uid: String,
    pub namespace: String,
    pub name: String,
    pub role: String,
    pub node: String,
}

/// One line of a container's log; `seq` numbers the lines of that container from 0, so a stream that resumes
/// after a reconnect writes the same line twice as the same row.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LogLine {
    pub pod_uid: String,
    pub container: String,
    pub seq: i64,
    /// RFC 3339, as the kubelet stamps it.
    pub time: String,
    pub line: String,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct EventRecord {
    pub uid: String,
    pub job_uid: String,
    /// `Pod/name` or `TFJob/name`: what it is about.
    pub object: String,
    pub type_: String,
    pub reason: String,
    pub message: String,
    pub count: i64,
    pub first_time: i64,
    pub last_time: i64,
}

/// What the writer is given to keep.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    Job(JobRecord),
    Pod(PodRecord),
    Log(LogLine),
    Event(EventRecord),
    /// Metric points of one run (job UID).
    Points {
        job_uid: String,
        points: Vec<PointRecord>,
    },
    /// Read a run's kept log again (its primary pod's `container`) and keep only the points `parse` finds: the
    /// run's metric settings changed. In order with the other records, so no line kept before it is missed.
    Reparse {
        job_uid: String,
        container: String,
        parse: Reparser,
    },
}

/// How a run's log lines become points: (line, kubelet time) → points. The store stays ignorant of formats.
#[derive(Clone)]
pub struct Reparser(pub std::sync::Arc<ParseLine>);

/// One kept line (text, kubelet time) → its points.
pub type ParseLine = dyn Fn(&str, &str) -> Vec<PointRecord> + Send + Sync;

impl std::fmt::Debug for Reparser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Reparser")
    }
}

impl PartialEq for Reparser {
    fn eq(&self, other: &Self) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &other.0)
    }
}

/// A `log_lines` row (pod_uid, container, seq, time, line) as a [`LogLine`].
fn log_line(r: &rusqlite::Row<'_>) -> rusqlite::Result<LogLine> {
    Ok(LogLine { pod_uid: r.get(0)?, container: r.get(1)?, seq: r.get(2)?, time: r.get(3)?, line: r.get(4)? })
}

/// How long things are kept.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Retention {
    /// Jobs not seen on a cluster for longer than this are forgotten, with their pods, logs and events.
    pub days: u32,
    /// At most this many lines per container (the oldest go first).
    pub lines_per_container: i64,
}

impl Default for Retention {
    fn default() -> Self {
        Self { days: 30, lines_per_container: 100_000 }
    }
}

pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// (job UID, metric) → series id, so a batch of points does not look its series up per point.
    series: std::collections::HashMap<(String, String), i64>,
}

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

impl Store {
    /// Opens (creating, or migrating to this build's schema) the store at `path`.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            let _ = std::fs::create_dir_all(dir);
        }
        let open_err = |source| StoreError::Open { path: path.to_path_buf(), source };
        let mut conn = Connection::open(path).map_err(open_err)?;
        conn.busy_timeout(std::time::Duration::from_secs(5)).map_err(open_err)?;
        // WAL: readers never block the writer, and a crash mid-transaction rolls back on the next open.
        conn.pragma_update(None, "journal_mode", "WAL").map_err(open_err)?;
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(open_err)?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).map_err(open_err)?;
        let known = MIGRATIONS.len() as i64;
        if version > known {
            return Err(StoreError::TooNew { path: path.to_path_buf(), found: version, known });
        }
        for (i, step) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = conn.transaction()?;
            tx.execute_batch(step)?;
            tx.pragma_update(None, "user_version", i as i64 + 1)?;
            tx.commit()?;
        }
        Ok(Store { conn, path: path.to_path_buf(), series: Default::default() })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes a batch in one transaction: all of it, or (after a crash) none of it.
    pub fn write(&mut self, batch: &[Record]) -> Result<(), StoreError> {
        let series_cache = &mut self.series;
        let tx = self.conn.transaction()?;
        {
            // What a record does not know (empty, 0) never overwrites what an earlier one said.
            let mut job = tx.prepare_cached(
                "INSERT INTO jobs (uid, cluster, namespace, kind, name, experiment, first_seen, last_seen, state,
                   hyperparameters, started, finished)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8, ?9, ?10, ?11)
                 ON CONFLICT (uid) DO UPDATE SET last_seen = excluded.last_seen,
                   state = CASE WHEN excluded.state = '' THEN state ELSE excluded.state END,
                   experiment = CASE WHEN excluded.experiment = '' THEN experiment ELSE excluded.experiment END,
                   hyperparameters = CASE WHEN excluded.hyperparameters = '[]' THEN hyperparameters
                                     ELSE excluded.hyperparameters END,
                   started = CASE WHEN excluded.started = 0 THEN started ELSE excluded.started END,
                   finished = CASE WHEN excluded.finished = 0 THEN finished ELSE excluded.finished END",
            )?;
            let mut series_id = tx.prepare_cached(
                "INSERT INTO series (job_uid, metric) VALUES (?1, ?2)
                 ON CONFLICT (job_uid, metric) DO UPDATE SET metric = excluded.metric RETURNING id",
            )?;
            let mut point = tx.prepare_cached(
                "INSERT OR IGNORE INTO points (series, step, wall_time, value) VALUES (?1, ?2, ?3, ?4)",
            )?;
            let mut pod = tx.prepare_cached(
                "INSERT INTO pods (uid, job_uid, namespace, name, role, node, last_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (uid) DO UPDATE SET node = excluded.node, last_seen = excluded.last_seen",
            )?;
            let mut line = tx.prepare_cached(
                "INSERT OR IGNORE INTO log_lines (pod_uid, container, seq, time, line) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            let mut event = tx.prepare_cached(
                "INSERT INTO events (uid, job_uid, object, type, reason, message, count, first_time, last_time)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT (uid) DO UPDATE SET count = excluded.count, last_time = excluded.last_time,
                   message = excluded.message",
            )?;
            let seen = now();
            for r in batch {
                match r {
                    Record::Job(j) => {
                        job.execute(params![
                            j.uid,
                            j.cluster,
                            j.namespace,
                            j.kind,
                            j.name,
                            j.experiment,
                            seen,
                            j.state,
                            runs::hyperparameters_json(&j.hyperparameters),
                            j.started,
                            j.finished
                        ])?;
                    }
                    Record::Points { .. } | Record::Reparse { .. } => {
                        let (job_uid, reparsed);
                        let points = match r {
                            Record::Points { job_uid: uid, points } => {
                                job_uid = uid;
                                points
                            }
                            Record::Reparse { job_uid: uid, container, parse } => {
                                job_uid = uid;
                                reparsed = runs::reparse(&tx, uid, container, parse)?;
                                series_cache.retain(|(u, _), _| u != uid);
                                &reparsed
                            }
                            _ => continue,
                        };
                        for p in points {
                            let key = (job_uid.clone(), p.metric.clone());
                            let id = match series_cache.get(&key).copied() {
                                Some(id) => id,
                                None => {
                                    let id: i64 = series_id.query_row(params![job_uid, p.metric], |r| r.get(0))?;
                                    series_cache.insert(key, id);
                                    id
                                }
                            };
                            let value = if p.value.is_nan() { None } else { Some(p.value) };
                            point.execute(params![
                                id,
                                p.step.unwrap_or(runs::NO_STEP),
                                p.wall_time.unwrap_or(0.0),
                                value
                            ])?;
                        }
                    }
                    Record::Pod(p) => {
                        pod.execute(params![p.uid, p.job_uid, p.namespace, p.name, p.role, p.node, seen])?;
                    }
                    Record::Log(l) => {
                        line.execute(params![l.pod_uid, l.container, l.seq, l.time, l.line])?;
                    }
                    Record::Event(e) => {
                        event.execute(params![
                            e.uid,
                            e.job_uid,
                            e.object,
                            e.type_,
                            e.reason,
                            e.message,
                            e.count,
                            e.first_time,
                            e.last_time
                        ])?;
                    }
                }
            }
        }
        if let Err(e) = tx.commit() {
            // The ids handed out (or dropped) in this transaction were rolled back with it.
            series_cache.clear();
            return Err(e.into());
        }
        Ok(())
    }

    /// The job of this name on this cluster (the newest, if it was recreated).
    pub fn job(&self, cluster: &str, namespace: &str, name: &str) -> Result<Option<JobRecord>, StoreError> {
        Ok(self
            .conn
            .query_row(
                &format!(
                    "SELECT {} FROM jobs WHERE cluster = ?1 AND namespace = ?2 AND name = ?3
                     ORDER BY first_seen DESC LIMIT 1",
                    runs::JOB_COLUMNS
                ),
                params![cluster, namespace, name],
                runs::job_record,
            )
            .optional()?)
    }

    pub fn pods(&self, job_uid: &str) -> Result<Vec<PodRecord>, StoreError> {
        let mut q = self.conn.prepare_cached(
            "SELECT uid, job_uid, namespace, name, role, node FROM pods WHERE job_uid = ?1 ORDER BY name",
        )?;
        let rows = q.query_map(params![job_uid], |r| {
            Ok(PodRecord {
                uid: r.get(0)?,
                job_uid: r.get(1)?,
                namespace: r.get(2)?,
                name: r.get(3)?,
                role: r.get(4)?,
                node: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A container's kept lines, oldest first; `after` skips those up to that sequence number.
    pub fn log_lines(&self, pod_uid: &str, container: &str, after: Option<i64>) -> Result<Vec<LogLine>, StoreError> {
        let mut q = self.conn.prepare_cached(
            "SELECT pod_uid, container, seq, time, line FROM log_lines
             WHERE pod_uid = ?1 AND container = ?2 AND seq > ?3 ORDER BY seq",
        )?;
        let rows = q.query_map(params![pod_uid, container, after.unwrap_or(-1)], log_line)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The last kept line of a container: where a resumed stream carries on (its time for `sinceTime`).
    pub fn last_line(&self, pod_uid: &str, container: &str) -> Result<Option<LogLine>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT pod_uid, container, seq, time, line FROM log_lines WHERE pod_uid = ?1 AND container = ?2
                 ORDER BY seq DESC LIMIT 1",
                params![pod_uid, container],
                log_line,
            )
            .optional()?)
    }

    pub fn events(&self, job_uid: &str) -> Result<Vec<EventRecord>, StoreError> {
        let mut q = self.conn.prepare_cached(
            "SELECT uid, job_uid, object, type, reason, message, count, first_time, last_time FROM events
             WHERE job_uid = ?1 ORDER BY first_time, uid",
        )?;
        let rows = q.query_map(params![job_uid], |r| {
            Ok(EventRecord {
                uid: r.get(0)?,
                job_uid: r.get(1)?,
                object: r.get(2)?,
                type_: r.get(3)?,
                reason: r.get(4)?,
                message: r.get(5)?,
                count: r.get(6)?,
                first_time: r.get(7)?,
                last_time: r.get(8)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Forgets jobs unseen for longer than the retention (with all they had) and trims long logs.
    pub fn apply_retention(&mut self, retention: Retention) -> Result<(), StoreError> {
        let cutoff = now() - i64::from(retention.days) * 86_400;
        let tx = self.conn.transaction()?;
        tx.execute(
            "DELETE FROM log_lines WHERE pod_uid IN (SELECT p.uid FROM pods p JOIN jobs j ON p.job_uid = j.uid WHERE j.last_seen < ?1)",
            params![cutoff],
        )?;
        tx.execute("DELETE FROM events WHERE job_uid IN (SELECT uid FROM jobs WHERE last_seen < ?1)", params![cutoff])?;
        tx.execute(
            "DELETE FROM points WHERE series IN (SELECT s.id FROM series s JOIN jobs j ON s.job_uid = j.uid
             WHERE j.last_seen < ?1)",
            params![cutoff],
        )?;
        tx.execute("DELETE FROM series WHERE job_uid IN (SELECT uid FROM jobs WHERE last_seen < ?1)", params![cutoff])?;
        tx.execute("DELETE FROM pods WHERE job_uid IN (SELECT uid FROM jobs WHERE last_seen < ?1)", params![cutoff])?;
        tx.execute("DELETE FROM jobs WHERE last_seen < ?1", params![cutoff])?;
        self.series.clear();
        tx.execute(
            "DELETE FROM log_lines WHERE id IN (
               SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY pod_uid, container ORDER BY seq DESC) AS n
                               FROM log_lines) WHERE n > ?1)",
            params![retention.lines_per_container],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// SQLite's own check of the file: `ok` when sound.
    pub fn integrity(&self) -> Result<String, StoreError> {
        Ok(self.conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }

    pub fn count_lines(&self) -> Result<i64, StoreError> {
        Ok(self.conn.query_row("SELECT COUNT(*) FROM log_lines", [], |r| r.get(0))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(pod: &str, seq: i64) -> Record {
        Record::Log(LogLine {
            pod_uid: pod.into(),
            container: "c".into(),
            seq,
            time: format!("2026-01-01T00:00:{:02}Z", seq % 60),
            line: format!("epoch={seq} loss=0.5"),
        })
    }

    #[test]
    fn records_round_trip_and_a_resumed_stream_adds_no_duplicates() {
        let dir = tempfile::tempdir().expect("dir");
        let mut store = Store::open(&dir.path().join("s.db")).expect("open");
        let job = JobRecord {
            uid: "j1".into(),
            cluster: "lab".into(),
            namespace: "ml".into(),
            kind: "TFJob".into(),
            name: "mnist".into(),
            ..Default::default()
        };
        let pod = PodRecord {
            uid: "p1".into(),
            job_uid: "j1".into(),
            namespace: "ml".into(),
            name: "mnist-worker-0".into(),
            role: "worker".into(),
            node: "n".into(),
        };
        store
            .write(&[Record::Job(job.clone()), Record::Pod(pod.clone()), line("p1", 0), line("p1", 1)])
            .expect("write");
        store.write(&[line("p1", 1), line("p1", 2)]).expect("resumed");
        assert_eq!(store.job("lab", "ml", "mnist").expect("job"), Some(job));
        assert_eq!(store.pods("j1").expect("pods"), [pod]);
        let seqs: Vec<i64> = store.log_lines("p1", "c", None).expect("lines").iter().map(|l| l.seq).collect();
        assert_eq!(seqs, [0, 1, 2]);
        assert_eq!(store.last_line("p1", "c").expect("last").map(|l| l.seq), Some(2));
        assert_eq!(store.log_lines("p1", "c", Some(1)).expect("after").len(), 1);
    }

    #[test]
    fn reopening_migrates_once_and_a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("s.db");
        drop(Store::open(&path).expect("create"));
        let store = Store::open(&path).expect("reopen");
        assert_eq!(store.integrity().expect("check"), "ok");
        drop(store);
        let conn = Connection::open(&path).expect("raw");
        conn.pragma_update(None, "user_version", 99).expect("bump");
        drop(conn);
        let Err(e) = Store::open(&path) else { panic!("a newer schema must be refused") };
        assert!(e.to_string().contains("newer Bosun (schema 99"), "{e}");
    }

    #[test]
    fn a_file_that_is_not_a_store_is_a_clear_error() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("s.db");
        std::fs::write(&path, b"this is not a database, just text that happens to be here").expect("write");
        let Err(e) = Store::open(&path) else { panic!("garbage is not a store") };
        assert!(e.to_string().contains("could not be opened") || e.to_string().contains("local store"), "{e}");
    }

    #[test]
    fn retention_trims_long_logs_to_the_newest_lines() {
        let dir = tempfile::tempdir().expect("dir");
        let mut store = Store::open(&dir.path().join("s.db")).expect("open");
        let batch: Vec<Record> = (0..50).map(|i| line("p1", i)).collect();
        store.write(&batch).expect("write");
        store.apply_retention(Retention { days: 30, lines_per_container: 10 }).expect("retention");
        let seqs: Vec<i64> = store.log_lines("p1", "c", None).expect("lines").iter().map(|l| l.seq).collect();
        assert_eq!(seqs, (40..50).collect::<Vec<_>>());
    }
}
