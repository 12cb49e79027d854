//! Tests for the pain.001.001.09 writer and the IBAN/BIC validators.

#[path = "helpers/fixtures.rs"]
mod fixtures;

use ap_bankfile::{
    AccountId, Bic, BicError, Currency, Iban, IbanError, MoneyError, Pain001Error, write_pain001,
};
use fixtures::*;

/// The document without indentation, so checks do not depend on pretty-printing.
fn flat(xml: &str) -> String {
    xml.lines().map(str::trim).collect()
}

fn between<'a>(xml: &'a str, open: &str, close: &str) -> Vec<&'a str> {
    xml.split(open)
        .skip(1)
        .filter_map(|s| s.split(close).next())
        .collect()
}

#[test]
fn group_header_counts_and_sums_every_transaction() {
    let xml = write_pain001(&pain_spec(vec![
        eur_transfer(1, "Vendor One", "100.10", "INV-1"),
        eur_transfer(2, "Vendor Two", "0.5", "INV-2"),
        eur_transfer(3, "Vendor Three", "99999.40", "INV-3"),
    ]))
    .expect("valid test input");
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pain.001.001.09\">"));
    assert_eq!(between(&xml, "<NbOfTxs>", "</NbOfTxs>"), ["3", "3"]);
    assert_eq!(
        between(&xml, "<CtrlSum>", "</CtrlSum>"),
        ["100100.00", "100100.00"]
    );
    assert_eq!(
        between(&xml, "<InstdAmt Ccy=\"EUR\">", "</InstdAmt>"),
        ["100.10", "0.50", "99999.40"],
        "amounts always carry exactly two decimals"
    );
    assert_eq!(
        between(&xml, "<CreDtTm>", "</CreDtTm>"),
        ["2026-11-29T14:30:00"]
    );
}

#[test]
fn sepa_payment_information_has_service_level_charge_bearer_and_agents() {
    let xml = flat(
        &write_pain001(&pain_spec(vec![eur_transfer(
            1, "Vendor", "10.00", "INV-1",
        )]))
        .expect("valid test input"),
    );
    for needle in [
        "<PmtInfId>MSG-2026-11-29-0001-1</PmtInfId>",
        "<PmtMtd>TRF</PmtMtd>",
        "<BtchBookg>true</BtchBookg>",
        "<PmtTpInf><SvcLvl><Cd>SEPA</Cd></SvcLvl></PmtTpInf>",
        "<Dt>2026-12-02</Dt>",
        "<IBAN>DE89370400440532013000</IBAN>",
        "<BICFI>COBADEFFXXX</BICFI>",
        "<ChrgBr>SLEV</ChrgBr>",
        "<InstrId>INSTR-1</InstrId>",
        "<EndToEndId>E2E-1</EndToEndId>",
        "<BICFI>BNPAFRPP</BICFI>",
        "<IBAN>FR1420041010050500013M02606</IBAN>",
        "<Ustrd>INV-1</Ustrd>",
    ] {
        assert!(xml.contains(needle), "missing {needle} in\n{xml}");
    }
}

#[test]
fn one_payment_information_block_per_execution_date_currency_and_debtor_account() {
    let mut later = eur_transfer(2, "Vendor", "2.00", "");
    later.execution_date = date(2026, 12, 9);
    let mut other_account = eur_transfer(3, "Vendor", "3.00", "");
    other_account.debtor.account = AccountId::Iban(iban("NL91ABNA0417164300"));
    let xml = write_pain001(&pain_spec(vec![
        eur_transfer(1, "Vendor", "1.00", ""),
        later,
        other_account,
        eur_transfer(4, "Vendor", "4.00", ""),
        usd_wire(5),
    ]))
    .expect("valid test input");
    assert_eq!(xml.matches("<PmtInf>").count(), 4);
    assert_eq!(
        between(&xml, "<NbOfTxs>", "</NbOfTxs>"),
        ["5", "2", "1", "1", "1"]
    );
    assert_eq!(
        xml.matches("<RmtInf>").count(),
        1,
        "empty remittance is omitted"
    );
}

#[test]
fn special_characters_in_names_and_remittance_are_escaped() {
    let xml = write_pain001(&pain_spec(vec![eur_transfer(
        1,
        "Smith & Sons <\"Ltd\"> 'Ø'",
        "1.00",
        "a&b <c> \"d\" 'e'\tf",
    )]))
    .expect("valid test input");
    assert!(xml.contains("<Nm>Smith &amp; Sons &lt;&quot;Ltd&quot;&gt; &apos;Ø&apos;</Nm>"));
    assert!(xml.contains("<Ustrd>a&amp;b &lt;c&gt; &quot;d&quot; &apos;e&apos; f</Ustrd>"));
}

