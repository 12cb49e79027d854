//! Locates and reads the shared test corpus for the integration tests.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// `AP_CORPUS_DIR` when set, else `<repo>/../shared/corpus` seen from `<repo>/crates/ap-einvoice`.
pub fn dir() -> PathBuf {
    std::env::var_os("AP_CORPUS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"))
}

/// Bytes of one corpus file, e.g. `read("einvoice/ubl/ubl-tc434-example1.xml")`.
pub fn read(relative: &str) -> Vec<u8> {
    let path = dir().join(relative);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Every file of a corpus folder, sorted, as (relative path, bytes).
pub fn folder(relative: &str) -> Vec<(String, Vec<u8>)> {
    let path = dir().join(relative);
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&path)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", path.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    entries.sort();
    assert!(!entries.is_empty(), "{} is empty", path.display());
    entries
        .into_iter()
        .map(|p| {
            let name = format!(
                "{relative}/{}",
                p.file_name().expect("file name").to_string_lossy()
            );
            let bytes = std::fs::read(&p).expect("readable corpus file");
            (name, bytes)
        })
        .collect()
}

/// The four e-invoice XML folders.
pub const XML_FOLDERS: [&str; 4] = [
    "einvoice/ubl",
    "einvoice/cii",
    "einvoice/peppol",
    "einvoice/facturx-xml",
];

/// Every corpus e-invoice XML file.
pub fn all_xml() -> Vec<(String, Vec<u8>)> {
    XML_FOLDERS.iter().flat_map(|f| folder(f)).collect()
}

/// Every corpus PDF.
pub fn all_pdf() -> Vec<(String, Vec<u8>)> {
    folder("pdf")
}
