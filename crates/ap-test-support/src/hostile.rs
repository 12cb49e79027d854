//! Hostile documents built in memory for tests: PDF decompression bombs (plain, stacked
//! filters, `/DecodeParms`, object streams), PDFs with absurd page counts, and images whose
//! headers declare gigapixels. No binary fixtures: every file is generated here.

use std::io::Write;

pub const MIB: u64 = 1024 * 1024;

/// A raw zlib stream that inflates to exactly `258 * 8 * groups + 1` zero bytes.
///
/// One fixed-Huffman deflate block: a literal 0, then `8 * groups` copies of
/// (length 258, distance 1). Each copy is 13 bits, so eight of them make a repeating 13-byte
/// pattern and the stream is written without compressing anything (fast even in debug builds).
/// About 158:1; stack it under a second `FlateDecode` for a much smaller file.
pub fn zlib_zeros(groups: usize) -> Vec<u8> {
    let mut bits = BitWriter::default();
    bits.put(1, 1); // BFINAL
    bits.put(0b01, 2); // BTYPE = fixed Huffman
    bits.code(0b0011_0000, 8); // literal 0
    // The first group realigns to a byte boundary: 3 + 8 = 11 bits are written so far, and a
    // group is a multiple of 8 bits (104), so copies are emitted one by one throughout.
    for _ in 0..groups.saturating_mul(8) {
        bits.code(0b1100_0101, 8); // length symbol 285 = 258
        bits.code(0b00000, 5); // distance code 0 = 1
    }
    bits.code(0, 7); // end of block (256)
    let mut out = vec![0x78, 0x01];
    out.extend(bits.finish());
    let adler = adler32_of_zeros(258 * 8 * groups as u64 + 1);
    out.extend_from_slice(&adler.to_be_bytes());
    out
}

/// A zlib stream of `bytes` zeros (rounded up to whole 2064-byte groups, plus one).
pub fn zlib_zeros_of(bytes: u64) -> Vec<u8> {
    zlib_zeros(usize::try_from(bytes.div_ceil(2064)).unwrap_or(usize::MAX))
}

/// Deflates `data` with zlib (for stacking a second filter).
pub fn zlib(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(data).expect("deflate to memory");
    e.finish().expect("deflate to memory")
}

fn adler32_of_zeros(n: u64) -> u32 {
    const MOD: u64 = 65_521;
    // a = 1 + sum(0) = 1; b = sum of a over n bytes = n.
    let a = 1u64;
    let b = n % MOD;
    u32::try_from((b << 16) | a).unwrap_or(0)
}

#[derive(Default)]
struct BitWriter {
    out: Vec<u8>,
    acc: u32,
    n: u32,
}

impl BitWriter {
    /// Header fields: least significant bit first.
    fn put(&mut self, value: u32, bits: u32) {
        for i in 0..bits {
            self.bit((value >> i) & 1);
        }
    }

    /// Huffman codes: most significant bit first.
    fn code(&mut self, value: u32, bits: u32) {
        for i in (0..bits).rev() {
            self.bit((value >> i) & 1);
        }
    }

    fn bit(&mut self, b: u32) {
        self.acc |= b << self.n;
        self.n += 1;
        if self.n == 8 {
            self.out.push(u8::try_from(self.acc & 0xff).unwrap_or(0));
            self.acc = 0;
            self.n = 0;
        }
    }

    fn finish(mut self) -> Vec<u8> {
        if self.n > 0 {
            self.out.push(u8::try_from(self.acc & 0xff).unwrap_or(0));
        }
        self.out
    }
}

