//! Property tests: amounts and dates formatted in every supported style parse back to the same value.

use ap_textract::dates::{DateOrder, parse_date};
use ap_textract::numbers::parse_amount;
use chrono::{Datelike, NaiveDate};
use proptest::prelude::*;
use rust_decimal::Decimal;

fn group(int: &str, sep: &str) -> String {
    let digits: Vec<char> = int.chars().collect();
    let mut out = String::new();
    for (i, c) in digits.iter().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push_str(sep);
        }
        out.push(*c);
    }
    out
}

fn styles(cents: i64) -> Vec<String> {
    let abs = cents.unsigned_abs();
    let (int, frac) = ((abs / 100).to_string(), format!("{:02}", abs % 100));
    let sign = if cents < 0 { "-" } else { "" };
    let mut out = vec![
        format!("{sign}{}.{frac}", group(&int, ",")),
        format!("{sign}{}.{frac}", int),
        format!("{sign}{},{frac}", group(&int, ".")),
        format!("{sign}{},{frac}", group(&int, " ")),
        format!("{sign}{},{frac}", int),
    ];
    if cents < 0 {
        out.push(format!("{},{frac}-", group(&int, ".")));
        out.push(format!("({}.{frac})", group(&int, ",")));
    }
    out
}

const MONTHS_DE: [&str; 12] = [
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
];
const MONTHS_FR: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];
const MONTHS_ES: [&str; 12] = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
];
const MONTHS_IT: [&str; 12] = [
    "gennaio",
    "febbraio",
    "marzo",
    "aprile",
    "maggio",
    "giugno",
    "luglio",
    "agosto",
    "settembre",
    "ottobre",
    "novembre",
    "dicembre",
];
const MONTHS_NL: [&str; 12] = [
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
];

proptest! {
    #[test]
    fn every_amount_style_parses_back_to_the_same_decimal(cents in -99_999_999_999i64..99_999_999_999i64) {
        let want = Decimal::new(cents, 2);
        for text in styles(cents) {
            prop_assert_eq!(parse_amount(&text), Some(want), "{}", text);
        }
    }

    #[test]
    fn every_date_style_parses_back_to_the_same_date(days in 0i64..36_500) {
        let date = NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch") + chrono::Duration::days(days);
        let (d, m, y) = (date.day(), date.month(), date.year());
        let mi = (m - 1) as usize;
        let day_first = [
            format!("{y}-{m:02}-{d:02}"),
            format!("{d:02}.{m:02}.{y}"),
            format!("{d}/{m}/{y}"),
            format!("{d:02}-{m:02}-{y}"),
            format!("{d}. {} {y}", MONTHS_DE[mi]),
            format!("{d} {} {y}", MONTHS_FR[mi]),
            format!("{d} de {} de {y}", MONTHS_ES[mi]),
            format!("{d} {} {y}", MONTHS_IT[mi]),
            format!("{d} {} {y}", MONTHS_NL[mi]),
            date.format("%B %-d, %Y").to_string(),
        ];
        for text in day_first {
            prop_assert_eq!(parse_date(&text, DateOrder::DayFirst), Some(date), "{}", text);
        }
        let us = format!("{m:02}/{d:02}/{y}");
        prop_assert_eq!(parse_date(&us, DateOrder::MonthFirst), Some(date), "{}", us);
        if (2000..2070).contains(&y) {
            let short = format!("{d:02}.{m:02}.{:02}", y % 100);
            prop_assert_eq!(parse_date(&short, DateOrder::DayFirst), Some(date), "{}", short);
        }
    }
}
