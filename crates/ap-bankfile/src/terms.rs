//! Payment terms (`2/10 net 30`) and early-payment discount arithmetic: due date,
//! discount deadline, discount amount and the amount payable on a given day.
//!
//! Rounding: the discount is `amount × percent / 100` rounded half-to-even ("banker's
//! rounding") to the currency's minor unit, and the payable amount is `amount − discount`.
//! Half-even avoids the systematic upward bias half-up gives over many invoices; the
//! payable amount is derived by subtraction so the two always add back to the invoice.

mod parse;

use chrono::{Days, NaiveDate};
use rust_decimal::{Decimal, RoundingStrategy};
use thiserror::Error;

use crate::money::{Currency, MoneyError, ZeroPolicy, check_amount};

/// Early-payment discount: `percent` off when paid within `days` of the invoice date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Discount {
    /// Percentage, e.g. 2 for 2 %; 0 < percent < 100.
    pub percent: Decimal,
    /// Days after the invoice date the discount stays available (inclusive).
    pub days: u32,
}

/// Parsed payment terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaymentTerms {
    /// Optional early-payment discount.
    pub discount: Option<Discount>,
    /// Days after the invoice date the full amount is due (0 for due on receipt).
    pub net_days: u32,
}

/// Why terms could not be parsed or applied.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TermsError {
    /// The text matches none of the supported forms.
    #[error("unrecognised payment terms {0:?}")]
    Unrecognised(String),
    /// Percent must be above 0 and below 100.
    #[error("discount percent {0} must be greater than 0 and less than 100")]
    Percent(Decimal),
    /// A discount window longer than the net period makes no sense.
    #[error(
        "discount period of {discount_days} days is longer than the net period of {net_days} days"
    )]
    DiscountAfterNet {
        /// Discount days.
        discount_days: u32,
        /// Net days.
        net_days: u32,
    },
    /// Day counts above ten years are refused as typos.
    #[error("{0} days is outside the supported range of 0 to 3650")]
    Days(u64),
    /// The date arithmetic left the calendar.
    #[error("date is out of range")]
    DateOutOfRange,
    /// Bad invoice amount.
    #[error(transparent)]
    Money(#[from] MoneyError),
}

/// What to pay on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Payable {
    /// Amount to pay.
    pub amount: Decimal,
    /// Discount taken (zero when the deadline has passed or there is none).
    pub discount: Decimal,
    /// Whether the discount applied.
    pub discount_taken: bool,
}

const MAX_DAYS: u32 = 3650;

impl PaymentTerms {
    /// Builds terms after checking the same rules the parser applies.
    pub fn new(discount: Option<Discount>, net_days: u32) -> Result<Self, TermsError> {
        if net_days > MAX_DAYS {
            return Err(TermsError::Days(u64::from(net_days)));
        }
        if let Some(d) = discount {
            if d.percent <= Decimal::ZERO || d.percent >= Decimal::ONE_HUNDRED {
                return Err(TermsError::Percent(d.percent));
            }
            if d.days > net_days {
                return Err(TermsError::DiscountAfterNet {
                    discount_days: d.days,
                    net_days,
                });
            }
        }
        Ok(Self { discount, net_days })
    }

    /// Parses `2/10 net 30`, `2/10 n/30`, `1.5/15 net 45`, `2% 10 net 30`, `net 30`,
    /// `NET30`, `n/30`, `due on receipt` (case and spacing are ignored).
    pub fn parse(text: &str) -> Result<Self, TermsError> {
        parse::parse(text)
    }

    /// Invoice date plus the net days.
    pub fn due_date(&self, invoice_date: NaiveDate) -> Result<NaiveDate, TermsError> {
        add_days(invoice_date, self.net_days)
    }

    /// Last day (inclusive) the discount can be taken, if there is one.
    pub fn discount_deadline(
        &self,
        invoice_date: NaiveDate,
    ) -> Result<Option<NaiveDate>, TermsError> {
        self.discount
            .map(|d| add_days(invoice_date, d.days))
            .transpose()
    }

    /// Discount on `amount` in `currency`, rounded half-even to the minor unit; zero when
    /// the terms have no discount. `amount` must be non-negative with at most the
    /// currency's decimals.
    pub fn discount_amount(
        &self,
        amount: Decimal,
        currency: Currency,
    ) -> Result<Decimal, TermsError> {
        check_amount(amount, currency, ZeroPolicy::Allow)?;
        let Some(d) = self.discount else {
            return Ok(Decimal::ZERO);
        };
        let raw = amount
            .checked_mul(d.percent)
            .and_then(|x| x.checked_div(Decimal::ONE_HUNDRED))
            .ok_or(MoneyError::Overflow(amount))?;
        Ok(raw.round_dp_with_strategy(
            currency.minor_units(),
            RoundingStrategy::MidpointNearestEven,
        ))
    }

    /// Amount to pay on `pay_date`: discounted when paid on or before the discount
    /// deadline, otherwise the full amount (late payment does not change the amount).
    pub fn amount_payable(
        &self,
        invoice_date: NaiveDate,
        amount: Decimal,
        currency: Currency,
        pay_date: NaiveDate,
    ) -> Result<Payable, TermsError> {
        let discount = self.discount_amount(amount, currency)?;
        let in_time = self
            .discount_deadline(invoice_date)?
            .is_some_and(|deadline| pay_date <= deadline);
        if in_time && !discount.is_zero() {
            Ok(Payable {
                amount: amount - discount,
                discount,
                discount_taken: true,
            })
        } else {
            Ok(Payable {
                amount,
                discount: Decimal::ZERO,
                discount_taken: false,
            })
        }
    }
}

fn add_days(date: NaiveDate, days: u32) -> Result<NaiveDate, TermsError> {
    date.checked_add_days(Days::new(u64::from(days)))
        .ok_or(TermsError::DateOutOfRange)
}

impl std::str::FromStr for PaymentTerms {
    type Err = TermsError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}
