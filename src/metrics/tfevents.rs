//! TensorBoard event files (`events.out.tfevents.*`): TFRecord framing — `u64 length | masked CRC-32C of the
//! length | data | masked CRC-32C of the data`, little-endian — around `Event` protocol buffers, decoded with prost.
//! Scalars come from TF1 `simple_value` summaries and from TF2 `tensor` summaries of the scalars plugin (whose
//! metadata only the first value of a tag carries, so the reader remembers scalar tags across records and reads).
//!
//! A file still being written ends in a partial record: reading stops before it and the next read starts there.
//! A record whose data fails its CRC is reported and skipped; a length that fails its CRC is reported and the reader
//! looks for the next intact record, so the rest of the file is still read.

use std::collections::HashMap;
use std::fmt;
use std::io::{Read as _, Seek as _, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use prost::Message as _;

/// One scalar value of a tag.
#[derive(Debug, Clone, PartialEq)]
pub struct Scalar {
    /// Shared by every value of the tag (a file holds few tags and very many values).
    pub tag: Arc<str>,
    pub step: i64,
    /// Unix seconds.
    pub wall_time: f64,
    pub value: f64,
}

/// Something in a file that could not be read, at a byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// A record's length failed its CRC; the reader skipped to the next intact record (`resumed_at`, if any).
    CorruptLength { offset: u64, resumed_at: Option<u64> },
    /// A record's data failed its CRC; the record was skipped.
    CorruptData { offset: u64 },
    /// A record's data is not an `Event`.
    NotAnEvent { offset: u64, why: String },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::CorruptLength { offset, resumed_at: Some(at) } => {
                write!(
                    f,
                    "offset {offset}: record length fails its CRC; resumed at the next intact record, offset {at}"
                )
            }
            Problem::CorruptLength { offset, resumed_at: None } => {
                write!(f, "offset {offset}: record length fails its CRC; no intact record after it")
            }
            Problem::CorruptData { offset } => write!(f, "offset {offset}: record data fails its CRC (record skipped)"),
            Problem::NotAnEvent { offset, why } => write!(f, "offset {offset}: not an Event ({why})"),
        }
    }
}

/// What one read of a stretch of a file gave.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Chunk {
    pub scalars: Vec<Scalar>,
    pub problems: Vec<Problem>,
    /// Bytes read up to the end of the last whole record: the next read starts there.
    pub consumed: usize,
    /// The stretch ended inside a record (normal while the file is being written).
    pub truncated: bool,
}

const HEADER: usize = 12;
const FOOTER: usize = 4;

/// TFRecord's masked CRC-32C.
pub fn masked_crc(data: &[u8]) -> u32 {
    let c = crc32c::crc32c(data);
    (c.rotate_right(15)).wrapping_add(0xa282_ead8)
}

/// The tags of one file met so far: each name once (values share it), and whether the tag's metadata declared it
/// a scalar — TF2 writes that metadata with a tag's first value only, so it must outlive the read that saw it.
#[derive(Debug, Default)]
pub struct Tags {
    /// The first few tags, searched in order: a training loop logs a handful, and a short scan beats hashing.
    few: Vec<(Arc<str>, bool)>,
    /// The rest, when a file has many.
    many: HashMap<Box<[u8]>, (Arc<str>, bool)>,
}

/// How many tags are kept in the list before the map takes the rest.
const FEW_TAGS: usize = 16;

impl Tags {
    /// The shared name of `raw`, and whether it is a declared scalar (now, if `declared`).
    fn intern(&mut self, raw: &[u8], declared: bool) -> Option<(Arc<str>, bool)> {
        let known = match self.few.iter_mut().find(|(name, _)| name.as_bytes() == raw) {
            Some(entry) => Some(entry),
            None => self.many.get_mut(raw),
        };
        if let Some((name, scalar)) = known {
            *scalar |= declared;
            return Some((name.clone(), *scalar));
        }
        // A tag is a protobuf string: anything not UTF-8 is not one.
        let name: Arc<str> = std::str::from_utf8(raw).ok()?.into();
        if self.few.len() < FEW_TAGS {
            self.few.push((name.clone(), declared));
        } else {
            self.many.insert(raw.into(), (name.clone(), declared));
        }
        Some((name, declared))
    }

