//! The part of SPDY/3.1 that kubectl's port-forward speaks: control frames to open, answer and reset streams,
//! data frames, PING, and header blocks compressed with one zlib stream per direction over SPDY's preset
//! dictionary. kubectl tunnels it through a WebSocket (subprotocol `SPDY/3.1+portforward.k8s.io`); the server side
//! here answers the streams the client opens and never opens any itself.

use std::sync::OnceLock;

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress};

/// Frame types of SPDY/3 control frames.
const SYN_STREAM: u16 = 1;
const SYN_REPLY: u16 = 2;
const RST_STREAM: u16 = 3;
const PING: u16 = 6;
const GOAWAY: u16 = 7;
const HEADERS: u16 = 8;
const FLAG_FIN: u8 = 0x01;

/// The header names SPDY/3 primes its zlib streams with, each as a 4-byte big-endian length and the name.
const DICTIONARY_ENTRIES: &[&str] = &[
    "options",
    "head",
    "post",
    "put",
    "delete",
    "trace",
    "accept",
    "accept-charset",
    "accept-encoding",
    "accept-language",
    "accept-ranges",
    "age",
    "allow",
    "authorization",
    "cache-control",
    "connection",
    "content-base",
    "content-encoding",
    "content-language",
    "content-length",
    "content-location",
    "content-md5",
    "content-range",
    "content-type",
    "date",
    "etag",
    "expect",
    "expires",
    "from",
    "host",
    "if-match",
    "if-modified-since",
    "if-none-match",
    "if-range",
    "if-unmodified-since",
    "last-modified",
    "location",
    "max-forwards",
    "pragma",
    "proxy-authenticate",
    "proxy-authorization",
    "range",
    "referer",
    "retry-after",
    "server",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "user-agent",
    "vary",
    "via",
    "warning",
    "www-authenticate",
    "method",
    "get",
    "status",
    "200 OK",
    "version",
    "HTTP/1.1",
    "url",
    "public",
    "set-cookie",
    "keep-alive",
    "origin",
];

/// …followed by common values, as one run of text.
const DICTIONARY_TAIL: &str = concat!(
    "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505",
    "203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized",
    "403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable",
    "Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT",
    "chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,",
    "text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.",
);

/// SPDY/3's zlib dictionary (1,423 bytes).
pub fn dictionary() -> &'static [u8] {
    static DICTIONARY: OnceLock<Vec<u8>> = OnceLock::new();
    DICTIONARY.get_or_init(|| {
        let mut d = Vec::with_capacity(1423);
        for entry in DICTIONARY_ENTRIES {
            d.extend_from_slice(&(entry.len() as u32).to_be_bytes());
            d.extend_from_slice(entry.as_bytes());
        }
        d.extend_from_slice(DICTIONARY_TAIL.as_bytes());
        d
    })
}

