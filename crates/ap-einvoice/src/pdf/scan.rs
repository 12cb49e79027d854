//! Bounds a PDF before any PDF library parses it: every stream is decoded into a counting sink
//! (never into memory), so a decompression bomb — one stream, stacked filters, `/DecodeParms`,
//! object or cross-reference streams — is refused after at most the limit's worth of CPU.
//!
//! The scan works on the raw bytes (`<< … >> stream … endstream`), independently of how a PDF
//! library would resolve the file, and decodes the same filters lopdf and poppler decode
//! (`FlateDecode` with lopdf's raw-deflate fallback, `LZWDecode`, `ASCII85Decode`,
//! `ASCIIHexDecode`, `RunLengthDecode`). Predictors (`/DecodeParms`) never enlarge data, so the
//! size before them bounds the size after. Image codecs end the chain: their pixels are bounded
//! where images are rasterised (subprocess limits and the OCR pixel limit).

use std::io::{self, BufRead, BufReader, Read, Write};

/// Bounds applied to a PDF before it is parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PdfLimits {
    /// Most bytes one stream may decode to. Default 64 MiB.
    pub max_stream_bytes: u64,
    /// Most bytes all streams together may decode to. Default 256 MiB.
    pub max_total_bytes: u64,
    /// Most filters stacked on one stream. Default 4.
    pub max_filters: usize,
    /// Most objects (indirect objects plus those packed in object streams). Default 200,000.
    pub max_objects: usize,
    /// Most pages. Default 1,000.
    pub max_pages: usize,
}

impl Default for PdfLimits {
    fn default() -> Self {
        Self {
            max_stream_bytes: 64 * MIB,
            max_total_bytes: 256 * MIB,
            max_filters: 4,
            max_objects: 200_000,
            max_pages: 1_000,
        }
    }
}

const MIB: u64 = 1024 * 1024;

/// Which bound a PDF broke; the message is fit to show to the person who uploaded it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PdfLimit {
    #[error("the PDF expands beyond the {} MiB limit", .0 / MIB)]
    StreamTooLarge(u64),
    #[error("the PDF expands beyond the {} MiB limit for all its streams together", .0 / MIB)]
    TotalTooLarge(u64),
    #[error("the PDF stacks more than {0} compression filters on one stream")]
    TooManyFilters(usize),
    #[error("the PDF has more than {0} objects")]
    TooManyObjects(usize),
    #[error("the PDF has more than {0} pages")]
    TooManyPages(usize),
    #[error("the PDF's object structure is too convoluted to read safely")]
    TooComplex,
}

/// Decodes every stream of `pdf` into a counting sink and counts objects; the first bound
/// broken is the error.
///
/// Every `N G obj` in the file is looked at, also inside other streams' data, since a
/// cross-reference table may point anywhere; each is parsed forward the way lopdf parses an
/// object, so the dictionary read here is the one lopdf would act on.
pub(crate) fn scan(pdf: &[u8], limits: &PdfLimits) -> Result<(), PdfLimit> {
    let mut budget = Budget {
        total: 0,
        limits: *limits,
    };
    let mut parser = Parser {
        pdf,
        work: 0,
        max_work: pdf.len().saturating_mul(4).saturating_add(1 << 20),
    };
    let mut objects = 0usize;
    let mut from = 0usize;
    while let Some(at) = find(pdf, b"obj", from) {
        from = at + 3;
        if !is_obj_keyword(pdf, at) {
            continue;
        }
        objects += 1;
        if objects > limits.max_objects {
            return Err(PdfLimit::TooManyObjects(limits.max_objects));
        }
        if let Some((dict, start)) = parser.stream_object(at + 3)? {
            let end = data_end(pdf, dict.length, start);
            let packed = budget.check(&dict, &pdf[start..end])?;
            objects = objects.saturating_add(packed);
            if objects > limits.max_objects {
                return Err(PdfLimit::TooManyObjects(limits.max_objects));
            }
        }
    }
    Ok(())
}