    fn clear(&mut self) {
        self.few.clear();
        self.many.clear();
    }
}

/// Reads the records of `data` (which starts at byte `base` of its file). `tags` carries what earlier reads of the
/// same file learnt about its tags.
pub fn read_records(data: &[u8], base: u64, tags: &mut Tags) -> Chunk {
    let mut chunk = Chunk::default();
    // Room for one scalar per record (most scalar events hold one), so the list is not copied as it grows.
    chunk.scalars.reserve(count_records(data));
    read_shared(&Bytes::copy_from_slice(data), base, tags, false, &mut chunk);
    chunk
}

/// [`read_records`] on shared bytes (decoded strings and byte fields are views into `data`, not copies), adding
/// to `chunk`. `more` says the file goes on past `data`: a corrupt length with no intact record after it in `data`
/// is then left for the next read, which sees further.
fn read_shared(data: &Bytes, base: u64, tags: &mut Tags, more: bool, chunk: &mut Chunk) {
    chunk.truncated = false;
    let mut at = 0usize;
    while at < data.len() {
        let Some(header) = data.get(at..at + HEADER) else {
            chunk.truncated = true;
            break;
        };
        let (len_bytes, len_crc) = header.split_at(8);
        let length_ok = masked_crc(len_bytes) == u32::from_le_bytes(len_crc.try_into().unwrap_or_default());
        if !length_ok {
            let resume = next_intact_header(data, at + 1);
            if resume.is_none() && more {
                chunk.truncated = true;
                break;
            }
            chunk
                .problems
                .push(Problem::CorruptLength { offset: base + at as u64, resumed_at: resume.map(|r| base + r as u64) });
            match resume {
                Some(r) => {
                    at = r;
                    continue;
                }
                None => {
                    // Nothing intact follows: the rest is unreadable now, and will stay so.
                    at = data.len();
                    break;
                }
            }
        }
        let length = u64::from_le_bytes(len_bytes.try_into().unwrap_or_default());
        let end = usize::try_from(length)
            .ok()
            .and_then(|l| l.checked_add(at + HEADER + FOOTER))
            .filter(|end| *end <= data.len());
        let Some(end) = end else {
            chunk.truncated = true;
            break;
        };
        let payload = &data[at + HEADER..end - FOOTER];
        let crc = u32::from_le_bytes(data[end - FOOTER..end].try_into().unwrap_or_default());
        if masked_crc(payload) != crc {
            chunk.problems.push(Problem::CorruptData { offset: base + at as u64 });
        } else {
            match proto::Event::decode(data.slice(at + HEADER..end - FOOTER)) {
                Ok(event) => scalars_of(event, tags, &mut chunk.scalars),
                Err(e) => chunk.problems.push(Problem::NotAnEvent { offset: base + at as u64, why: e.to_string() }),
            }
        }
        at = end;
    }
    chunk.consumed = at;
}

/// How many records the framing of `data` announces (lengths only, unchecked: an estimate for allocation).
fn count_records(data: &[u8]) -> usize {
    let (mut at, mut n) = (0usize, 0usize);
    while let Some(len) = data.get(at..at + 8) {
        let length = u64::from_le_bytes(len.try_into().unwrap_or_default());
        match usize::try_from(length).ok().and_then(|l| l.checked_add(at + HEADER + FOOTER)) {
            Some(end) if end <= data.len() => {
                n += 1;
                at = end;
            }
            _ => break,
        }
    }
    n
}

/// One framed record around `data`, as TFRecord writers write it.
pub fn frame(data: &[u8]) -> Vec<u8> {
    let len = (data.len() as u64).to_le_bytes();
    let mut out = Vec::with_capacity(data.len() + HEADER + FOOTER);
    out.extend(len);
    out.extend(masked_crc(&len).to_le_bytes());
    out.extend(data);
    out.extend(masked_crc(data).to_le_bytes());
    out
}

/// The first record of an event file (its `file_version`).
pub fn version_record() -> Vec<u8> {
    frame(&proto::Event { file_version: Some("brain.Event:2".into()), ..Default::default() }.encode_to_vec())
}

