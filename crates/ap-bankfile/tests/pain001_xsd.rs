//! Validates generated pain.001.001.09 messages against the vendored official XSD with
//! xmllint, and proves the check is real with a document xmllint must reject.

#[path = "helpers/fixtures.rs"]
mod fixtures;

use std::path::{Path, PathBuf};
use std::process::Command;

use ap_bankfile::{Agent, CreditTransfer, write_pain001};
use fixtures::*;

const INSTALL: &str = "apt-get update && apt-get install -y libxml2-utils";

fn xsd() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/xsd/pain.001.001.09.xsd")
}

fn xmllint_available() -> bool {
    Command::new("xmllint")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Writes `xml` to a temporary file and returns xmllint's verdict and output.
fn xmllint(name: &str, xml: &str) -> (bool, String) {
    let dir = std::env::temp_dir().join(format!("ap-bankfile-xsd-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("valid test input");
    let path = dir.join(name);
    std::fs::write(&path, xml).expect("valid test input");
    let out = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(xsd())
        .arg(&path)
        .output()
        .expect("valid test input");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn assert_valid(name: &str, transfers: Vec<CreditTransfer>) {
    if !require_tool(xmllint_available(), "xmllint", "AP_SKIP_XMLLINT", INSTALL) {
        return;
    }
    let xml = write_pain001(&pain_spec(transfers)).expect("valid test input");
    let (ok, output) = xmllint(name, &xml);
    assert!(ok, "xmllint rejected {name}:\n{output}\n{xml}");
}

#[test]
fn eur_sepa_message_with_many_transactions_validates_against_the_official_xsd() {
    let transfers = (1..=25)
        .map(|i| {
            eur_transfer(
                i,
                &format!("Vendor {i}"),
                &format!("{i}.{:02}", i % 100),
                &format!("INV-{i:05}"),
            )
        })
        .collect();
    assert_valid("eur-multi.xml", transfers);
}

#[test]
fn names_and_remittance_with_xml_special_characters_validate_against_the_official_xsd() {
    let mut t = eur_transfer(
        1,
        "Smith & Sons <\"Ltd\"> 'Ø' Müller",
        "1234.56",
        "inv &<>\"' 1001; ünïcödé €",
    );
    t.instruction_id = "ID&<>\"'".to_string();
    assert_valid("special-chars.xml", vec![t]);
}

#[test]
fn usd_wire_and_unknown_creditor_agent_validate_against_the_official_xsd() {
    let mut no_agent = eur_transfer(2, "Vendor", "5.00", "");
    no_agent.creditor.agent = None;
    no_agent.debtor.agent = Agent::default();
    assert_valid("usd-wire.xml", vec![usd_wire(1), no_agent]);
}

#[test]
fn a_deliberately_broken_document_is_rejected_by_xmllint() {
    if !require_tool(xmllint_available(), "xmllint", "AP_SKIP_XMLLINT", INSTALL) {
        return;
    }
    let good = write_pain001(&pain_spec(vec![eur_transfer(1, "Vendor", "1.00", "INV")]))
        .expect("valid test input");
    let broken = [
        (
            "wrong-order.xml",
            good.replacen("<BtchBookg>true</BtchBookg>", "", 1)
                .replacen("<PmtMtd>", "<BtchBookg>true</BtchBookg><PmtMtd>", 1),
        ),
        (
            "bad-amount.xml",
            good.replace(">1.00</InstdAmt>", ">1.000001</InstdAmt>"),
        ),
        ("bad-iban.xml", good.replace("<IBAN>DE89", "<IBAN>de89")),
        (
            "missing-msgid.xml",
            good.replace("<MsgId>MSG-2026-11-29-0001</MsgId>", ""),
        ),
    ];
    for (name, xml) in broken {
        assert_ne!(xml, good, "{name} did not change the document");
        let (ok, output) = xmllint(name, &xml);
        assert!(!ok, "xmllint accepted a broken document {name}:\n{output}");
        assert!(output.contains("fails to validate"), "{name}: {output}");
    }
}