/// Whether the file names `/Encrypt` anywhere (also spelled with `#xx` escapes, as lopdf
/// decodes names). lopdf decrypts such a file before inflating its object streams, so the
/// scan, which sees only ciphertext, cannot bound them: such a file is never loaded here.
pub(crate) fn mentions_encryption(pdf: &[u8]) -> bool {
    let mut from = 0;
    while let Some(at) = find(pdf, b"/", from) {
        from = at + 1;
        let token: Vec<u8> = pdf[from..]
            .iter()
            .take_while(|b| is_regular(**b))
            .take(32)
            .copied()
            .collect();
        if token.len() < 7 {
            continue;
        }
        let mut name = Vec::with_capacity(token.len());
        let mut i = 0;
        while i < token.len() {
            let escaped = token
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            match (token[i], escaped) {
                (b'#', Some(b)) => {
                    name.push(b);
                    i += 3;
                }
                (b, _) => {
                    name.push(b);
                    i += 1;
                }
            }
        }
        if name == b"Encrypt" {
            return true;
        }
    }
    false
}

/// What the scan needs from a stream dictionary's top level.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct StreamDict {
    pub filters: Vec<Vec<u8>>,
    pub object_stream: bool,
    pub first: Option<u64>,
    pub length: Option<u64>,
}

/// Bounded decoding of one stream's bytes, with the document's running total.
pub(crate) struct Budget {
    total: u64,
    limits: PdfLimits,
}

impl Budget {
    /// Decodes `data` per `dict`'s filters into a counting sink; returns how many objects an
    /// object stream packs (0 for other streams).
    fn check(&mut self, dict: &StreamDict, data: &[u8]) -> Result<usize, PdfLimit> {
        if dict.filters.len() > self.limits.max_filters {
            return Err(PdfLimit::TooManyFilters(self.limits.max_filters));
        }
        let index_len = if dict.object_stream {
            dict.first.unwrap_or(0)
        } else {
            0
        };
        let stream_left = self.limits.max_stream_bytes;
        let total_left = self.limits.max_total_bytes.saturating_sub(self.total);
        let mut sink = Sink {
            written: 0,
            limit: stream_left.min(total_left),
            index_len,
            tokens: 0,
            in_token: false,
        };
        let mut reader = decoder(data, &dict.filters);
        // A decoding error ends the stream where lopdf and poppler would stop too; only the
        // size reached counts.
        let _ = io::copy(&mut reader, &mut sink);
        self.total += sink.written;
        if sink.written > stream_left {
            return Err(PdfLimit::StreamTooLarge(self.limits.max_stream_bytes));
        }
        if sink.written > total_left {
            return Err(PdfLimit::TotalTooLarge(self.limits.max_total_bytes));
        }
        Ok(sink.tokens / 2)
    }
}

/// Whether `data` decodes through `filters` to more than `limit` bytes (counted, not kept).
pub(crate) fn decodes_beyond(data: &[u8], filters: &[Vec<u8>], limit: u64) -> bool {
    let mut sink = Sink {
        written: 0,
        limit,
        index_len: 0,
        tokens: 0,
        in_token: false,
    };
    let _ = io::copy(&mut decoder(data, filters), &mut sink);
    sink.written > limit
}

/// Decodes `data` through `filters` (in decoding order) and returns at most `limit` bytes;
/// `None` when the chain cannot be decoded here or exceeds the limit.
pub(crate) fn decode_bounded(data: &[u8], filters: &[Vec<u8>], limit: u64) -> Option<Vec<u8>> {
    if filters.iter().any(|f| !is_text_filter(f)) {
        return None;
    }
    let mut out = Vec::new();
    decoder(data, filters)
        .take(limit + 1)
        .read_to_end(&mut out)
        .ok()?;
    (out.len() as u64 <= limit).then_some(out)
}