/// A TF1-style scalar event (`simple_value`), framed.
pub fn scalar_record(tag: &str, step: i64, wall_time: f64, value: f32) -> Vec<u8> {
    let value = proto::SummaryValue {
        tag: Bytes::copy_from_slice(tag.as_bytes()),
        simple_value: Some(value),
        ..Default::default()
    };
    let summary = Some(proto::Summary { value: vec![value] });
    frame(&proto::Event { wall_time, step, summary, ..Default::default() }.encode_to_vec())
}

/// The first offset from `from` where a header's length passes its CRC.
fn next_intact_header(data: &[u8], from: usize) -> Option<usize> {
    (from..data.len().saturating_sub(HEADER - 1)).find(|&i| {
        let (len, crc) = data[i..i + HEADER].split_at(8);
        masked_crc(len) == u32::from_le_bytes(crc.try_into().unwrap_or_default())
    })
}

/// The plugin TF2 writes scalar summaries for, and TensorBoard's data class for scalars.
const SCALARS_PLUGIN: &str = "scalars";
const DATA_CLASS_SCALAR: i32 = 1;

fn scalars_of(event: proto::Event, tags: &mut Tags, out: &mut Vec<Scalar>) {
    let Some(summary) = event.summary else { return };
    for value in summary.value {
        let declared = value.metadata.as_ref().is_some_and(|m| {
            m.plugin_data.as_ref().is_some_and(|p| &p.plugin_name[..] == SCALARS_PLUGIN.as_bytes())
                || m.data_class == DATA_CLASS_SCALAR
        });
        let Some((tag, scalar)) = tags.intern(&value.tag, declared) else { continue };
        let number = if let Some(v) = value.simple_value {
            Some(f64::from(v))
        } else if let Some(t) = value.tensor.as_ref().filter(|_| scalar) {
            tensor_scalar(t)
        } else {
            None
        };
        if let Some(v) = number {
            out.push(Scalar { tag, step: event.step, wall_time: event.wall_time, value: v });
        }
    }
}

/// The one number of a scalar tensor, from its typed field or its raw content.
fn tensor_scalar(t: &proto::TensorProto) -> Option<f64> {
    const FLOAT: i32 = 1;
    const DOUBLE: i32 = 2;
    const INT32: i32 = 3;
    const INT64: i32 = 9;
    const HALF: i32 = 19;
    const BFLOAT16: i32 = 14;
    if let Some(v) = t.float_val.first() {
        return Some(f64::from(*v));
    }
    if let Some(v) = t.double_val.first() {
        return Some(*v);
    }
    let raw = &t.tensor_content[..];
    match t.dtype {
        FLOAT => raw.get(..4).map(|b| f64::from(f32::from_le_bytes(b.try_into().unwrap_or_default()))),
        DOUBLE => raw.get(..8).map(|b| f64::from_le_bytes(b.try_into().unwrap_or_default())),
        INT32 => t.int_val.first().map(|v| f64::from(*v)),
        INT64 => t.int64_val.first().map(|v| *v as f64),
        HALF => t.half_val.first().map(|v| f64::from(half_to_f32(*v as u16))),
        BFLOAT16 => t.half_val.first().map(|v| f64::from(f32::from_bits(u32::from(*v as u16) << 16))),
        _ => None,
    }
}

/// IEEE half precision → f32.
fn half_to_f32(h: u16) -> f32 {
    let sign = if h & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = i32::from((h >> 10) & 0x1f);
    let frac = f32::from(h & 0x3ff);
    match exp {
        0 => sign * frac * 2f32.powi(-24),
        31 if frac == 0.0 => sign * f32::INFINITY,
        31 => f32::NAN,
        e => sign * (1.0 + frac / 1024.0) * 2f32.powi(e - 15),
    }
}

/// One event file being read, perhaps while it is still written: each [`EventFile::poll`] reads what was added.
#[derive(Debug)]
pub struct EventFile {
    pub path: PathBuf,
    offset: u64,
    tags: Tags,
}

impl EventFile {
    pub fn new(path: PathBuf) -> Self {
        Self { path, offset: 0, tags: Tags::default() }
    }

