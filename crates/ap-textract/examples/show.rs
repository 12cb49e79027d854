//! Prints the extraction of one PDF (or, with `--text`, one layout text file) as JSON.

use std::path::Path;

use ap_textract::{PdfToTextConfig, extract_pdf_file, extract_text};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.as_slice() {
        [flag, path] if flag == "--text" => std::fs::read_to_string(path)
            .map(|t| extract_text(&t))
            .map_err(|e| e.to_string()),
        [path] => extract_pdf_file(Path::new(path), &PdfToTextConfig::default())
            .map_err(|e| e.to_string()),
        _ => Err("usage: show [--text] FILE".to_string()),
    };
    match result.and_then(|x| serde_json::to_string_pretty(&x).map_err(|e| e.to_string())) {
        Ok(json) => println!("{json}"),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
