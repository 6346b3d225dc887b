//! Per-example evaluation data read into [`Examples`]: CSV (with a header), JSON lines and Parquet files (Snappy,
//! Zstandard, gzip or LZ4 compressed, read row by row through the `parquet` crate without Arrow), or a folder of such
//! shards, with the label, prediction and weight columns parsed as numbers and the slice columns dictionary-encoded
//! (numeric ones binned by quantiles or fixed edges). Problems name the file, row and column.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::slices::{Classes, Examples, MISSING, SliceColumn, Slicing};

/// How one slice column is read.
#[derive(Debug, Clone, PartialEq)]
pub enum Binning {
    /// Each distinct value is a slice.
    Values,
    /// `N` bins of about equal counts (quantiles of the column).
    Quantiles(usize),
    /// Bins between these edges (and below the first, above the last).
    Edges(Vec<f64>),
}

/// A `--slice` argument: `COL`, `COL:bins=N` or `COL:edges=a,b,c`.
#[derive(Debug, Clone, PartialEq)]
pub struct SliceSpec {
    pub column: String,
    pub binning: Binning,
}

impl SliceSpec {
    pub fn parse(text: &str) -> Result<SliceSpec, String> {
        let (column, how) = match text.split_once(':') {
            Some((c, h)) => (c, Some(h)),
            None => (text, None),
        };
        if column.is_empty() {
            return Err(format!("--slice {text:?}: name a column"));
        }
        let binning = match how {
            None => Binning::Values,
            Some(h) => match h.split_once('=') {
                Some(("bins", n)) => match n.parse::<usize>() {
                    Ok(n) if n >= 2 => Binning::Quantiles(n),
                    _ => return Err(format!("--slice {text:?}: bins=N needs N of 2 or more")),
                },
                Some(("edges", list)) => {
                    let mut edges = list
                        .split(',')
                        .map(|e| {
                            e.trim().parse::<f64>().map_err(|_| format!("--slice {text:?}: edge {e:?} is not a number"))
                        })
                        .collect::<Result<Vec<_>, _>>()?;
                    edges.sort_by(f64::total_cmp);
                    edges.dedup();
                    Binning::Edges(edges)
                }
                _ => return Err(format!("--slice {text:?}: write COL, COL:bins=N or COL:edges=a,b,c")),
            },
        };
        Ok(SliceSpec { column: column.to_string(), binning })
    }
}

/// The slice specs and slicings that `--slice` and `--cross A,B` arguments ask for: each slice, then each cross (a
/// column named in a slice keeps its binning in a cross; others are sliced by value).
pub fn plan(slices: &[String], crosses: &[String]) -> Result<(Vec<SliceSpec>, Vec<Slicing>), String> {
    let mut specs: Vec<SliceSpec> = slices.iter().map(|s| SliceSpec::parse(s)).collect::<Result<_, _>>()?;
    let mut slicings: Vec<Slicing> = (0..specs.len()).map(Slicing::Column).collect();
    for cross in crosses {
        let Some((a, b)) = cross.split_once(',').filter(|(a, b)| !a.is_empty() && !b.is_empty() && !b.contains(','))
        else {
            return Err(format!("--cross {cross:?}: write two columns, A,B"));
        };
        let mut index_of = |name: &str| match specs.iter().position(|s| s.column == name) {
            Some(i) => i,
            None => {
                specs.push(SliceSpec { column: name.to_string(), binning: Binning::Values });
                specs.len() - 1
            }
        };
        let (ia, ib) = (index_of(a.trim()), index_of(b.trim()));
        slicings.push(Slicing::Cross(ia, ib));
    }
    Ok((specs, slicings))
}

/// Which columns mean what.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Columns {
    pub label: String,
    pub prediction: String,
    pub weight: Option<String>,
    pub slices: Vec<SliceSpec>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReadError {
    #[error("{path}: {message}")]
    File { path: String, message: String },
    #[error("{path}, row {row}: {message}")]
    Row { path: String, row: usize, message: String },
    #[error("{path}, row {row}, column {column}: {message}")]
    Value { path: String, row: usize, column: String, message: String },
}

/// The files to read: `paths` themselves, and the `.csv`, `.json`/`.jsonl` files of folders among them (sorted).
pub fn files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, ReadError> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut shards: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|e| ReadError::File { path: path.display().to_string(), message: e.to_string() })?
                .flatten()
                .map(|e| e.path())
                .filter(|p| {
                    matches!(p.extension().and_then(|e| e.to_str()), Some("csv" | "json" | "jsonl" | "parquet" | "pq"))
                })
                .collect();
            shards.sort();
            if shards.is_empty() {
                return Err(ReadError::File {
                    path: path.display().to_string(),
                    message: "the folder holds no .csv, .jsonl or .parquet files".into(),
                });
            }
            out.extend(shards);
        } else {
            out.push(path.clone());
        }
    }
    Ok(out)
}

/// A Parquet value as text, as a CSV would hold it (`None`: null).
fn parquet_text(field: &parquet::record::Field) -> Option<String> {
    use parquet::record::Field;
    match field {
        Field::Null => None,
        Field::Bool(b) => Some(if *b { "1" } else { "0" }.into()),
        Field::Str(s) => Some(s.clone()),
        // Rust prints floats as the shortest text that reads back as the same number.
        Field::Float(v) => Some(v.to_string()),
        Field::Double(v) => Some(v.to_string()),
        other => Some(other.to_string()),
    }
}

/// What [`parquet_rows`] calls per row: its number, the wanted columns' text, the fraction of rows read.
type EachRow<'a> = dyn FnMut(usize, &[Option<String>], f64) -> Result<(), ReadError> + 'a;