    /// Reads the whole records written since the last poll, a piece of [`PIECE`] bytes at a time into one reused
    /// buffer (a large file is never held whole; a record longer than a piece grows the buffer until it is whole).
    pub fn poll(&mut self) -> std::io::Result<Chunk> {
        let mut file = std::fs::File::open(&self.path)?;
        let len = file.metadata()?.len();
        if len < self.offset {
            // Replaced by a shorter file: start over.
            self.offset = 0;
            self.tags.clear();
        }
        file.seek(SeekFrom::Start(self.offset))?;
        let mut out = Chunk::default();
        let mut piece = Chunk::default();
        let mut buffer = BytesMut::with_capacity(PIECE);
        let mut at = self.offset;
        loop {
            let kept = buffer.len();
            buffer.resize(kept + PIECE, 0);
            let read = read_fully(&mut file, &mut buffer[kept..])?;
            buffer.truncate(kept + read);
            let more = read == PIECE;
            let data = buffer.split().freeze();
            piece.scalars.reserve(count_records(&data));
            read_shared(&data, at, &mut self.tags, more, &mut piece);
            if out.scalars.is_empty() && more && !data.is_empty() {
                // Room for the whole file's scalars at this piece's density, so the list is not copied as it grows.
                let remaining = usize::try_from(len.saturating_sub(at)).unwrap_or(0);
                out.scalars.reserve(piece.scalars.len().saturating_mul(remaining / data.len().max(1) + 1));
            }
            out.scalars.append(&mut piece.scalars);
            out.problems.append(&mut piece.problems);
            at += piece.consumed as u64;
            out.truncated = piece.truncated;
            // The partial record left, at the front of the same allocation (reclaimed: no view of it is left).
            let rest = data.get(piece.consumed..).map(<[u8]>::to_vec).unwrap_or_default();
            drop(data);
            buffer.reserve(PIECE + rest.len());
            buffer.extend_from_slice(&rest);
            if !more {
                break;
            }
        }
        out.consumed = usize::try_from(at - self.offset).unwrap_or(usize::MAX);
        self.offset = at;
        Ok(out)
    }
}

/// How much of an event file is read at a time.
pub const PIECE: usize = 4 << 20;

/// Fills `buf` from `file` as far as the file goes; how many bytes were read.
fn read_fully(file: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Whether a file name is a TensorBoard event file's.
pub fn is_event_file(path: &Path) -> bool {
    path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.contains("tfevents"))
}

