//! Image dimensions read from the header alone (PNG `IHDR`, JPEG `SOFn`, every TIFF IFD), so
//! an image that declares gigapixels is refused before a decoder allocates for it.

/// Width and height of each page (one for PNG and JPEG, one per IFD for TIFF), or `None` when
/// the header cannot be read (the helper then decides, under its own limits). At most
/// `max_pages + 1` TIFF pages are listed, so a caller can tell "too many".
pub(crate) fn pages(bytes: &[u8], max_pages: usize) -> Option<Vec<(u64, u64)>> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        if bytes.get(12..16)? != b"IHDR" {
            return None;
        }
        Some(vec![(
            u64::from(be32(bytes, 16)?),
            u64::from(be32(bytes, 20)?),
        )])
    } else if bytes.starts_with(&[0xff, 0xd8]) {
        jpeg(bytes).map(|d| vec![d])
    } else if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        tiff(bytes, max_pages)
    } else {
        None
    }
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn jpeg(b: &[u8]) -> Option<(u64, u64)> {
    let mut i = 2;
    loop {
        while *b.get(i)? != 0xff {
            i += 1;
        }
        while *b.get(i)? == 0xff {
            i += 1;
        }
        let marker = *b.get(i)?;
        i += 1;
        match marker {
            0xd8 | 0x01 | 0xd0..=0xd7 => continue,
            0xd9 | 0xda => return None,
            0xc0..=0xcf if !matches!(marker, 0xc4 | 0xc8 | 0xcc) => {
                let height = be16(b, i + 3)?;
                let width = be16(b, i + 5)?;
                return Some((u64::from(width), u64::from(height)));
            }
            _ => i += usize::from(be16(b, i)?),
        }
    }
}

fn tiff(b: &[u8], max_pages: usize) -> Option<Vec<(u64, u64)>> {
    let le = b.starts_with(b"II");
    let u16_at = |at: usize| -> Option<u16> {
        let raw: [u8; 2] = b.get(at..at + 2)?.try_into().ok()?;
        Some(if le {
            u16::from_le_bytes(raw)
        } else {
            u16::from_be_bytes(raw)
        })
    };
    let u32_at = |at: usize| -> Option<u32> {
        let raw: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
        Some(if le {
            u32::from_le_bytes(raw)
        } else {
            u32::from_be_bytes(raw)
        })
    };
    let mut pages = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut ifd = usize::try_from(u32_at(4)?).ok()?;
    while ifd != 0 && pages.len() <= max_pages && seen.insert(ifd) {
        let entries = usize::from(u16_at(ifd)?);
        let (mut width, mut height) = (None, None);
        for e in 0..entries {
            let at = ifd + 2 + e * 12;
            let tag = u16_at(at)?;
            let value = match u16_at(at + 2)? {
                3 => u64::from(u16_at(at + 8)?),
                4 => u64::from(u32_at(at + 8)?),
                _ => continue,
            };
            match tag {
                256 => width = Some(value),
                257 => height = Some(value),
                _ => {}
            }
        }
        pages.push((width?, height?));
        ifd = usize::try_from(u32_at(ifd + 2 + entries * 12)?).ok()?;
    }
    Some(pages)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_jpeg_and_tiff_headers_give_their_dimensions() {
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        png.extend_from_slice(&100_000u32.to_be_bytes());
        png.extend_from_slice(&3u32.to_be_bytes());
        assert_eq!(pages(&png, 5), Some(vec![(100_000, 3)]));

        // SOI, APP0 of 4 bytes, SOF0: length 11, precision 8, height 40000, width 50000.
        let jpeg = [
            0xff, 0xd8, 0xff, 0xe0, 0, 4, 0, 0, 0xff, 0xc0, 0, 11, 8, 0x9c, 0x40, 0xc3, 0x50, 1,
        ];
        assert_eq!(pages(&jpeg, 5), Some(vec![(50_000, 40_000)]));

        // Little-endian TIFF, one IFD at 8 with width (LONG) and height (SHORT).
        let mut tiff = b"II*\0\x08\0\0\0".to_vec();
        tiff.extend_from_slice(&2u16.to_le_bytes());
        tiff.extend_from_slice(&[0, 1, 4, 0, 1, 0, 0, 0]);
        tiff.extend_from_slice(&70_000u32.to_le_bytes());
        tiff.extend_from_slice(&[1, 1, 3, 0, 1, 0, 0, 0, 0x10, 0x27, 0, 0]);
        tiff.extend_from_slice(&0u32.to_le_bytes());
        assert_eq!(pages(&tiff, 5), Some(vec![(70_000, 10_000)]));
    }

    #[test]
    fn a_truncated_header_is_unknown_not_small() {
        assert_eq!(pages(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 5), None);
        assert_eq!(pages(&[0xff, 0xd8, 0xff], 5), None);
    }
}
