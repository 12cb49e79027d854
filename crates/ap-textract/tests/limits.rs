//! Helpers run bounded: under `prlimit` (address space, CPU, file size), with a missing
//! wrapper or helper named, and images that declare gigapixels are refused from their header
//! before tesseract ever sees them.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use ap_test_support::hostile::png_declaring;
use ap_textract::{
    ExtractError, OcrConfig, PdfToTextConfig, ProcessLimits, ocr_image, pdf_to_text,
};

/// An executable shell script standing in for a helper.
fn script(dir: &Path, body: &str) -> PathBuf {
    let path = dir.join("helper.sh");
    std::fs::write(&path, format!("#!/bin/bash\n{body}\n")).expect("write script");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

fn config(binary: PathBuf, max_memory_bytes: u64) -> PdfToTextConfig {
    PdfToTextConfig {
        binary,
        limits: ProcessLimits {
            max_memory_bytes,
            ..PdfToTextConfig::default().limits
        },
        ..PdfToTextConfig::default()
    }
}

#[test]
fn a_helper_runs_under_the_memory_cpu_and_file_size_limits_and_is_killed_first_on_oom() {
    let dir = tempfile::tempdir().expect("tempdir");
    let helper = script(
        dir.path(),
        "cat > /dev/null; cat /proc/self/limits; echo oom_score_adj $(cat /proc/self/oom_score_adj)",
    );
    let text = pdf_to_text(b"%PDF-1.4", &config(helper, 300 * 1024 * 1024)).expect("runs");
    let line = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("no {name} in {text}"))
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert!(
        line("Max address space").contains("314572800 314572800"),
        "{text}"
    );
    assert!(line("Max cpu time").contains("20 20"), "{text}");
    assert!(
        line("Max file size").contains("67108864 67108864"),
        "{text}"
    );
}

#[test]
fn a_helper_that_allocates_past_its_memory_limit_is_stopped() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Builds a 200 MB string in the shell: fine without limits, impossible under 64 MiB.
    let helper = script(
        dir.path(),
        "cat > /dev/null; x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo ${#x}",
    );
    let err = pdf_to_text(b"%PDF-1.4", &config(helper, 64 * 1024 * 1024)).expect_err("stopped");
    assert!(
        matches!(&err, ExtractError::ResourceLimit { tool, .. } if tool == "helper.sh"),
        "{err:?}"
    );
    assert!(err.to_string().contains("64 MiB of memory"), "{err}");
}

#[test]
fn a_missing_prlimit_is_named_rather_than_running_unbounded() {
    let mut config = PdfToTextConfig::default();
    config.limits.wrapper = Some(PathBuf::from("/nonexistent/prlimit"));
    let err = pdf_to_text(b"%PDF-1.4", &config).expect_err("refused");
    assert!(
        matches!(&err, ExtractError::ToolMissing(t) if t == "prlimit"),
        "{err:?}"
    );
    assert!(err.to_string().contains("util-linux"), "{err}");
}

#[test]
fn a_helper_missing_behind_prlimit_is_still_reported_as_missing() {
    let config = PdfToTextConfig {
        binary: PathBuf::from("/nonexistent/pdftotext"),
        ..PdfToTextConfig::default()
    };
    let err = pdf_to_text(b"%PDF-1.4", &config).expect_err("missing");
    assert!(
        matches!(&err, ExtractError::ToolMissing(t) if t == "pdftotext"),
        "{err:?}"
    );
}

#[test]
fn a_png_declaring_gigapixels_is_refused_before_tesseract_runs() {
    // Tesseract is deliberately absent: reaching it would report a missing tool instead.
    let config = OcrConfig {
        tesseract: PathBuf::from("/nonexistent/tesseract"),
        ..OcrConfig::default()
    };
    let png = png_declaring(100_000, 100_000);
    assert!(png.len() < 1024 * 1024);
    let err = ocr_image(&png, &config).expect_err("refused");
    assert!(
        matches!(
            err,
            ExtractError::ImageTooLarge {
                width: 100_000,
                height: 100_000,
                limit: 64_000_000
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "the image is 100000 × 100000 pixels, beyond the 64-megapixel limit"
    );
}

#[test]
fn an_image_within_the_pixel_limit_reaches_tesseract() {
    let config = OcrConfig {
        tesseract: PathBuf::from("/nonexistent/tesseract"),
        ..OcrConfig::default()
    };
    let err = ocr_image(&png_declaring(2_480, 3_508), &config).expect_err("no tesseract");
    assert!(
        matches!(&err, ExtractError::ToolMissing(t) if t == "tesseract"),
        "{err:?}"
    );
}