/// Counts bytes, refuses past `limit`, and counts the tokens of an object stream's index.
struct Sink {
    written: u64,
    limit: u64,
    index_len: u64,
    tokens: usize,
    in_token: bool,
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.written < self.index_len {
            let room = usize::try_from(self.index_len - self.written).unwrap_or(usize::MAX);
            for &b in &buf[..buf.len().min(room)] {
                let space = b.is_ascii_whitespace();
                if !space && !self.in_token {
                    self.tokens += 1;
                }
                self.in_token = !space;
            }
        }
        self.written += buf.len() as u64;
        if self.written > self.limit {
            return Err(io::Error::other("decoded size limit exceeded"));
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn decoder<'a>(data: &'a [u8], filters: &[Vec<u8>]) -> Box<dyn Read + 'a> {
    let mut reader: Box<dyn Read + 'a> = Box::new(data);
    for filter in filters {
        reader = match filter.as_slice() {
            b"FlateDecode" | b"Fl" => flate(reader),
            b"LZWDecode" | b"LZW" => Box::new(Lzw::new(reader)),
            b"ASCII85Decode" | b"A85" => Box::new(Ascii85::new(reader)),
            b"ASCIIHexDecode" | b"AHx" => Box::new(AsciiHex::new(reader)),
            b"RunLengthDecode" | b"RL" => Box::new(RunLength::new(reader)),
            // Image codecs and unknown filters end what is decoded here.
            _ => return reader,
        };
    }
    reader
}

fn is_text_filter(name: &[u8]) -> bool {
    matches!(
        name,
        b"FlateDecode"
            | b"Fl"
            | b"LZWDecode"
            | b"LZW"
            | b"ASCII85Decode"
            | b"A85"
            | b"ASCIIHexDecode"
            | b"AHx"
            | b"RunLengthDecode"
            | b"RL"
    )
}

/// zlib, or — like lopdf when the zlib header is broken — raw deflate after the two header
/// bytes, so a bomb behind a bad header is counted too.
fn flate<'a>(mut inner: Box<dyn Read + 'a>) -> Box<dyn Read + 'a> {
    let mut head = [0u8; 2];
    let mut got = 0;
    while got < 2 {
        match inner.read(&mut head[got..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => got += n,
        }
    }
    let cmf = u16::from(head[0]);
    let flg = u16::from(head[1]);
    let zlib_header = got == 2 && cmf & 0x0f == 8 && (cmf << 8 | flg) % 31 == 0;
    if zlib_header {
        let prefix = io::Cursor::new(head);
        Box::new(flate2::read::ZlibDecoder::new(prefix.chain(inner)))
    } else {
        Box::new(flate2::read::DeflateDecoder::new(inner))
    }
}

/// Streaming LZW with PDF's default early change, as lopdf reads it.
struct Lzw<'a> {
    inner: BufReader<Box<dyn Read + 'a>>,
    decoder: weezl::decode::Decoder,
    done: bool,
}

impl<'a> Lzw<'a> {
    fn new(inner: Box<dyn Read + 'a>) -> Self {
        Self {
            inner: BufReader::new(inner),
            decoder: weezl::decode::Decoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8),
            done: false,
        }
    }
}

impl Read for Lzw<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while !self.done && !out.is_empty() {
            let input = self.inner.fill_buf()?;
            let at_end = input.is_empty();
            let result = self.decoder.decode_bytes(input, out);
            self.inner.consume(result.consumed_in);
            match result.status {
                Ok(weezl::LzwStatus::Done) | Err(_) => self.done = true,
                Ok(weezl::LzwStatus::NoProgress) if at_end => self.done = true,
                Ok(_) => {}
            }
            if result.consumed_out > 0 {
                return Ok(result.consumed_out);
            }
            if at_end {
                self.done = true;
            }
        }
        Ok(0)
    }
}

/// Byte-at-a-time source for the small text filters.
struct Bytes<'a> {
    inner: BufReader<Box<dyn Read + 'a>>,
}