/// A frame from the client, headers already decompressed.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    SynStream {
        stream_id: u32,
        headers: Vec<(String, String)>,
        fin: bool,
    },
    Data {
        stream_id: u32,
        data: Vec<u8>,
        fin: bool,
    },
    RstStream {
        stream_id: u32,
    },
    Ping {
        id: u32,
    },
    GoAway,
    /// SETTINGS, WINDOW_UPDATE, HEADERS and what this server does not act on.
    Other,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SpdyError {
    #[error("not SPDY/3: control frame of version {0}")]
    Version(u16),
    #[error("malformed frame: {0}")]
    Malformed(&'static str),
    #[error("header block could not be decompressed: {0}")]
    Headers(String),
}

/// One side of a SPDY session: parses incoming bytes into frames and encodes outgoing frames, keeping the two
/// zlib streams.
pub struct Codec {
    inflate: Decompress,
    deflate: Compress,
    buffer: Vec<u8>,
}

impl Default for Codec {
    fn default() -> Self {
        let mut deflate = Compress::new(Compression::default(), true);
        // Ours is primed like the client's, as a real server's is.
        let _ = deflate.set_dictionary(dictionary());
        Self { inflate: Decompress::new(true), deflate, buffer: Vec::new() }
    }
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

impl Codec {
    /// Adds bytes received from the peer.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
    }

    /// The next complete frame, if one has arrived.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, SpdyError> {
        if self.buffer.len() < 8 {
            return Ok(None);
        }
        let b = &self.buffer;
        let length = (usize::from(b[5]) << 16) | (usize::from(b[6]) << 8) | usize::from(b[7]);
        if self.buffer.len() < 8 + length {
            return Ok(None);
        }
        let frame: Vec<u8> = self.buffer.drain(..8 + length).collect();
        let flags = frame[4];
        let payload = &frame[8..];
        if frame[0] & 0x80 == 0 {
            let stream_id = u32_at(&frame, 0) & 0x7fff_ffff;
            return Ok(Some(Frame::Data { stream_id, data: payload.to_vec(), fin: flags & FLAG_FIN != 0 }));
        }
        let version = u16::from_be_bytes([frame[0] & 0x7f, frame[1]]);
        if version != 3 {
            return Err(SpdyError::Version(version));
        }
        let kind = u16::from_be_bytes([frame[2], frame[3]]);
        Ok(Some(match kind {
            SYN_STREAM => {
                if payload.len() < 10 {
                    return Err(SpdyError::Malformed("SYN_STREAM shorter than its fixed fields"));
                }
                let stream_id = u32_at(payload, 0) & 0x7fff_ffff;
                let headers = self.headers(&payload[10..])?;
                Frame::SynStream { stream_id, headers, fin: flags & FLAG_FIN != 0 }
            }
            HEADERS => {
                // Decompressed to keep the zlib stream in step, though nothing here needs them.
                if payload.len() >= 4 {
                    self.headers(&payload[4..])?;
                }
                Frame::Other
            }
            RST_STREAM if payload.len() >= 4 => Frame::RstStream { stream_id: u32_at(payload, 0) & 0x7fff_ffff },
            PING if payload.len() >= 4 => Frame::Ping { id: u32_at(payload, 0) },
            GOAWAY => Frame::GoAway,
            _ => Frame::Other,
        }))
    }

    /// Decompresses a header block (one part of the client's zlib stream) into name/value pairs.
    fn headers(&mut self, compressed: &[u8]) -> Result<Vec<(String, String)>, SpdyError> {
        let mut raw = Vec::with_capacity(compressed.len() * 4 + 64);
        let mut input = compressed;
        while !input.is_empty() {
            raw.reserve(4096);
            let before = self.inflate.total_in();
            match self.inflate.decompress_vec(input, &mut raw, FlushDecompress::Sync) {
                Ok(_) => {}
                Err(e) if e.needs_dictionary().is_some() => {
                    self.inflate.set_dictionary(dictionary()).map_err(|e| SpdyError::Headers(e.to_string()))?;
                }
                Err(e) => return Err(SpdyError::Headers(e.to_string())),
            }
            let used = (self.inflate.total_in() - before) as usize;
            input = &input[used..];
            if used == 0 && raw.capacity() > raw.len() {
                // Nothing consumed and room left: the rest is buffered inside zlib, or the block is done.
                break;
            }
        }
        parse_header_block(&raw)
    }

    /// A SYN_REPLY accepting `stream_id`, with no headers.
    pub fn syn_reply(&mut self, stream_id: u32) -> Vec<u8> {
        let block = self.compress(&0u32.to_be_bytes());
        let mut payload = stream_id.to_be_bytes().to_vec();
        payload.extend_from_slice(&block);
        control(SYN_REPLY, 0, &payload)
    }

    fn compress(&mut self, raw: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(raw.len() + 64);
        let mut input = raw;
        loop {
            out.reserve(256);
            let before = self.deflate.total_in();
            if self.deflate.compress_vec(input, &mut out, FlushCompress::Sync).is_err() {
                break;
            }
            let used = (self.deflate.total_in() - before) as usize;
            input = &input[used..];
            // Done once all input is in and the flush fit in the room we gave it.
            if input.is_empty() && out.len() < out.capacity() {
                break;
            }
        }
        out
    }
}

fn parse_header_block(raw: &[u8]) -> Result<Vec<(String, String)>, SpdyError> {
    let bad = SpdyError::Malformed("header block");
    if raw.len() < 4 {
        return Err(bad);
    }
    let count = u32_at(raw, 0) as usize;
    let mut at = 4;
    let read = |at: &mut usize| -> Result<String, SpdyError> {
        if raw.len() < *at + 4 {
            return Err(SpdyError::Malformed("header block"));
        }
        let len = u32_at(raw, *at) as usize;
        *at += 4;
        let bytes = raw.get(*at..*at + len).ok_or(SpdyError::Malformed("header block"))?;
        *at += len;
        Ok(String::from_utf8_lossy(bytes).into_owned())
    };
    let mut headers = Vec::with_capacity(count);
    for _ in 0..count {
        let name = read(&mut at)?;
        let value = read(&mut at)?;
        headers.push((name.to_ascii_lowercase(), value));
    }
    Ok(headers)
}