/// Calls `each` with every row of a Parquet file (numbered from 1, at most `limit`): the text of the `wanted` columns
/// in that order (all columns when `None`) and the fraction of rows read. Returns the file's column names.
fn parquet_rows(
    path: &Path,
    wanted: Option<&[String]>,
    limit: Option<usize>,
    each: &mut EachRow<'_>,
) -> Result<Vec<String>, ReadError> {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let file_error = |message: String| ReadError::File { path: path.display().to_string(), message };
    let file = std::fs::File::open(path).map_err(|e| file_error(e.to_string()))?;
    let reader =
        SerializedFileReader::new(file).map_err(|e| file_error(format!("not a readable Parquet file: {e}")))?;
    let schema = reader.metadata().file_metadata().schema();
    let names: Vec<String> = schema.get_fields().iter().map(|f| f.name().to_string()).collect();
    let wanted: Vec<String> = wanted.map_or_else(|| names.clone(), <[String]>::to_vec);
    for w in &wanted {
        if !names.contains(w) {
            return Err(file_error(format!("no column {w:?} (the file has {})", names.join(", "))));
        }
    }
    let fields = schema.get_fields().iter().filter(|f| wanted.contains(&f.name().to_string())).cloned().collect();
    let projection = parquet::schema::types::Type::group_type_builder(schema.name())
        .with_fields(fields)
        .build()
        .map_err(|e| file_error(e.to_string()))?;
    let total = reader.metadata().file_metadata().num_rows().max(1) as f64;
    let rows = reader.get_row_iter(Some(projection)).map_err(|e| file_error(e.to_string()))?;
    let mut values: Vec<Option<String>> = vec![None; wanted.len()];
    for (i, row) in rows.enumerate().take(limit.unwrap_or(usize::MAX)) {
        let row = row.map_err(|e| file_error(format!("row {}: {e}", i + 1)))?;
        values.iter_mut().for_each(|v| *v = None);
        for (name, field) in row.get_column_iter() {
            if let Some(at) = wanted.iter().position(|w| w == name) {
                values[at] = parquet_text(field);
            }
        }
        each(i + 1, &values, (i + 1) as f64 / total)?;
    }
    Ok(names)
}

/// Whether a file has a double quote anywhere (then a line break may sit inside a field, and it is read whole).
fn has_quotes(path: &Path) -> std::io::Result<bool> {
    use std::io::Read as _;
    let mut file = std::fs::File::open(path)?;
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            return Ok(false);
        }
        if memchr::memchr(b'"', &buffer[..n]).is_some() {
            return Ok(true);
        }
    }
}

/// A slice value's code in a dictionary, added when new (a `String` is made once per distinct value).
fn intern(values: &mut Vec<String>, index: &mut Dictionary, text: &[u8]) -> u32 {
    if let Some(code) = index.get(text) {
        return *code;
    }
    values.push(String::from_utf8_lossy(text).into_owned());
    let code = (values.len() - 1) as u32;
    index.insert(text.into(), code);
    code
}

