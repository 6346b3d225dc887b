use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use bosun::metrics::tfevents::{EventFile, find_runs};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tfevents")
}

fn tfevents(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bosun")).arg("tfevents").args(args).output().expect("bosun runs")
}

fn expected() -> String {
    std::fs::read_to_string(fixtures().join("expected.csv")).expect("expected.csv")
}

/// The CSV is what TensorBoard's own loader read from the same files (TF1 simple values, TF2 scalar tensors of
/// float32 and float64, a nested run), character for character.
#[test]
fn runs_written_by_tensorboard_read_back_exactly() {
    let out = tfevents(&[&fixtures().display().to_string()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected());
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));

    let out = tfevents(&[&fixtures().display().to_string(), "-o", "json"]);
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let rows = rows.as_array().expect("an array of rows");
    assert_eq!(rows.len(), expected().lines().count() - 1);
    assert_eq!(rows[0]["run"], "tf1");
    assert_eq!(rows[0]["tag"], "loss");
    assert!(rows.iter().any(|r| r["run"] == "tf2/eval"));
}

fn tf1_file() -> PathBuf {
    let runs = find_runs(&fixtures()).expect("fixtures");
    runs.into_iter().find(|(run, _)| run == "tf1").expect("the tf1 run").1
}

/// A flipped bit is reported with the file and offset and costs only its record; a cut last record (a writer still
/// writing) is no problem at all.
#[test]
fn damaged_files_lose_only_the_damaged_records() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut data = std::fs::read(tf1_file()).expect("fixture");
    let middle = data.len() / 2;
    data[middle] ^= 0x40;
    data.truncate(data.len() - 5);
    let file = dir.path().join("events.out.tfevents.1.damaged");
    std::fs::write(&file, &data).expect("write");
    let out = tfevents(&[&file.display().to_string()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("events.out.tfevents.1.damaged: offset ") && err.contains("fails its CRC"), "{err}");
    assert_eq!(err.lines().filter(|l| l.starts_with("warning:")).count(), 1, "the cut end is not a problem: {err}");
    let got = String::from_utf8_lossy(&out.stdout).lines().count() - 1;
    let whole = expected().lines().filter(|l| l.starts_with("tf1,")).count();
    // One record (two scalars) lost to the flipped bit, one (two scalars) not yet written whole.
    assert_eq!(got, whole - 4, "{}", String::from_utf8_lossy(&out.stdout));

    let out = tfevents(&["/no/such/folder"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
    let out = tfevents(&[&Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md").display().to_string()]);
    assert_eq!(out.status.code(), Some(2), "a file that is not an event file is bad input");
    assert!(String::from_utf8_lossy(&out.stderr).contains("no readable event records"));
    let empty = tempfile::tempdir().expect("temp dir");
    std::fs::write(empty.path().join("notes.txt"), "no events here").expect("write");
    let out = tfevents(&[&empty.path().display().to_string()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no event files"));
}

/// A file read while it is written: each poll gives the records completed since the last one, none twice.
#[test]
fn a_growing_file_is_tailed_without_gaps_or_repeats() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = std::fs::read(tf1_file()).expect("fixture");
    let file = dir.path().join("events.out.tfevents.2.live");
    let mut reader = EventFile::new(file.clone());
    let mut steps = Vec::new();
    for cut in [0, 17, data.len() / 3, data.len() / 3 + 1, data.len() - 1, data.len()] {
        std::fs::write(&file, &data[..cut]).expect("write");
        let chunk = reader.poll().expect("read");
        assert!(chunk.problems.is_empty(), "{:?}", chunk.problems);
        steps.extend(chunk.scalars.iter().filter(|s| &*s.tag == "loss").map(|s| s.step));
    }
    assert_eq!(steps, (0..40).map(|s| s * 10).collect::<Vec<_>>());
}