fn control(kind: u16, flags: u8, payload: &[u8]) -> Vec<u8> {
    let len = payload.len() as u32;
    let mut f = vec![0x80, 0x03];
    f.extend_from_slice(&kind.to_be_bytes());
    f.push(flags);
    f.extend_from_slice(&len.to_be_bytes()[1..]);
    f.extend_from_slice(payload);
    f
}

/// A data frame on `stream_id`.
pub fn data(stream_id: u32, bytes: &[u8], fin: bool) -> Vec<u8> {
    let mut f = (stream_id & 0x7fff_ffff).to_be_bytes().to_vec();
    f.push(if fin { FLAG_FIN } else { 0 });
    f.extend_from_slice(&(bytes.len() as u32).to_be_bytes()[1..]);
    f.extend_from_slice(bytes);
    f
}

/// The answer to a PING: the same frame back.
pub fn ping(id: u32) -> Vec<u8> {
    control(PING, 0, &id.to_be_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a client sends: a SYN_STREAM with headers compressed on its own zlib stream.
    fn client_syn(deflate: &mut Compress, stream_id: u32, headers: &[(&str, &str)]) -> Vec<u8> {
        let mut raw = (headers.len() as u32).to_be_bytes().to_vec();
        for (k, v) in headers {
            for s in [k, v] {
                raw.extend_from_slice(&(s.len() as u32).to_be_bytes());
                raw.extend_from_slice(s.as_bytes());
            }
        }
        let mut block = Vec::with_capacity(raw.len() + 64);
        deflate.compress_vec(&raw, &mut block, FlushCompress::Sync).expect("compress");
        let mut payload = stream_id.to_be_bytes().to_vec();
        payload.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
        payload.extend_from_slice(&block);
        control(SYN_STREAM, 0, &payload)
    }

    #[test]
    fn the_dictionary_has_the_spec_length_and_ends() {
        let d = dictionary();
        assert_eq!(d.len(), 1423);
        assert_eq!(&d[..11], b"\x00\x00\x00\x07options");
        assert!(d.ends_with(b"enq=0."));
    }

    #[test]
    fn streams_headers_and_data_are_parsed_across_split_reads() {
        let mut client = Compress::new(Compression::default(), true);
        client.set_dictionary(dictionary()).expect("dictionary");
        let mut bytes = client_syn(&mut client, 1, &[("streamType", "error"), ("port", "8501"), ("requestID", "0")]);
        bytes.extend(client_syn(&mut client, 3, &[("streamType", "data"), ("port", "8501"), ("requestID", "0")]));
        bytes.extend(data(3, b"GET / HTTP/1.1\r\n\r\n", false));
        bytes.extend(ping(7));
        let mut codec = Codec::default();
        let mut frames = Vec::new();
        for chunk in bytes.chunks(5) {
            codec.feed(chunk);
            while let Some(f) = codec.next_frame().expect("frame") {
                frames.push(f);
            }
        }
        assert_eq!(frames.len(), 4);
        let Frame::SynStream { stream_id: 3, headers, .. } = &frames[1] else { panic!("{:?}", frames[1]) };
        assert!(headers.contains(&("streamtype".to_string(), "data".to_string())));
        assert!(headers.contains(&("port".to_string(), "8501".to_string())));
        assert_eq!(frames[2], Frame::Data { stream_id: 3, data: b"GET / HTTP/1.1\r\n\r\n".to_vec(), fin: false });
        assert_eq!(frames[3], Frame::Ping { id: 7 });
    }

    #[test]
    fn replies_decompress_on_the_client_side() {
        let mut codec = Codec::default();
        let reply = codec.syn_reply(5);
        assert_eq!(&reply[..4], &[0x80, 0x03, 0x00, 0x02]);
        assert_eq!(u32_at(&reply, 8), 5);
        let mut client = Decompress::new(true);
        let mut out = Vec::with_capacity(64);
        let block = &reply[12..];
        let result = client.decompress_vec(block, &mut out, FlushDecompress::Sync);
        if result.as_ref().err().and_then(|e| e.needs_dictionary()).is_some() {
            client.set_dictionary(dictionary()).expect("dictionary");
            let used = client.total_in() as usize;
            client.decompress_vec(&block[used..], &mut out, FlushDecompress::Sync).expect("inflate");
        }
        assert_eq!(out, vec![0, 0, 0, 0], "no headers");
    }
}