/// FNV-1a: slice values are short strings looked up once per row, where SipHash's cost shows.
#[derive(Default)]
struct Fnv(u64);

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 { 0xcbf2_9ce4_8422_2325 } else { self.0 };
        for b in bytes {
            h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

type Dictionary = HashMap<Box<[u8]>, u32, std::hash::BuildHasherDefault<Fnv>>;

/// Raw slice values before binning: text, or numbers for binned columns.
enum Raw {
    Text { values: Vec<String>, index: Dictionary, codes: Vec<u32> },
    Numbers(Vec<f64>),
}

struct Reader {
    columns: Columns,
    examples: Examples,
    raw: Vec<Raw>,
    /// A multi-class classifier's classes (true and predicted share one dictionary); `None` for a binary one.
    classes: Option<ClassCodes>,
}

#[derive(Default)]
struct ClassCodes {
    names: Vec<String>,
    index: Dictionary,
    truth: Vec<u32>,
    predicted: Vec<u32>,
}

/// Powers of ten that are exact doubles.
const POW10: [f64; 16] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/// A number from its text. Plain decimals of up to 15 digits take the exact fast path (an integer mantissa and a
/// power of ten, both exact, divided once: correctly rounded, as the standard parser is); anything else goes to the
/// standard library's parser.
fn parse_number(bytes: &[u8]) -> Option<f64> {
    let text = bytes.trim_ascii();
    let (negative, digits) = match text.first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let slow = || std::str::from_utf8(text).ok()?.parse::<f64>().ok();
    let (mut mantissa, mut count, mut decimals, mut dot) = (0u64, 0usize, 0usize, false);
    for &c in digits {
        match c {
            b'0'..=b'9' => {
                mantissa = mantissa * 10 + u64::from(c - b'0');
                count += 1;
                decimals += usize::from(dot);
                if count > 15 {
                    return slow();
                }
            }
            b'.' if !dot => dot = true,
            _ => return slow(),
        }
    }
    if count == 0 {
        return slow();
    }
    let value = mantissa as f64 / POW10[decimals];
    Some(if negative { -value } else { value })
}

fn number(path: &Path, row: usize, column: &str, bytes: &[u8]) -> Result<f64, ReadError> {
    parse_number(bytes).filter(|v| v.is_finite()).ok_or_else(|| {
        let text = String::from_utf8_lossy(bytes.trim_ascii());
        ReadError::Value {
            path: path.display().to_string(),
            row,
            column: column.to_string(),
            message: if text.is_empty() { "no value".into() } else { format!("{text:?} is not a number") },
        }
    })
}

/// A CSV file this big is read by two threads, each from its half.
const SPLIT_BYTES: u64 = 64 << 20;

impl Reader {
    fn new(columns: Columns) -> Self {
        let raw = columns
            .slices
            .iter()
            .map(|s| match s.binning {
                Binning::Values => Raw::Text { values: Vec::new(), index: Dictionary::default(), codes: Vec::new() },
                _ => Raw::Numbers(Vec::new()),
            })
            .collect();
        Self { columns, examples: Examples::default(), raw, classes: None }
    }

    /// A reader of a multi-class classifier's examples: the label and the prediction are classes.
    fn multiclass(columns: Columns) -> Self {
        Self { classes: Some(ClassCodes::default()), ..Self::new(columns) }
    }

    /// The columns read, by role: label, prediction, weight (if any), then the slice columns.
    fn wanted(&self) -> Vec<&str> {
        let mut wanted = vec![self.columns.label.as_str(), self.columns.prediction.as_str()];
        wanted.extend(self.columns.weight.as_deref());
        wanted.extend(self.columns.slices.iter().map(|s| s.column.as_str()));
        wanted
    }

    /// One example from its fields by role (see [`Reader::wanted`]; `None`: absent).
    fn push<'a>(
        &mut self,
        path: &Path,
        row: usize,
        field: impl Fn(usize) -> Option<&'a [u8]>,
    ) -> Result<(), ReadError> {
        if self.classes.is_some() {
            return self.push_classes(path, row, field);
        }
        let label = number(path, row, &self.columns.label, field(0).unwrap_or(b""))?;
        if label != 0.0 && label != 1.0 {
            return Err(ReadError::Value {
                path: path.display().to_string(),
                row,
                column: self.columns.label.clone(),
                message: format!("the label {label} is not 0 or 1 (a binary classifier's)"),
            });
        }
        let score = number(path, row, &self.columns.prediction, field(1).unwrap_or(b""))?;
        let first_slice = if self.columns.weight.is_some() { 3 } else { 2 };
        let weight = match &self.columns.weight {
            Some(w) => number(path, row, w, field(2).unwrap_or(b""))?,
            None => 1.0,
        };
        for (k, (spec, raw)) in self.columns.slices.iter().zip(self.raw.iter_mut()).enumerate() {
            let text = field(first_slice + k).map(<[u8]>::trim_ascii).filter(|t| !t.is_empty());
            match raw {
                Raw::Text { values, index, codes } => codes.push(match text {
                    None => MISSING,
                    Some(t) => intern(values, index, t),
                }),
                Raw::Numbers(v) => v.push(match text {
                    None => f64::NAN,
                    Some(t) => number(path, row, &spec.column, t)?,
                }),
            }
        }
        self.examples.labels.push(label);
        self.examples.scores.push(score);
        if self.columns.weight.is_some() {
            self.examples.weights.push(weight);
        }
        Ok(())
    }

    /// One example of a multi-class classifier: its true and predicted class (neither may be missing).
    fn push_classes<'a>(
        &mut self,
        path: &Path,
        row: usize,
        field: impl Fn(usize) -> Option<&'a [u8]>,
    ) -> Result<(), ReadError> {
        let class = |role: usize, column: &str| {
            field(role).map(<[u8]>::trim_ascii).filter(|t| !t.is_empty()).ok_or_else(|| ReadError::Value {
                path: path.display().to_string(),
                row,
                column: column.to_string(),
                message: "no class".into(),
            })
        };
        let (truth, predicted) = (class(0, &self.columns.label)?, class(1, &self.columns.prediction)?);
        let weight = match &self.columns.weight {
            Some(w) => Some(number(path, row, w, field(2).unwrap_or(b""))?),
            None => None,
        };
        let first_slice = if self.columns.weight.is_some() { 3 } else { 2 };
        for (k, (spec, raw)) in self.columns.slices.iter().zip(self.raw.iter_mut()).enumerate() {
            let text = field(first_slice + k).map(<[u8]>::trim_ascii).filter(|t| !t.is_empty());
            match raw {
                Raw::Text { values, index, codes } => codes.push(text.map_or(MISSING, |t| intern(values, index, t))),
                Raw::Numbers(v) => v.push(match text {
                    None => f64::NAN,
                    Some(t) => number(path, row, &spec.column, t)?,
                }),
            }
        }
        if let Some(c) = &mut self.classes {
            let t = intern(&mut c.names, &mut c.index, truth);
            let p = intern(&mut c.names, &mut c.index, predicted);
            c.truth.push(t);
            c.predicted.push(p);
        }
        self.examples.weights.extend(weight);
        Ok(())
    }

    /// Takes another reader's examples after this one's (its dictionary codes renumbered into this one's).
    fn absorb(&mut self, other: Reader) {
        if let (Some(mine), Some(theirs)) = (&mut self.classes, other.classes) {
            let renumber: Vec<u32> =
                theirs.names.iter().map(|n| intern(&mut mine.names, &mut mine.index, n.as_bytes())).collect();
            mine.truth.extend(theirs.truth.iter().map(|c| renumber[*c as usize]));
            mine.predicted.extend(theirs.predicted.iter().map(|c| renumber[*c as usize]));
        }
        self.examples.labels.extend(other.examples.labels);
        self.examples.scores.extend(other.examples.scores);
        self.examples.weights.extend(other.examples.weights);
        for (mine, theirs) in self.raw.iter_mut().zip(other.raw) {
            match (mine, theirs) {
                (Raw::Text { values, index, codes }, Raw::Text { values: other_values, codes: other_codes, .. }) => {
                    let renumber: Vec<u32> = other_values.iter().map(|v| intern(values, index, v.as_bytes())).collect();
                    codes.extend(
                        other_codes.iter().map(|c| if *c == MISSING { MISSING } else { renumber[*c as usize] }),
                    );
                }
                (Raw::Numbers(v), Raw::Numbers(other)) => v.extend(other),
                _ => {}
            }
        }
    }

    fn read_csv(&mut self, path: &Path, progress: &mut dyn FnMut(u64)) -> Result<(), ReadError> {
        let file_error = |message: String| ReadError::File { path: path.display().to_string(), message };
        let size = std::fs::metadata(path).map_err(|e| file_error(e.to_string()))?.len();
        if size >= SPLIT_BYTES && !has_quotes(path).map_err(|e| file_error(e.to_string()))? {
            return self.read_csv_split(path, size, progress);
        }
        let file = std::fs::File::open(path).map_err(|e| file_error(e.to_string()))?;
        self.read_csv_from(path, file, progress)
    }

    /// The header's column of each role, or which is missing.
    fn positions(&self, path: &Path, header: &csv::ByteRecord) -> Result<Vec<usize>, ReadError> {
        let names: Vec<String> = header.iter().map(|h| String::from_utf8_lossy(h).trim().to_string()).collect();
        self.wanted()
            .iter()
            .map(|w| {
                names.iter().position(|n| n == w).ok_or_else(|| ReadError::File {
                    path: path.display().to_string(),
                    message: format!("no column {w:?} (the header has {})", names.join(", ")),
                })
            })
            .collect()
    }

    /// CSV from any reader; `path` names it in errors.
    fn read_csv_from(
        &mut self,
        path: &Path,
        input: impl std::io::Read,
        progress: &mut dyn FnMut(u64),
    ) -> Result<(), ReadError> {
        let file_error = |message: String| ReadError::File { path: path.display().to_string(), message };
        let mut reader = csv::ReaderBuilder::new().from_reader(input);
        let header = reader.byte_headers().map_err(|e| file_error(e.to_string()))?.clone();
        let positions = self.positions(path, &header)?;
        self.read_records(path, &mut reader, &positions, 1, progress)
    }

    /// The records of `reader` (the row before the first is `row`), by the header's `positions`.
    fn read_records<R: std::io::Read>(
        &mut self,
        path: &Path,
        reader: &mut csv::Reader<R>,
        positions: &[usize],
        mut row: usize,
        progress: &mut dyn FnMut(u64),
    ) -> Result<(), ReadError> {
        let mut record = csv::ByteRecord::new();
        loop {
            row += 1;
            match reader.read_byte_record(&mut record) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    let message = match e.kind() {
                        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
                            format!("{len} fields, the header has {expected_len}")
                        }
                        _ => e.to_string(),
                    };
                    return Err(ReadError::Row { path: path.display().to_string(), row, message });
                }
            }
            let rec = &record;
            self.push(path, row, |role| rec.get(positions[role]))?;
            if row.is_multiple_of(65_536) {
                progress(reader.position().byte());
            }
        }
        Ok(())
    }

    /// A big CSV file read by two threads: the first half here (reporting progress), the second on a scoped thread
    /// from the start of the line after the middle; then the second's examples follow the first's.
    fn read_csv_split(&mut self, path: &Path, size: u64, progress: &mut dyn FnMut(u64)) -> Result<(), ReadError> {
        use std::io::{BufRead as _, Read as _, Seek as _};
        let io = |e: std::io::Error| ReadError::File { path: path.display().to_string(), message: e.to_string() };
        let mut file = std::io::BufReader::new(std::fs::File::open(path).map_err(io)?);
        let mut header_reader = csv::ReaderBuilder::new().from_reader(&mut file);
        let header = header_reader.byte_headers().map_err(|e| io(std::io::Error::other(e)))?.clone();
        let header_end = header_reader.position().byte();
        drop(header_reader);
        let positions = self.positions(path, &header)?;
        let mut probe = std::io::BufReader::new(std::fs::File::open(path).map_err(io)?);
        probe.seek(std::io::SeekFrom::Start(size / 2)).map_err(io)?;
        let mut rest_of_line = Vec::new();
        let middle = size / 2 + probe.read_until(b'\n', &mut rest_of_line).map_err(io)? as u64;
        let chunk = |start: u64,
                     end: u64|
         -> Result<csv::Reader<std::io::Take<std::io::BufReader<std::fs::File>>>, ReadError> {
            let mut f = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(path).map_err(io)?);
            f.seek(std::io::SeekFrom::Start(start)).map_err(io)?;
            Ok(csv::ReaderBuilder::new().has_headers(false).from_reader(f.take(end - start)))
        };
        let mut first = chunk(header_end, middle)?;
        let mut second = chunk(middle, size)?;
        let mut other = if self.classes.is_some() {
            Reader::multiclass(self.columns.clone())
        } else {
            Reader::new(self.columns.clone())
        };
        let (mine, theirs) = std::thread::scope(|scope| {
            let positions = &positions;
            let other = &mut other;
            let handle = scope.spawn(move || other.read_records(path, &mut second, positions, 0, &mut |_| {}));
            let mine = self.read_records(path, &mut first, positions, 1, &mut |b| progress(b * 2));
            (mine, handle.join())
        });
        mine?;
        let first_rows = self.examples.labels.len() + self.classes.as_ref().map_or(0, |c| c.truth.len()) + 1;
        match theirs {
            Ok(Ok(())) => {}
            // Rows of the second half count from the middle: add the first half's.
            Ok(Err(ReadError::Value { path, row, column, message })) => {
                return Err(ReadError::Value { path, row: row + first_rows, column, message });
            }
            Ok(Err(ReadError::Row { path, row, message })) => {
                return Err(ReadError::Row { path, row: row + first_rows, message });
            }
            Ok(Err(e)) => return Err(e),
            Err(_) => return Err(io(std::io::Error::other("the reading thread failed"))),
        }
        self.absorb(other);
        Ok(())
    }

    /// A Parquet file, row by row (only the columns asked for are decoded).
    fn read_parquet(&mut self, path: &Path, progress: &mut dyn FnMut(u64)) -> Result<(), ReadError> {
        let wanted: Vec<String> = self.wanted().iter().map(|w| w.to_string()).collect();
        let size = std::fs::metadata(path).map_or(0, |m| m.len());
        parquet_rows(path, Some(&wanted), None, &mut |row, fields, fraction| {
            if row.is_multiple_of(65_536) {
                progress((fraction * size as f64) as u64);
            }
            self.push(path, row, |role| fields[role].as_deref().map(str::as_bytes))
        })?;
        Ok(())
    }

    fn read_json_lines(&mut self, path: &Path, progress: &mut dyn FnMut(u64)) -> Result<(), ReadError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ReadError::File { path: path.display().to_string(), message: e.to_string() })?;
        let mut offset = 0u64;
        for (i, line) in text.lines().enumerate() {
            offset += line.len() as u64 + 1;
            if line.trim().is_empty() {
                continue;
            }
            let row = i + 1;
            if row.is_multiple_of(65_536) {
                progress(offset);
            }
            let value: serde_json::Value = serde_json::from_str(line).map_err(|e| ReadError::Value {
                path: path.display().to_string(),
                row,
                column: String::new(),
                message: format!("not JSON: {e}"),
            })?;
            let fields: HashMap<String, String> = value
                .as_object()
                .into_iter()
                .flatten()
                .filter_map(|(k, v)| {
                    let text = match v {
                        serde_json::Value::String(s) => s.clone(),
                        serde_json::Value::Null => return None,
                        serde_json::Value::Bool(b) => (if *b { "1" } else { "0" }).to_string(),
                        other => other.to_string(),
                    };
                    Some((k.clone(), text))
                })
                .collect();
            let wanted: Vec<String> = self.wanted().iter().map(|w| w.to_string()).collect();
            self.push(path, row, |role| fields.get(&wanted[role]).map(String::as_bytes))?;
        }
        Ok(())
    }

    fn finish(mut self) -> Examples {
        if let Some(c) = self.classes.take() {
            // Classes in natural order (numbers by value), codes renumbered to match.
            let mut order: Vec<usize> = (0..c.names.len()).collect();
            order.sort_by(|&a, &b| match (c.names[a].parse::<f64>(), c.names[b].parse::<f64>()) {
                (Ok(x), Ok(y)) => x.total_cmp(&y),
                _ => c.names[a].cmp(&c.names[b]),
            });
            let mut renumber = vec![0u32; order.len()];
            for (new, &old) in order.iter().enumerate() {
                renumber[old] = new as u32;
            }
            self.examples.classes = Some(Classes {
                names: order.iter().map(|&i| c.names[i].clone()).collect(),
                truth: c.truth.iter().map(|t| renumber[*t as usize]).collect(),
                predicted: c.predicted.iter().map(|p| renumber[*p as usize]).collect(),
            });
        }
        for (spec, raw) in self.columns.slices.iter().zip(self.raw) {
            let column = match raw {
                Raw::Text { values, codes, .. } => SliceColumn { name: spec.column.clone(), values, codes },
                Raw::Numbers(v) => binned(&spec.column, &v, &spec.binning),
            };
            self.examples.columns.push(column);
        }
        self.examples
    }
}

