//! Prints the e-invoice XML embedded in a hybrid PDF: `cargo run --example extract_xml -- file.pdf`.

use std::io::Write;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: extract_xml <file.pdf>")?;
    let bytes = std::fs::read(path)?;
    match ap_einvoice::extract_embedded_xml(&bytes)? {
        Some(found) => {
            eprintln!(
                "attachment: {}",
                found.filename.as_deref().unwrap_or("(unnamed)")
            );
            std::io::stdout().write_all(&found.xml)?;
        }
        None => eprintln!("no e-invoice xml attachment"),
    }
    Ok(())
}