/// A PDF made of numbered objects (1-based, in order), with a correct cross-reference table.
/// Each object is its body without `N 0 obj`/`endobj`; object 1 must be the catalog.
pub fn pdf(objects: &[Vec<u8>]) -> Vec<u8> {
    let mut out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// A stream object body: `dict` (without `/Length`) and the raw data.
pub fn stream(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut out = format!("<< {dict} /Length {} >>\nstream\n", data.len()).into_bytes();
    out.extend_from_slice(data);
    out.extend_from_slice(b"\nendstream");
    out
}

/// One page whose content stream is `content` with the stream dictionary entries `dict`.
pub fn one_page_pdf(dict: &str, content: &[u8]) -> Vec<u8> {
    pdf(&[
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>".to_vec(),
        stream(dict, content),
    ])
}

/// The bomb variants: each inflates to at least `bytes` (plus a little).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bomb {
    /// One `FlateDecode` content stream.
    Plain,
    /// `[/FlateDecode /FlateDecode]`: the file stays tiny.
    Stacked,
    /// `FlateDecode` with a PNG predictor in `/DecodeParms`.
    DecodeParms,
    /// An object stream (`/Type /ObjStm`) that PDF readers inflate while loading.
    ObjectStream,
    /// The embedded Factur-X attachment itself.
    Attachment,
}

/// A PDF whose named stream inflates to `bytes` of zeros.
pub fn pdf_bomb(kind: Bomb, bytes: u64) -> Vec<u8> {
    let zeros = zlib_zeros_of(bytes);
    match kind {
        Bomb::Plain => one_page_pdf("/Filter /FlateDecode", &zeros),
        Bomb::Stacked => one_page_pdf("/Filter [/FlateDecode /FlateDecode]", &zlib(&zeros)),
        Bomb::DecodeParms => one_page_pdf(
            "/Filter [/FlateDecode /FlateDecode] /DecodeParms [null << /Predictor 12 /Columns 100 >>]",
            &zlib(&zeros),
        ),
        Bomb::ObjectStream => pdf(&[
            b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>".to_vec(),
            stream(
                "/Type /ObjStm /N 1 /First 4 /Filter [/FlateDecode /FlateDecode]",
                &zlib(&zeros),
            ),
        ]),
        Bomb::Attachment => pdf(&[
            b"<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles << /Names [(factur-x.xml) 5 0 R] >> >> /AF [5 0 R] >>".to_vec(),
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>".to_vec(),
            stream(
                "/Type /EmbeddedFile /Subtype /text#2Fxml /Filter [/FlateDecode /FlateDecode]",
                &zlib(&zeros),
            ),
            b"<< /Type /Filespec /F (factur-x.xml) /UF (factur-x.xml) /AFRelationship /Data /EF << /F 4 0 R /UF 4 0 R >> >>".to_vec(),
        ]),
    }
}

/// A PDF whose page tree lists the same page object `pages` times.
pub fn pdf_with_pages(pages: usize) -> Vec<u8> {
    let kids = "3 0 R ".repeat(pages);
    pdf(&[
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        format!("<< /Type /Pages /Kids [{kids}] /Count {pages} >>").into_bytes(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>".to_vec(),
    ])
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A PNG whose header declares `width` × `height` 8-bit grayscale pixels; its one data chunk
/// holds the first rows of zeros, so a decoder would go on to allocate the whole image.
pub fn png_declaring(width: u32, height: u32) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&u32::try_from(data.len()).unwrap_or(0).to_be_bytes());
        let mut crc_input = kind.to_vec();
        crc_input.extend_from_slice(data);
        out.extend_from_slice(&crc_input);
        out.extend_from_slice(&crc32(&crc_input).to_be_bytes());
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &zlib(&vec![0u8; 64 * 1024]));
    chunk(&mut out, b"IEND", &[]);
    out
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    #[test]
    fn the_handmade_zlib_stream_inflates_to_the_announced_zeros() {
        let z = zlib_zeros(100);
        let mut out = Vec::new();
        flate2::read::ZlibDecoder::new(z.as_slice())
            .read_to_end(&mut out)
            .expect("valid zlib");
        assert_eq!(out.len(), 258 * 8 * 100 + 1);
        assert!(out.iter().all(|&b| b == 0));
    }
}
