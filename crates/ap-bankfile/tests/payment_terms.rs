//! Tests for payment terms parsing and early-payment discount arithmetic.

#[path = "helpers/fixtures.rs"]
mod fixtures;

use ap_bankfile::{Currency, Discount, MoneyError, PaymentTerms, TermsError};
use fixtures::*;
use proptest::prelude::*;
use rust_decimal::Decimal;

fn terms(percent: &str, days: u32, net: u32) -> PaymentTerms {
    PaymentTerms {
        discount: Some(Discount {
            percent: dec(percent),
            days,
        }),
        net_days: net,
    }
}

#[test]
fn common_terms_texts_parse_to_typed_terms() {
    let cases = [
        ("2/10 net 30", terms("2", 10, 30)),
        ("2/10 n/30", terms("2", 10, 30)),
        ("2/10, Net 30", terms("2", 10, 30)),
        ("1.5/15 net 45", terms("1.5", 15, 45)),
        ("2% 10 net 30 days", terms("2", 10, 30)),
        ("2%/10 NET30", terms("2", 10, 30)),
        (
            "net 30",
            PaymentTerms {
                discount: None,
                net_days: 30,
            },
        ),
        (
            "NET30",
            PaymentTerms {
                discount: None,
                net_days: 30,
            },
        ),
        (
            "n/60",
            PaymentTerms {
                discount: None,
                net_days: 60,
            },
        ),
        (
            "Net 15 days",
            PaymentTerms {
                discount: None,
                net_days: 15,
            },
        ),
        (
            "due on receipt",
            PaymentTerms {
                discount: None,
                net_days: 0,
            },
        ),
        (
            "  Due Upon  Receipt ",
            PaymentTerms {
                discount: None,
                net_days: 0,
            },
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(PaymentTerms::parse(text), Ok(expected), "{text}");
    }
}

#[test]
fn nonsense_and_inconsistent_terms_are_refused() {
    assert_eq!(
        PaymentTerms::parse("whenever"),
        Err(TermsError::Unrecognised("whenever".to_string()))
    );
    assert_eq!(
        PaymentTerms::parse("2/40 net 30"),
        Err(TermsError::DiscountAfterNet {
            discount_days: 40,
            net_days: 30
        })
    );
    assert_eq!(
        PaymentTerms::parse("0/10 net 30"),
        Err(TermsError::Percent(dec("0")))
    );
    assert_eq!(
        PaymentTerms::parse("100/10 net 30"),
        Err(TermsError::Percent(dec("100")))
    );
    assert_eq!(
        PaymentTerms::parse("net 99999"),
        Err(TermsError::Days(99_999))
    );
    assert!(PaymentTerms::parse("2/ten net 30").is_err());
    assert!(PaymentTerms::parse("").is_err());
}

#[test]
fn due_date_and_discount_deadline_count_calendar_days_from_the_invoice_date() {
    let t = PaymentTerms::parse("2/10 net 30").expect("valid test input");
    assert_eq!(t.due_date(date(2026, 1, 20)), Ok(date(2026, 2, 19)));
    assert_eq!(
        t.discount_deadline(date(2026, 2, 25)),
        Ok(Some(date(2026, 3, 7)))
    );
    assert_eq!(
        PaymentTerms::parse("net 30")
            .expect("valid test input")
            .discount_deadline(date(2026, 1, 1)),
        Ok(None)
    );
}

#[test]
fn discount_applies_up_to_and_including_the_deadline_only() {
    let t = PaymentTerms::parse("2/10 net 30").expect("valid test input");
    let invoice = date(2026, 3, 1);
    let on_time = t
        .amount_payable(invoice, dec("1000.00"), Currency::Usd, date(2026, 3, 11))
        .expect("valid test input");
    assert_eq!(
        (on_time.amount, on_time.discount, on_time.discount_taken),
        (dec("980.00"), dec("20.00"), true)
    );
    let late = t
        .amount_payable(invoice, dec("1000.00"), Currency::Usd, date(2026, 3, 12))
        .expect("valid test input");
    assert_eq!(
        (late.amount, late.discount, late.discount_taken),
        (dec("1000.00"), Decimal::ZERO, false)
    );
}

#[test]
fn discount_rounds_half_to_even_at_the_currency_minor_unit() {
    let t = terms("1.5", 10, 30);
    // 1.5 % of 1.00 = 0.015 → 0.02 (half to even: 1 is odd, round up)
    assert_eq!(
        t.discount_amount(dec("1.00"), Currency::Usd),
        Ok(dec("0.02"))
    );
    // 1.5 % of 3.00 = 0.045 → 0.04 (4 is even, stay)
    assert_eq!(
        t.discount_amount(dec("3.00"), Currency::Usd),
        Ok(dec("0.04"))
    );
    // 2 % of 125 JPY = 2.5 → 2
    assert_eq!(
        terms("2", 10, 30).discount_amount(dec("125"), Currency::Jpy),
        Ok(dec("2"))
    );
    // 1.5 % of 0.300 BHD = 0.0045 → 0.004
    assert_eq!(
        t.discount_amount(dec("0.300"), Currency::Bhd),
        Ok(dec("0.004"))
    );
}

#[test]
fn invoice_amounts_must_be_non_negative_whole_minor_units() {
    let t = terms("2", 10, 30);
    assert_eq!(
        t.discount_amount(dec("-1.00"), Currency::Usd),
        Err(TermsError::Money(MoneyError::Negative(dec("-1.00"))))
    );
    assert!(matches!(
        t.discount_amount(dec("1.001"), Currency::Usd),
        Err(TermsError::Money(MoneyError::TooManyDecimals { .. }))
    ));
    assert_eq!(t.discount_amount(dec("0"), Currency::Usd), Ok(dec("0")));
}

proptest! {
    #[test]
    fn discount_plus_payable_equals_the_invoice_and_neither_is_negative(
        cents in 0u64..1_000_000_000_000,
        percent_hundredths in 1u32..10_000,
        days in 0u32..60,
        extra in 0u32..60,
        pay_offset in 0u64..150,
    ) {
        let t = PaymentTerms::new(Some(Discount { percent: Decimal::new(i64::from(percent_hundredths), 2), days }), days + extra).expect("valid test input");
        let amount = Decimal::new(i64::try_from(cents).expect("valid test input"), 2);
        let invoice = date(2026, 1, 31);
        let pay = invoice + chrono::Days::new(pay_offset);
        let p = t.amount_payable(invoice, amount, Currency::Usd, pay).expect("valid test input");
        prop_assert_eq!(p.amount + p.discount, amount);
        prop_assert!(p.amount >= Decimal::ZERO && p.discount >= Decimal::ZERO);
        prop_assert!(p.amount.normalize().scale() <= 2 && p.discount.normalize().scale() <= 2);
        prop_assert_eq!(p.discount_taken, pay_offset <= u64::from(days) && !p.discount.is_zero());
        prop_assert!(t.due_date(invoice).expect("valid test input") >= t.discount_deadline(invoice).expect("valid test input").expect("valid test input"));
    }

    #[test]
    fn parsing_the_canonical_text_of_any_terms_round_trips(percent_tenths in 1u32..999, days in 0u32..90, extra in 0u32..90) {
        let percent = Decimal::new(i64::from(percent_tenths), 1);
        let net = days + extra;
        let parsed = PaymentTerms::parse(&format!("{percent}/{days} net {net}")).expect("valid test input");
        prop_assert_eq!(parsed, PaymentTerms::new(Some(Discount { percent, days }), net).expect("valid test input"));
    }
}