/// Edges for `n` bins of about equal counts.
fn quantile_edges(values: &[f64], n: usize) -> Vec<f64> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    if sorted.is_empty() {
        return Vec::new();
    }
    let mut edges: Vec<f64> = (1..n).map(|i| sorted[(i * sorted.len() / n).min(sorted.len() - 1)]).collect();
    edges.dedup();
    edges
}

fn short(v: f64) -> String {
    let text = format!("{v:.6}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A numeric column as bins `[a,b)` (the first `(-inf,a)`, the last `[z,inf)`).
fn binned(name: &str, values: &[f64], binning: &Binning) -> SliceColumn {
    let edges = match binning {
        Binning::Quantiles(n) => quantile_edges(values, *n),
        Binning::Edges(e) => e.clone(),
        Binning::Values => Vec::new(),
    };
    let mut names: Vec<String> = Vec::with_capacity(edges.len() + 1);
    for i in 0..=edges.len() {
        let lo = if i == 0 { "-inf".to_string() } else { short(edges[i - 1]) };
        let hi = if i == edges.len() { "inf".to_string() } else { short(edges[i]) };
        names.push(format!("[{lo},{hi})"));
    }
    let codes =
        values.iter().map(|v| if v.is_nan() { MISSING } else { edges.partition_point(|e| e <= v) as u32 }).collect();
    SliceColumn { name: name.to_string(), values: names, codes }
}

/// Reads every file (CSV, or JSON lines for `.json`/`.jsonl`) into one set of examples.
pub fn read(paths: &[PathBuf], columns: &Columns) -> Result<Examples, ReadError> {
    read_with_progress(paths, columns, &mut |_| {})
}

/// [`read`], telling `progress` the fraction of bytes read now and then.
pub fn read_with_progress(
    paths: &[PathBuf],
    columns: &Columns,
    progress: &mut dyn FnMut(f64),
) -> Result<Examples, ReadError> {
    let files = files(paths)?;
    let sizes: Vec<u64> = files.iter().map(|p| std::fs::metadata(p).map_or(0, |m| m.len())).collect();
    let total = sizes.iter().sum::<u64>().max(1) as f64;
    let mut reader = if is_multiclass(&files, columns)? {
        Reader::multiclass(columns.clone())
    } else {
        Reader::new(columns.clone())
    };
    let mut done = 0u64;
    for (path, size) in files.iter().zip(sizes) {
        let mut within = |bytes: u64| progress((done + bytes) as f64 / total);
        match path.extension().and_then(|e| e.to_str()) {
            Some("json" | "jsonl") => reader.read_json_lines(path, &mut within)?,
            Some("parquet" | "pq") => reader.read_parquet(path, &mut within)?,
            _ => reader.read_csv(path, &mut within)?,
        }
        done += size;
        progress(done as f64 / total);
    }
    Ok(reader.finish())
}

/// Whether the files hold a multi-class classifier's examples, by their first rows: labels other than 0 and 1, and
/// predictions that are classes (text or whole numbers) rather than scores. Labels other than 0 and 1 beside scores
/// are a binary classifier's mistake, said when read.
fn is_multiclass(files: &[PathBuf], columns: &Columns) -> Result<bool, ReadError> {
    let info = sample_columns(files, 1000)?;
    let find = |name: &str| info.iter().find(|c| c.name == name);
    Ok(match (find(&columns.label), find(&columns.prediction)) {
        (Some(label), Some(prediction)) => !label.binary && (!prediction.numeric || prediction.integral),
        _ => false,
    })
}

/// CSV text that is not a file (`name` names it in errors).
pub fn read_csv_text(name: &str, text: &str, columns: &Columns) -> Result<Examples, ReadError> {
    let mut reader = Reader::new(columns.clone());
    reader.read_csv_from(Path::new(name), text.as_bytes(), &mut |_| {})?;
    Ok(reader.finish())
}

/// What the first rows of a column look like: enough to guess its role.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnInfo {
    pub name: String,
    /// Every sampled value is a number.
    pub numeric: bool,
    /// Every sampled value is 0 or 1.
    pub binary: bool,
    /// Every sampled value is a number in [0, 1].
    pub unit: bool,
    /// Every sampled value is a whole number.
    pub integral: bool,
    /// Distinct values among the sample.
    pub distinct: usize,
}

/// The columns of the first file (a CSV header, or the keys of JSON lines) with a look at up to `rows` rows.
pub fn sample_columns(paths: &[PathBuf], rows: usize) -> Result<Vec<ColumnInfo>, ReadError> {
    let files = files(paths)?;
    let Some(path) = files.first() else {
        return Err(ReadError::File { path: String::new(), message: "no files".into() });
    };
    let file_error = |message: String| ReadError::File { path: path.display().to_string(), message };
    let mut names: Vec<String> = Vec::new();
    let mut values: Vec<Vec<String>> = Vec::new();
    match path.extension().and_then(|e| e.to_str()) {
        Some("parquet" | "pq") => {
            names = parquet_rows(path, None, Some(rows), &mut |_, fields, _| {
                values.resize(fields.len(), Vec::new());
                for (column, field) in values.iter_mut().zip(fields) {
                    column.push(field.clone().unwrap_or_default());
                }
                Ok(())
            })?;
            values.resize(names.len(), Vec::new());
        }
        Some("json" | "jsonl") => {
            use std::io::BufRead as _;
            let file = std::fs::File::open(path).map_err(|e| file_error(e.to_string()))?;
            for (i, line) in std::io::BufReader::new(file).lines().map_while(Result::ok).enumerate().take(rows) {
                if line.trim().is_empty() {
                    continue;
                }
                let value: serde_json::Value =
                    serde_json::from_str(&line).map_err(|e| file_error(format!("line {} is not JSON: {e}", i + 1)))?;
                for (k, v) in value.as_object().into_iter().flatten() {
                    let at = match names.iter().position(|n| n == k) {
                        Some(at) => at,
                        None => {
                            names.push(k.clone());
                            values.push(Vec::new());
                            names.len() - 1
                        }
                    };
                    values[at].push(match v {
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    });
                }
            }
        }
        _ => {
            let mut reader =
                csv::ReaderBuilder::new().flexible(true).from_path(path).map_err(|e| file_error(e.to_string()))?;
            names =
                reader.headers().map_err(|e| file_error(e.to_string()))?.iter().map(|h| h.trim().to_string()).collect();
            values = vec![Vec::new(); names.len()];
            for record in reader.records().take(rows) {
                let record = record.map_err(|e| file_error(e.to_string()))?;
                for (column, field) in values.iter_mut().zip(record.iter()) {
                    column.push(field.trim().to_string());
                }
            }
        }
    }
    if names.is_empty() {
        return Err(file_error("the file names no columns".into()));
    }
    Ok(names
        .into_iter()
        .zip(values)
        .map(|(name, sample)| {
            let present: Vec<&String> = sample.iter().filter(|v| !v.is_empty() && *v != "null").collect();
            let numbers: Vec<f64> = present.iter().filter_map(|v| v.parse::<f64>().ok()).collect();
            let numeric = !present.is_empty() && numbers.len() == present.len();
            let mut distinct: Vec<&String> = present.clone();
            distinct.sort();
            distinct.dedup();
            ColumnInfo {
                name,
                numeric,
                binary: numeric && numbers.iter().all(|v| *v == 0.0 || *v == 1.0),
                unit: numeric && numbers.iter().all(|v| (0.0..=1.0).contains(v)),
                integral: numeric && numbers.iter().all(|v| v.fract() == 0.0),
                distinct: distinct.len(),
            }
        })
        .collect())
}

/// Sensible first choices from the columns: the label (by name, else the first 0/1 column), the prediction (by
/// name, else a column of scores in [0, 1]), a weight column by name, and slices (the other columns: by value when
/// they have few values, numeric ones with many in 4 quantile bins).
pub fn guess(columns: &[ColumnInfo]) -> (Option<String>, Option<String>, Option<String>, Vec<String>) {
    let by_name = |candidates: &[&str]| {
        candidates.iter().find_map(|c| columns.iter().find(|n| n.name.eq_ignore_ascii_case(c))).map(|c| c.name.clone())
    };
    let label = by_name(&["label", "labels", "y", "target", "y_true", "truth"])
        .or_else(|| columns.iter().find(|c| c.binary).map(|c| c.name.clone()));
    let prediction = by_name(&["score", "prediction", "predictions", "prob", "probability", "y_pred", "y_score"])
        .or_else(|| {
            columns.iter().find(|c| c.unit && !c.binary && Some(&c.name) != label.as_ref()).map(|c| c.name.clone())
        });
    let weight = by_name(&["weight", "example_weight", "sample_weight", "weights"]);
    let taken = [&label, &prediction, &weight];
    let slices = columns
        .iter()
        .filter(|c| !taken.iter().any(|t| t.as_deref() == Some(c.name.as_str())))
        .filter_map(|c| match (c.numeric, c.distinct) {
            (true, d) if d > 12 => Some(format!("{}:bins=4", c.name)),
            (_, 1..=50) => Some(c.name.clone()),
            _ => None,
        })
        .take(4)
        .collect();
    (label, prediction, weight, slices)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns(slices: &[&str]) -> Columns {
        Columns {
            label: "label".into(),
            prediction: "score".into(),
            weight: None,
            slices: slices.iter().map(|s| SliceSpec::parse(s).unwrap()).collect(),
        }
    }

    #[test]
    fn csv_and_json_lines_read_into_the_same_examples() {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("a.csv");
        std::fs::write(&csv, "label,score,region,hour\n1,0.9,eu,3\n0,0.2,us,14\n1,0.7,,22\n").unwrap();
        let jsonl = dir.path().join("b.jsonl");
        std::fs::write(&jsonl, "{\"label\": 0, \"score\": 0.4, \"region\": \"eu\", \"hour\": 9}\n").unwrap();
        let ex = read(&[dir.path().to_path_buf()], &columns(&["region", "hour:edges=6,12,18"])).unwrap();
        assert_eq!(ex.labels, [1.0, 0.0, 1.0, 0.0]);
        assert_eq!(ex.columns[0].values, ["eu", "us"]);
        assert_eq!(ex.columns[0].codes, [0, 1, MISSING, 0]);
        assert_eq!(ex.columns[1].values, ["[-inf,6)", "[6,12)", "[12,18)", "[18,inf)"]);
        assert_eq!(ex.columns[1].codes, [0, 2, 3, 1]);
    }

    #[test]
    fn bad_files_say_where() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let p = dir.path().join(name);
            std::fs::write(&p, text).unwrap();
            p
        };
        let wrong = write("wrong.csv", "y,score\n1,0.5\n");
        let e = read(&[wrong], &columns(&[])).unwrap_err().to_string();
        assert!(e.contains("no column \"label\"") && e.contains("y, score"), "{e}");
        let text = write("text.csv", "label,score\n1,0.5\n0,high\n");
        let e = read(&[text], &columns(&[])).unwrap_err().to_string();
        assert!(e.contains("row 3, column score") && e.contains("\"high\" is not a number"), "{e}");
        let ragged = write("ragged.csv", "label,score\n1,0.5\n0,0.1,extra\n");
        let e = read(&[ragged], &columns(&[])).unwrap_err().to_string();
        assert!(e.contains("ragged.csv, row 3: 3 fields, the header has 2"), "{e}");
        let labels = write("labels.csv", "label,score\n2,0.5\n");
        assert!(read(&[labels], &columns(&[])).unwrap_err().to_string().contains("not 0 or 1"));
        assert!(SliceSpec::parse("hour:bins=1").is_err() && SliceSpec::parse("hour:edges=a").is_err());
    }

    /// A Parquet file of these rows (label, score, region with nulls), Snappy-compressed as pandas writes them.
    fn write_parquet(path: &Path, rows: &[(i32, f64, Option<&str>)]) {
        use parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int32Type};
        let schema = parquet::schema::parser::parse_message_type(
            "message eval { REQUIRED INT32 label; REQUIRED DOUBLE score; OPTIONAL BYTE_ARRAY region (UTF8); }",
        )
        .unwrap();
        let props = parquet::file::properties::WriterProperties::builder()
            .set_compression(parquet::basic::Compression::SNAPPY)
            .build();
        let file = std::fs::File::create(path).unwrap();
        let mut writer = parquet::file::writer::SerializedFileWriter::new(file, schema.into(), props.into()).unwrap();
        let mut group = writer.next_row_group().unwrap();
        let labels: Vec<i32> = rows.iter().map(|r| r.0).collect();
        let scores: Vec<f64> = rows.iter().map(|r| r.1).collect();
        let regions: Vec<ByteArray> = rows.iter().filter_map(|r| r.2).map(ByteArray::from).collect();
        let levels: Vec<i16> = rows.iter().map(|r| i16::from(r.2.is_some())).collect();
        let mut column = group.next_column().unwrap().unwrap();
        column.typed::<Int32Type>().write_batch(&labels, None, None).unwrap();
        column.close().unwrap();
        let mut column = group.next_column().unwrap().unwrap();
        column.typed::<DoubleType>().write_batch(&scores, None, None).unwrap();
        column.close().unwrap();
        let mut column = group.next_column().unwrap().unwrap();
        column.typed::<ByteArrayType>().write_batch(&regions, Some(&levels), None).unwrap();
        column.close().unwrap();
        group.close().unwrap();
        writer.close().unwrap();
    }

    #[test]
    fn parquet_reads_like_csv_and_bad_parquet_says_why() {
        let dir = tempfile::tempdir().unwrap();
        let rows = [(1, 0.9, Some("eu")), (0, 0.2, Some("us")), (1, 0.7, None), (0, 0.4, Some("eu"))];
        let parquet = dir.path().join("eval.parquet");
        write_parquet(&parquet, &rows);
        let csv = dir.path().join("eval.csv");
        std::fs::write(&csv, "label,score,region\n1,0.9,eu\n0,0.2,us\n1,0.7,\n0,0.4,eu\n").unwrap();
        let from_parquet = read(std::slice::from_ref(&parquet), &columns(&["region"])).unwrap();
        let from_csv = read(&[csv], &columns(&["region"])).unwrap();
        assert_eq!(from_parquet, from_csv);
        assert_eq!(from_parquet.columns[0].codes, [0, 1, MISSING, 0]);
        let info = sample_columns(std::slice::from_ref(&parquet), 10).unwrap();
        assert_eq!(info.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["label", "score", "region"]);
        assert!(info[0].binary && info[1].unit);
        // A column it lacks, a file cut short, and one that is no Parquet at all.
        let e = read(std::slice::from_ref(&parquet), &columns(&["camera"])).unwrap_err().to_string();
        assert!(e.contains("no column \"camera\" (the file has label, score, region)"), "{e}");
        let bytes = std::fs::read(&parquet).unwrap();
        let cut = dir.path().join("cut.parquet");
        std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
        let e = read(&[cut], &columns(&[])).unwrap_err().to_string();
        assert!(e.contains("cut.parquet: not a readable Parquet file"), "{e}");
        let text = dir.path().join("text.parquet");
        std::fs::write(&text, "label,score\n1,0.5\n").unwrap();
        assert!(read(&[text], &columns(&[])).unwrap_err().to_string().contains("not a readable Parquet file"));
    }

    #[test]
    fn multiclass_examples_are_read_as_classes() {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("animals.csv");
        std::fs::write(&csv, "label,predicted,camera\ndog,dog,phone\ncat,dog,phone\nbird,bird,\ncat,cat,webcam\n")
            .unwrap();
        let mut cols = columns(&["camera"]);
        cols.prediction = "predicted".into();
        let ex = read(std::slice::from_ref(&csv), &cols).unwrap();
        let classes = ex.classes.clone().unwrap();
        assert_eq!(classes.names, ["bird", "cat", "dog"]);
        assert_eq!((classes.truth, classes.predicted), (vec![2, 1, 0, 1], vec![2, 2, 0, 1]));
        assert_eq!((ex.len(), ex.labels.len()), (4, 0));
        assert_eq!(ex.columns[0].codes, [0, 0, MISSING, 1]);
        // Labels other than 0 and 1 beside scores stay a binary classifier's mistake.
        let scores = dir.path().join("scores.csv");
        std::fs::write(&scores, "label,score\n2,0.5\n0,0.25\n").unwrap();
        assert!(read(&[scores], &columns(&[])).unwrap_err().to_string().contains("not 0 or 1"));
        // A missing class says where.
        let gap = dir.path().join("gap.csv");
        std::fs::write(&gap, "label,predicted\ndog,cat\ncat,\n").unwrap();
        cols.slices.clear();
        let e = read(&[gap], &cols).unwrap_err().to_string();
        assert!(e.contains("row 3, column predicted: no class"), "{e}");
    }

    #[test]
    fn columns_are_sampled_and_roles_guessed() {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("e.csv");
        let mut text = String::from("id,y,p,region,hour\n");
        for i in 0..40 {
            text.push_str(&format!("{i},{},{},r{},{}\n", i % 2, f64::from(i) / 40.0, i % 3, i % 24));
        }
        std::fs::write(&csv, text).unwrap();
        let info = sample_columns(&[csv], 100).unwrap();
        assert_eq!(info.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["id", "y", "p", "region", "hour"]);
        assert!(info[1].binary && info[2].unit && !info[2].binary && !info[3].numeric);
        let (label, prediction, weight, slices) = guess(&info);
        assert_eq!((label.as_deref(), prediction.as_deref(), weight), (Some("y"), Some("p"), None));
        assert_eq!(slices, ["id:bins=4", "region", "hour:bins=4"]);
    }

    #[test]
    fn quantile_bins_hold_about_equal_counts() {
        let values: Vec<f64> = (0..100).map(f64::from).collect();
        let col = binned("x", &values, &Binning::Quantiles(4));
        let mut counts = vec![0; col.values.len()];
        for c in &col.codes {
            counts[*c as usize] += 1;
        }
        assert_eq!(counts, [25, 25, 25, 25]);
        assert_eq!(col.values[0], "[-inf,25)");
    }
}