impl Bytes<'_> {
    fn next(&mut self) -> Option<u8> {
        let buf = self.inner.fill_buf().ok()?;
        let b = *buf.first()?;
        self.inner.consume(1);
        Some(b)
    }
}

/// Emits decoded bytes through a small queue.
fn drain(queue: &mut Vec<u8>, out: &mut [u8]) -> usize {
    let n = queue.len().min(out.len());
    out[..n].copy_from_slice(&queue[..n]);
    queue.drain(..n);
    n
}

struct Ascii85<'a> {
    src: Bytes<'a>,
    queue: Vec<u8>,
    done: bool,
}

impl<'a> Ascii85<'a> {
    fn new(inner: Box<dyn Read + 'a>) -> Self {
        Self {
            src: Bytes {
                inner: BufReader::new(inner),
            },
            queue: Vec::new(),
            done: false,
        }
    }

    fn refill(&mut self) {
        let mut group = [0u32; 5];
        let mut n = 0;
        while n < 5 {
            match self.src.next() {
                None | Some(b'~') => {
                    self.done = true;
                    break;
                }
                Some(b'z') if n == 0 => {
                    self.queue.extend_from_slice(&[0; 4]);
                    return;
                }
                Some(b) if (b'!'..=b'u').contains(&b) => {
                    group[n] = u32::from(b - b'!');
                    n += 1;
                }
                Some(_) => {}
            }
        }
        if n < 2 {
            return;
        }
        for slot in group.iter_mut().skip(n) {
            *slot = 84;
        }
        let value = group
            .iter()
            .fold(0u32, |acc, &d| acc.wrapping_mul(85).wrapping_add(d));
        self.queue
            .extend_from_slice(&value.to_be_bytes()[..if n == 5 { 4 } else { n - 1 }]);
    }
}

impl Read for Ascii85<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.queue.is_empty() && !self.done {
            self.refill();
        }
        Ok(drain(&mut self.queue, out))
    }
}

struct AsciiHex<'a> {
    src: Bytes<'a>,
    done: bool,
}

impl<'a> AsciiHex<'a> {
    fn new(inner: Box<dyn Read + 'a>) -> Self {
        Self {
            src: Bytes {
                inner: BufReader::new(inner),
            },
            done: false,
        }
    }

    fn digit(&mut self) -> Option<u8> {
        loop {
            let b = self.src.next()?;
            match b {
                b'>' => return None,
                b if b.is_ascii_hexdigit() => return char::from(b).to_digit(16).map(|d| d as u8),
                _ => {}
            }
        }
    }
}

impl Read for AsciiHex<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let mut n = 0;
        while n < out.len() && !self.done {
            let Some(hi) = self.digit() else {
                self.done = true;
                break;
            };
            let lo = self.digit().unwrap_or_else(|| {
                self.done = true;
                0
            });
            out[n] = hi << 4 | lo;
            n += 1;
        }
        Ok(n)
    }
}

struct RunLength<'a> {
    src: Bytes<'a>,
    queue: Vec<u8>,
    done: bool,
}

impl<'a> RunLength<'a> {
    fn new(inner: Box<dyn Read + 'a>) -> Self {
        Self {
            src: Bytes {
                inner: BufReader::new(inner),
            },
            queue: Vec::new(),
            done: false,
        }
    }
}

impl Read for RunLength<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.queue.is_empty() && !self.done {
            match self.src.next() {
                None | Some(128) => self.done = true,
                Some(len) if len < 128 => {
                    for _ in 0..=len {
                        match self.src.next() {
                            Some(b) => self.queue.push(b),
                            None => {
                                self.done = true;
                                break;
                            }
                        }
                    }
                }
                Some(len) => match self.src.next() {
                    Some(b) => self.queue.resize(257 - usize::from(len), b),
                    None => self.done = true,
                },
            }
        }
        Ok(drain(&mut self.queue, out))
    }
}