#[test]
fn usd_wires_use_other_account_ids_and_aba_clearing_member_ids() {
    let xml = flat(&write_pain001(&pain_spec(vec![usd_wire(1)])).expect("valid test input"));
    assert!(xml.contains("<InstdAmt Ccy=\"USD\">125000.00</InstdAmt>"));
    assert!(xml.contains("<CdtrAgt><FinInstnId><ClrSysMmbId><ClrSysId><Cd>USABA</Cd></ClrSysId><MmbId>021000021</MmbId>"));
    assert!(xml.contains("<CdtrAcct><Id><Othr><Id>000987654321</Id></Othr></Id></CdtrAcct>"));
    assert!(xml.contains("<ChrgBr>SHAR</ChrgBr>"));
    assert!(!xml.contains("SEPA"));
}

#[test]
fn currencies_use_their_iso_4217_minor_units() {
    let mut yen = usd_wire(1);
    yen.currency = Currency::Jpy;
    yen.amount = dec("150000");
    let xml = write_pain001(&pain_spec(vec![yen.clone()])).expect("valid test input");
    assert!(xml.contains("<InstdAmt Ccy=\"JPY\">150000</InstdAmt>"));
    yen.amount = dec("1.5");
    assert!(matches!(
        write_pain001(&pain_spec(vec![yen])),
        Err(Pain001Error::Amount {
            index: 1,
            source: MoneyError::TooManyDecimals { .. }
        })
    ));
    assert_eq!(
        Currency::from_code("xyz"),
        Err(MoneyError::UnknownCurrency("xyz".to_string()))
    );
    assert_eq!(Currency::from_code("eur"), Ok(Currency::Eur));
}

#[test]
fn invalid_amounts_ids_and_remittance_are_refused_with_typed_errors() {
    let bad = |f: &dyn Fn(&mut ap_bankfile::CreditTransfer)| {
        let mut t = eur_transfer(1, "Vendor", "1.00", "INV");
        f(&mut t);
        write_pain001(&pain_spec(vec![t])).expect_err("must fail")
    };
    assert_eq!(
        bad(&|t| t.amount = dec("-1")),
        Pain001Error::Amount {
            index: 1,
            source: MoneyError::Negative(dec("-1"))
        }
    );
    assert_eq!(
        bad(&|t| t.amount = dec("0")),
        Pain001Error::Amount {
            index: 1,
            source: MoneyError::Zero
        }
    );
    assert_eq!(
        bad(&|t| t.end_to_end_id = "X".repeat(36)),
        Pain001Error::TooLong {
            index: 1,
            field: "end-to-end id",
            len: 36,
            max: 35
        }
    );
    assert_eq!(
        bad(&|t| t.remittance = "R".repeat(141)),
        Pain001Error::TooLong {
            index: 1,
            field: "remittance",
            len: 141,
            max: 140
        }
    );
    assert_eq!(
        bad(&|t| t.creditor.name = " \n".to_string()),
        Pain001Error::Empty {
            index: 1,
            field: "creditor name"
        }
    );
    assert_eq!(
        bad(&|t| t.creditor.account =
            AccountId::Other(ap_bankfile::AccountNumber::new("123").expect("valid test input"))),
        Pain001Error::SepaNeedsIban { index: 1 }
    );
    assert_eq!(
        write_pain001(&pain_spec(vec![])),
        Err(Pain001Error::NoTransfers)
    );
}

#[test]
fn ibans_are_checked_with_mod_97_and_country_length() {
    assert_eq!(
        Iban::parse("de89 3704 0044 0532 0130 00")
            .expect("valid test input")
            .as_str(),
        "DE89370400440532013000"
    );
    assert_eq!(
        Iban::parse("GB82WEST12345698765432")
            .expect("valid test input")
            .country(),
        "GB"
    );
    assert_eq!(
        Iban::parse("DE89370400440532013001"),
        Err(IbanError::Checksum)
    );
    assert_eq!(
        Iban::parse("DE8937040044053201300"),
        Err(IbanError::CountryLength {
            country: "DE".to_string(),
            expected: 22,
            actual: 21
        })
    );
    assert_eq!(
        Iban::parse("1289370400440532013000"),
        Err(IbanError::Format)
    );
    assert_eq!(Iban::parse("DE89"), Err(IbanError::Length(4)));
    let debug = format!(
        "{:?}",
        Iban::parse("DE89370400440532013000").expect("valid test input")
    );
    assert_eq!(debug, "Iban(DE…3000)");
}

#[test]
fn bics_must_have_8_or_11_characters_in_the_iso_9362_shape() {
    assert_eq!(
        Bic::parse("cobadeffxxx")
            .expect("valid test input")
            .as_str(),
        "COBADEFFXXX"
    );
    assert_eq!(
        Bic::parse("BNPAFRPP").expect("valid test input").country(),
        "FR"
    );
    assert!(matches!(Bic::parse("BNPAFRP"), Err(BicError::Length(_))));
    assert!(matches!(Bic::parse("BNPA12PP"), Err(BicError::Format(_))));
    assert!(matches!(
        Bic::parse("BNPA-RPPXXX"),
        Err(BicError::Format(_))
    ));
}