/// The event files under `root` (itself, if it is one), as (run, path): the run is the folder's path relative to
/// `root` (`.` for `root` itself, as TensorBoard names it), files in name order within a run.
pub fn find_runs(root: &Path) -> std::io::Result<Vec<(String, PathBuf)>> {
    if root.is_file() {
        return Ok(vec![(".".into(), root.to_path_buf())]);
    }
    let mut out = Vec::new();
    let mut folders = vec![root.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&folder)?.flatten().map(|e| e.path()).collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                folders.push(path);
            } else if is_event_file(&path) {
                let run = folder.strip_prefix(root).ok().map(|p| p.display().to_string()).filter(|r| !r.is_empty());
                out.push((run.unwrap_or_else(|| ".".into()), path));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The messages of TensorFlow's `event.proto`, `summary.proto` and `tensor.proto` that scalars live in (only the
/// fields read here; prost skips the others).
mod proto {
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Event {
        #[prost(double, tag = "1")]
        pub wall_time: f64,
        #[prost(int64, tag = "2")]
        pub step: i64,
        #[prost(string, optional, tag = "3")]
        pub file_version: Option<String>,
        #[prost(message, optional, tag = "5")]
        pub summary: Option<Summary>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Summary {
        #[prost(message, repeated, tag = "1")]
        pub value: Vec<SummaryValue>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct SummaryValue {
        /// A string on the wire, read as bytes so decoding shares the file's buffer instead of copying.
        #[prost(bytes = "bytes", tag = "1")]
        pub tag: bytes::Bytes,
        #[prost(float, optional, tag = "2")]
        pub simple_value: Option<f32>,
        // Boxed: most values are `simple_value`s, and a value this size is cheap to move into its list.
        #[prost(message, optional, boxed, tag = "8")]
        pub tensor: Option<Box<TensorProto>>,
        #[prost(message, optional, boxed, tag = "9")]
        pub metadata: Option<Box<SummaryMetadata>>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct SummaryMetadata {
        #[prost(message, optional, tag = "1")]
        pub plugin_data: Option<PluginData>,
        #[prost(int32, tag = "4")]
        pub data_class: i32,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct PluginData {
        #[prost(bytes = "bytes", tag = "1")]
        pub plugin_name: bytes::Bytes,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct TensorProto {
        #[prost(int32, tag = "1")]
        pub dtype: i32,
        #[prost(bytes = "bytes", tag = "4")]
        pub tensor_content: bytes::Bytes,
        #[prost(float, repeated, tag = "5")]
        pub float_val: Vec<f32>,
        #[prost(double, repeated, tag = "6")]
        pub double_val: Vec<f64>,
        #[prost(int32, repeated, tag = "7")]
        pub int_val: Vec<i32>,
        #[prost(int64, repeated, tag = "10")]
        pub int64_val: Vec<i64>,
        #[prost(int32, repeated, tag = "13")]
        pub half_val: Vec<i32>,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn record(data: &[u8]) -> Vec<u8> {
        frame(data)
    }

    fn scalar_event(tag: &str, step: i64, value: f32) -> Vec<u8> {
        proto::Event {
            wall_time: 1000.0 + step as f64,
            step,
            summary: Some(proto::Summary {
                value: vec![proto::SummaryValue {
                    tag: Bytes::copy_from_slice(tag.as_bytes()),
                    simple_value: Some(value),
                    ..Default::default()
                }],
            }),
            ..Default::default()
        }
        .encode_to_vec()
    }

    fn file(n: i64) -> Vec<u8> {
        let mut out =
            record(&proto::Event { file_version: Some("brain.Event:2".into()), ..Default::default() }.encode_to_vec());
        for step in 0..n {
            out.extend(record(&scalar_event("loss", step, 1.0 / (step + 1) as f32)));
        }
        out
    }

    #[test]
    fn the_crc_is_tfrecord_s_masked_crc32c() {
        // CRC-32C of "123456789" is 0xe3069283 (the standard check value).
        assert_eq!(crc32c::crc32c(b"123456789"), 0xe306_9283);
        assert_eq!(masked_crc(b"123456789"), 0xe306_9283_u32.rotate_right(15).wrapping_add(0xa282_ead8));
    }

    #[test]
    fn a_partial_last_record_is_left_for_the_next_read() {
        let data = file(5);
        let cut = data.len() - 7;
        let mut tags = Tags::default();
        let chunk = read_records(&data[..cut], 0, &mut tags);
        assert_eq!(chunk.scalars.len(), 4);
        assert!(chunk.truncated && chunk.problems.is_empty());
        let rest = read_records(&data[chunk.consumed..], chunk.consumed as u64, &mut tags);
        assert_eq!(rest.scalars.iter().map(|s| s.step).collect::<Vec<_>>(), [4]);
        assert!(!rest.truncated);
    }

    #[test]
    fn corrupt_records_are_reported_with_their_offset_and_the_rest_is_read() {
        let records: Vec<Vec<u8>> = (0..6).map(|step| record(&scalar_event("loss", step, 0.5))).collect();
        let starts: Vec<usize> = records.iter().scan(0, |at, r| Some(std::mem::replace(at, *at + r.len()))).collect();
        let mut data = records.concat();
        // Flip a bit in the data of step 1, and in the length of step 3.
        data[starts[1] + HEADER + 2] ^= 0x10;
        data[starts[3]] ^= 0x01;
        let chunk = read_records(&data, 0, &mut Tags::default());
        let steps: Vec<i64> = chunk.scalars.iter().map(|s| s.step).collect();
        assert_eq!(steps, [0, 2, 4, 5]);
        assert_eq!(
            chunk.problems,
            [
                Problem::CorruptData { offset: starts[1] as u64 },
                Problem::CorruptLength { offset: starts[3] as u64, resumed_at: Some(starts[4] as u64) },
            ]
        );
        assert!(chunk.problems[1].to_string().contains("resumed at the next intact record"));
    }

    #[test]
    fn a_huge_length_field_is_a_partial_record_not_an_allocation() {
        let len = u64::MAX.to_le_bytes();
        let mut data = len.to_vec();
        data.extend(masked_crc(&len).to_le_bytes());
        data.extend([0u8; 32]);
        let chunk = read_records(&data, 0, &mut Tags::default());
        assert!(chunk.truncated && chunk.scalars.is_empty() && chunk.consumed == 0);
    }

    #[test]
    fn tf2_scalars_need_the_metadata_of_the_tag_s_first_value() {
        let tensor_value = |tag: &str, v: f32, with_metadata: bool| proto::SummaryValue {
            tag: Bytes::copy_from_slice(tag.as_bytes()),
            tensor: Some(Box::new(proto::TensorProto {
                dtype: 1,
                tensor_content: Bytes::copy_from_slice(&v.to_le_bytes()),
                ..Default::default()
            })),
            metadata: with_metadata.then(|| {
                Box::new(proto::SummaryMetadata {
                    plugin_data: Some(proto::PluginData { plugin_name: Bytes::from_static(b"scalars") }),
                    data_class: 1,
                })
            }),
            ..Default::default()
        };
        let event = |step, values| {
            record(
                &proto::Event { step, summary: Some(proto::Summary { value: values }), ..Default::default() }
                    .encode_to_vec(),
            )
        };
        let mut data = event(1, vec![tensor_value("acc", 0.5, true), tensor_value("image", 9.0, false)]);
        data.extend(event(2, vec![tensor_value("acc", 0.75, false)]));
        let chunk = read_records(&data, 0, &mut Tags::default());
        let got: Vec<(&str, i64, f64)> = chunk.scalars.iter().map(|s| (&*s.tag, s.step, s.value)).collect();
        assert_eq!(got, [("acc", 1, 0.5), ("acc", 2, 0.75)], "a tensor of an unknown tag is not a scalar");
    }

    #[test]
    fn a_file_longer_than_a_piece_is_read_whole_across_pieces_and_tailed_after() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("events.out.tfevents.1.pieces");
        let mut data = version_record();
        let mut starts = Vec::new();
        let n = PIECE / 40 + 5_000;
        for i in 0..n {
            starts.push(data.len());
            data.extend(scalar_record(["loss", "accuracy"][i % 2], i as i64, 1.0, 0.5));
        }
        assert!(data.len() > PIECE, "the file spans pieces");
        // A corrupt length in the second piece: reported once, the rest still read.
        let corrupt = starts.iter().position(|&s| s > PIECE + 1000).expect("a record in the second piece");
        data[starts[corrupt]] ^= 0x40;
        let cut = data.len() - 5;
        std::fs::write(&path, &data[..cut]).expect("write");
        let mut file = EventFile::new(path.clone());
        let chunk = file.poll().expect("poll");
        assert_eq!(chunk.problems.len(), 1, "{:?}", chunk.problems);
        assert!(chunk.truncated, "the last record is cut");
        assert_eq!(chunk.scalars.len(), n - 2, "all but the corrupt record and the cut last one");
        assert!(chunk.scalars.windows(2).all(|w| w[0].step < w[1].step), "in file order");
        std::fs::write(&path, &data).expect("finish the file");
        let rest = file.poll().expect("poll again");
        assert_eq!(rest.scalars.iter().map(|s| s.step).collect::<Vec<_>>(), [n as i64 - 1]);
    }

    #[test]
    fn half_floats() {
        assert_eq!(half_to_f32(0x3c00), 1.0);
        assert_eq!(half_to_f32(0xc000), -2.0);
        assert_eq!(half_to_f32(0x3555), 0.333_251_95);
    }

    proptest::proptest! {
        #[test]
        fn random_bytes_never_panic(data in proptest::collection::vec(proptest::num::u8::ANY, 0..2048)) {
            let chunk = read_records(&data, 0, &mut Tags::default());
            proptest::prop_assert!(chunk.consumed <= data.len());
        }

        #[test]
        fn mutated_files_never_panic_and_keep_most_records(flips in proptest::collection::vec((0usize..4000, 0u8..8), 1..6), cut in 0usize..4000) {
            let mut data = file(60);
            for (at, bit) in flips {
                let at = at % data.len();
                data[at] ^= 1 << bit;
            }
            data.truncate(data.len() - cut % data.len());
            let chunk = read_records(&data, 0, &mut Tags::default());
            proptest::prop_assert!(chunk.consumed <= data.len());
            proptest::prop_assert!(chunk.scalars.iter().all(|s| &*s.tag == "loss" || !chunk.problems.is_empty()));
        }
    }
}