/// A forward reader of PDF syntax with a work budget over the whole scan, so overlapping or
/// endless dictionaries cannot make the scan quadratic.
struct Parser<'a> {
    pdf: &'a [u8],
    work: usize,
    max_work: usize,
}

/// A value, as far as the scan cares.
enum Value {
    Name(Vec<u8>),
    Int(u64),
    Array(Vec<Value>),
    Other,
}

const MAX_NESTING: usize = 32;

impl Parser<'_> {
    /// After an `obj` keyword: the stream dictionary and where the data starts, when the
    /// object is a stream.
    fn stream_object(&mut self, at: usize) -> Result<Option<(StreamDict, usize)>, PdfLimit> {
        let p = self.space(at)?;
        if !self.pdf[p..].starts_with(b"<<") {
            return Ok(None);
        }
        let Some((end, dict)) = self.dict(p, 0)? else {
            return Ok(None);
        };
        let p = self.space(end)?;
        if !self.pdf[p..].starts_with(b"stream") {
            return Ok(None);
        }
        // `stream`, optional blanks, then CRLF, LF or CR, as lopdf accepts it.
        let mut data = p + 6;
        while matches!(self.pdf.get(data), Some(b' ' | b'\t')) {
            data += 1;
        }
        if self.pdf[data.min(self.pdf.len())..].starts_with(b"\r\n") {
            data += 2;
        } else if matches!(self.pdf.get(data), Some(b'\r' | b'\n')) {
            data += 1;
        }
        Ok(Some((dict, data.min(self.pdf.len()))))
    }

    fn charge(&mut self, bytes: usize) -> Result<(), PdfLimit> {
        self.work = self.work.saturating_add(bytes.max(1));
        if self.work > self.max_work {
            return Err(PdfLimit::TooComplex);
        }
        Ok(())
    }

    /// Skips white space and comments (charged: a comment may hold many `obj` keywords).
    fn space(&mut self, from: usize) -> Result<usize, PdfLimit> {
        let mut p = from;
        loop {
            match self.pdf.get(p) {
                Some(b) if is_space(*b) => p += 1,
                Some(b'%') => {
                    while self.pdf.get(p).is_some_and(|b| !matches!(b, b'\r' | b'\n')) {
                        p += 1;
                    }
                }
                _ => {
                    let p = p.min(self.pdf.len());
                    self.charge(p.saturating_sub(from))?;
                    return Ok(p);
                }
            }
        }
    }

    /// A dictionary at `p` (which starts with `<<`): the position after `>>` and its entries.
    fn dict(&mut self, p: usize, depth: usize) -> Result<Option<(usize, StreamDict)>, PdfLimit> {
        if depth > MAX_NESTING {
            return Ok(None);
        }
        let mut p = p + 2;
        let mut dict = StreamDict::default();
        loop {
            p = self.space(p)?;
            if self.pdf[p..].starts_with(b">>") {
                return Ok(Some((p + 2, dict)));
            }
            let Some((after_key, Value::Name(key))) = self.value(p, depth)? else {
                return Ok(None);
            };
            let q = self.space(after_key)?;
            let Some((after, value)) = self.value(q, depth)? else {
                return Ok(None);
            };
            match (key.as_slice(), value) {
                (b"Filter", Value::Name(n)) => dict.filters = vec![n],
                (b"Filter", Value::Array(items)) => {
                    dict.filters = items
                        .into_iter()
                        .filter_map(|v| match v {
                            Value::Name(n) => Some(n),
                            _ => None,
                        })
                        .collect();
                }
                (b"Type", Value::Name(n)) => dict.object_stream = n == b"ObjStm",
                (b"First", Value::Int(n)) => dict.first = Some(n),
                (b"Length", Value::Int(n)) => dict.length = Some(n),
                _ => {}
            }
            p = after;
        }
    }

    /// One value at `p`: the position after it and what it is.
    fn value(&mut self, p: usize, depth: usize) -> Result<Option<(usize, Value)>, PdfLimit> {
        let pdf = self.pdf;
        let Some(&first) = pdf.get(p) else {
            return Ok(None);
        };
        match first {
            b'<' if pdf.get(p + 1) == Some(&b'<') => {
                Ok(self.dict(p, depth + 1)?.map(|(end, _)| (end, Value::Other)))
            }
            b'<' => {
                let end = find(pdf, b">", p).map_or(pdf.len(), |e| e + 1);
                self.charge(end - p)?;
                Ok(Some((end, Value::Other)))
            }
            b'(' => {
                let mut level = 0usize;
                let mut q = p;
                while let Some(&b) = pdf.get(q) {
                    q += 1;
                    match b {
                        b'\\' => q += 1,
                        b'(' => level += 1,
                        b')' => {
                            level -= 1;
                            if level == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                self.charge(q - p)?;
                Ok(Some((q.min(pdf.len()), Value::Other)))
            }
            b'[' => {
                if depth > MAX_NESTING {
                    return Ok(None);
                }
                let mut items = Vec::new();
                let mut q = p + 1;
                loop {
                    q = self.space(q)?;
                    match pdf.get(q) {
                        None => return Ok(None),
                        Some(b']') => return Ok(Some((q + 1, Value::Array(items)))),
                        Some(_) => {
                            let Some((after, v)) = self.value(q, depth + 1)? else {
                                return Ok(None);
                            };
                            items.push(v);
                            q = after;
                        }
                    }
                }
            }
            b'/' => {
                let end = p + 1 + pdf[p + 1..].iter().take_while(|b| is_regular(**b)).count();
                self.charge(end - p)?;
                Ok(Some((end, Value::Name(pdf[p + 1..end].to_vec()))))
            }
            b if is_regular(b) => {
                let end = p + pdf[p..].iter().take_while(|b| is_regular(**b)).count();
                self.charge(end - p)?;
                let token = &pdf[p..end];
                // `12 0 R`: an indirect reference (a length lopdf would resolve elsewhere).
                if let Some(after) = self.reference_tail(end)? {
                    return Ok(Some((after, Value::Other)));
                }
                let int = std::str::from_utf8(token).ok().and_then(|t| t.parse().ok());
                Ok(Some((end, int.map_or(Value::Other, Value::Int))))
            }
            _ => Ok(None),
        }
    }

    /// After an integer: the end of ` G R` when the integer starts a reference.
    fn reference_tail(&mut self, end: usize) -> Result<Option<usize>, PdfLimit> {
        let pdf = self.pdf;
        let q = self.space(end)?;
        let digits = pdf[q..].iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 || q == end {
            return Ok(None);
        }
        let r = self.space(q + digits)?;
        Ok(
            (pdf.get(r) == Some(&b'R') && pdf.get(r + 1).is_none_or(|b| !is_regular(*b)))
                .then_some(r + 1),
        )
    }
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\0' | b'\x0c')
}

/// PDF regular characters: neither white space nor a delimiter.
fn is_regular(b: u8) -> bool {
    !is_space(b) && !b"()<>[]{}/%".contains(&b)
}

/// `N G obj`: the keyword after an integer (and not `endobj` or a word like `object`).
fn is_obj_keyword(pdf: &[u8], at: usize) -> bool {
    let after_ok = pdf.get(at + 3).is_none_or(|&b| !is_regular(b));
    let before = &pdf[..at];
    let trimmed = before.len() - before.iter().rev().take_while(|b| is_space(**b)).count();
    after_ok && trimmed < at && trimmed > 0 && pdf[trimmed - 1].is_ascii_digit()
}

/// End of the stream's data: `/Length` when it lands on `endstream`, else the next
/// `endstream`, else the end of the file.
fn data_end(pdf: &[u8], length: Option<u64>, start: usize) -> usize {
    if let Some(len) = length.and_then(|l| usize::try_from(l).ok())
        && let Some(end) = start.checked_add(len)
        && end <= pdf.len()
        && pdf[end..]
            .iter()
            .skip_while(|b| is_space(**b))
            .take(9)
            .eq(b"endstream".iter())
    {
        return end;
    }
    find(pdf, b"endstream", start).unwrap_or(pdf.len())
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if from >= hay.len() {
        return None;
    }
    hay[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// The stream dictionary of the object that starts at `pdf[0]` (for tests).
#[cfg(test)]
fn dict_of(pdf: &[u8]) -> Option<StreamDict> {
    let mut parser = Parser {
        pdf,
        work: 0,
        max_work: usize::MAX,
    };
    parser.stream_object(0).ok()?.map(|(d, _)| d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_filter_round_trips_a_small_payload() {
        let hex = decode_bounded(b"48656c6c6f>", &[b"AHx".to_vec()], 100);
        assert_eq!(hex.as_deref(), Some(b"Hello".as_slice()));
        let a85 = decode_bounded(b"87cURDZ~>", &[b"ASCII85Decode".to_vec()], 100);
        assert_eq!(a85.as_deref(), Some(b"Hello".as_slice()));
        let rl = decode_bounded(
            &[2, b'a', b'b', b'c', 254, b'z', 128],
            &[b"RL".to_vec()],
            100,
        );
        assert_eq!(rl.as_deref(), Some(b"abczzz".as_slice()));
        let mut lzw = weezl::encode::Encoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8);
        let packed = lzw.encode(b"Hello Hello Hello").expect("lzw");
        let plain = decode_bounded(&packed, &[b"LZWDecode".to_vec()], 100);
        assert_eq!(plain.as_deref(), Some(b"Hello Hello Hello".as_slice()));
    }

    #[test]
    fn decoding_past_the_limit_yields_nothing() {
        let hex = "41".repeat(1000);
        assert!(decode_bounded(hex.as_bytes(), &[b"AHx".to_vec()], 999).is_none());
        assert!(decode_bounded(hex.as_bytes(), &[b"AHx".to_vec()], 1000).is_some());
        assert!(decode_bounded(b"", &[b"DCTDecode".to_vec()], 1000).is_none());
    }

    #[test]
    fn an_encryption_key_is_found_however_it_is_spelled() {
        assert!(mentions_encryption(
            b"trailer << /Root 1 0 R /Encrypt 9 0 R >>"
        ));
        assert!(mentions_encryption(b"<< /Type /XRef /Encr#79pt 9 0 R >>"));
        assert!(mentions_encryption(b"<</Encrypt<</Filter/Standard>>>>"));
        assert!(!mentions_encryption(
            b"<< /Root 1 0 R /EncryptMetadata false >>"
        ));
        assert!(!mentions_encryption(b"(Encrypt) /Encryption"));
    }

    #[test]
    fn the_top_level_dictionary_is_read_as_lopdf_reads_it() {
        let d = dict_of(b" << /Filter /FlateDecode >> stream\n").expect("stream");
        assert_eq!(d.filters, [b"FlateDecode".to_vec()]);
        let d =
            dict_of(b"<</Length 5/Filter[/FlateDecode /FlateDecode]>>stream\r\n").expect("stream");
        assert_eq!(
            d.filters,
            [b"FlateDecode".to_vec(), b"FlateDecode".to_vec()]
        );
        assert_eq!(d.length, Some(5));
        // A nested /Filter, a string holding `>>`, a comment before `stream`: the top level wins.
        let d = dict_of(
            b"<< /X << /Filter /DCTDecode >> /S (a >> b \\) c) /Type /ObjStm /First 7 \
              /Length 9 0 R /Filter /LZWDecode >> % note\nstream\n",
        )
        .expect("stream");
        assert_eq!(d.filters, [b"LZWDecode".to_vec()]);
        assert!(d.object_stream);
        assert_eq!((d.first, d.length), (Some(7), None));
        assert!(dict_of(b"<< /Length 5 >> endobj").is_none());
    }
}
