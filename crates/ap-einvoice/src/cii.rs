//! Maps UN/CEFACT CII `CrossIndustryInvoice` (EN 16931, Factur-X, ZUGFeRD 2, XRechnung) and
//! ZUGFeRD 1 `CrossIndustryDocument` to the canonical model.
//!
//! ZUGFeRD 1 is the same semantic tree under older aggregate names, so one mapper serves both
//! through a [`Dialect`] table.

mod lines;

use crate::error::{Error, Result};
use crate::extract::{
    dedupe_accounts, indicator, join_lines, opt_cefact_date, opt_decimal, req_decimal, req_string,
};
use crate::model::{
    AllowanceCharge, DocumentKind, Invoice, Party, PayeeAccount, Totals, VatBreakdown,
};
use crate::xml::Node;

pub(crate) const CII_NS: &str = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100";
pub(crate) const ZUGFERD1_NS: &str = "urn:ferd:CrossIndustryDocument:invoice:1p0";

/// Aggregate names that changed between ZUGFeRD 1 (D13B-based) and CII D16B.
pub(crate) struct Dialect {
    context: &'static str,
    header: &'static str,
    transaction: &'static str,
    agreement: &'static str,
    settlement: &'static str,
    summation: &'static str,
    line_agreement: &'static str,
    line_delivery: &'static str,
    line_settlement: &'static str,
    line_summation: &'static str,
}

pub(crate) const CII: Dialect = Dialect {
    context: "ExchangedDocumentContext",
    header: "ExchangedDocument",
    transaction: "SupplyChainTradeTransaction",
    agreement: "ApplicableHeaderTradeAgreement",
    settlement: "ApplicableHeaderTradeSettlement",
    summation: "SpecifiedTradeSettlementHeaderMonetarySummation",
    line_agreement: "SpecifiedLineTradeAgreement",
    line_delivery: "SpecifiedLineTradeDelivery",
    line_settlement: "SpecifiedLineTradeSettlement",
    line_summation: "SpecifiedTradeSettlementLineMonetarySummation",
};

pub(crate) const ZUGFERD1: Dialect = Dialect {
    context: "SpecifiedExchangedDocumentContext",
    header: "HeaderExchangedDocument",
    transaction: "SpecifiedSupplyChainTradeTransaction",
    agreement: "ApplicableSupplyChainTradeAgreement",
    settlement: "ApplicableSupplyChainTradeSettlement",
    summation: "SpecifiedTradeSettlementMonetarySummation",
    line_agreement: "SpecifiedSupplyChainTradeAgreement",
    line_delivery: "SpecifiedSupplyChainTradeDelivery",
    line_settlement: "SpecifiedSupplyChainTradeSettlement",
    line_summation: "SpecifiedTradeSettlementMonetarySummation",
};

/// VAT rate: `RateApplicablePercent` in CII D16B, `ApplicablePercent` in ZUGFeRD 1.
fn rate(node: Node<'_>, field: &'static str) -> Result<Option<rust_decimal::Decimal>> {
    match opt_decimal(node, &["RateApplicablePercent"], field)? {
        Some(r) => Ok(Some(r)),
        None => opt_decimal(node, &["ApplicablePercent"], field),
    }
}

/// Referenced document id: `IssuerAssignedID` in CII D16B, `ID` in ZUGFeRD 1.
fn doc_ref(node: Option<Node<'_>>) -> Option<String> {
    let node = node?;
    node.string_at(&["IssuerAssignedID"])
        .or_else(|| node.string_at(&["ID"]))
}

pub(crate) fn map(root: Node<'_>, d: &Dialect) -> Result<Invoice> {
    let header = root
        .child(d.header)
        .ok_or(Error::MissingField("exchanged document header"))?;
    let tx = root
        .child(d.transaction)
        .ok_or(Error::MissingField("supply chain trade transaction"))?;
    let agreement = tx
        .child(d.agreement)
        .ok_or(Error::MissingField("header trade agreement"))?;
    let settlement = tx
        .child(d.settlement)
        .ok_or(Error::MissingField("header trade settlement"))?;
    let currency = req_string(settlement, &["InvoiceCurrencyCode"], "BT-5 currency")?;
    let type_code = req_string(header, &["TypeCode"], "BT-3 type code")?;
    let terms: Vec<Node<'_>> = settlement.all("SpecifiedTradePaymentTerms").collect();
    let means: Vec<Node<'_>> = settlement
        .all("SpecifiedTradeSettlementPaymentMeans")
        .collect();
    let due_date = terms
        .iter()
        .map(|t| opt_cefact_date(*t, &["DueDateDateTime"], "BT-9 due date"))
        .find_map(|r| r.transpose())
        .transpose()?;
    Ok(Invoice {
        kind: DocumentKind::from_type_code(&type_code),
        type_code,
        specification_id: root.string_at(&[
            d.context,
            "GuidelineSpecifiedDocumentContextParameter",
            "ID",
        ]),
        number: req_string(header, &["ID"], "BT-1 invoice number")?,
        issue_date: opt_cefact_date(header, &["IssueDateTime"], "BT-2 issue date")?
            .ok_or(Error::MissingField("BT-2 issue date"))?,
        due_date,
        buyer_reference: agreement.string_at(&["BuyerReference"]),
        purchase_order_reference: doc_ref(agreement.child("BuyerOrderReferencedDocument")),
        sales_order_reference: doc_ref(agreement.child("SellerOrderReferencedDocument")),
        notes: header
            .all("IncludedNote")
            .filter_map(|n| n.string_at(&["Content"]))
            .collect(),
        seller: party(agreement.child("SellerTradeParty"), "BT-27 seller name")?,
        buyer: party(agreement.child("BuyerTradeParty"), "BT-44 buyer name")?,
        payment_terms: join_lines(terms.iter().filter_map(|t| t.text_at(&["Description"]))),
        payment_means_code: means.iter().find_map(|m| m.string_at(&["TypeCode"])),
        remittance_information: settlement.string_at(&["PaymentReference"]),
        payee_accounts: dedupe_accounts(means.iter().filter_map(|m| account(*m))),
        allowances_charges: settlement
            .all("SpecifiedTradeAllowanceCharge")
            .map(allowance_charge)
            .chain(
                settlement
                    .all("SpecifiedLogisticsServiceCharge")
                    .map(logistics_charge),
            )
            .collect::<Result<_>>()?,
        vat_breakdown: settlement
            .all("ApplicableTradeTax")
            .map(vat_row)
            .collect::<Result<_>>()?,
        totals: totals(settlement.child(d.summation), &currency)?,
        lines: lines::map_lines(tx, d)?,
        currency,
    })
}

fn party(node: Option<Node<'_>>, field: &'static str) -> Result<Party> {
    let node = node.ok_or(Error::MissingField(field))?;
    let mut vat_id = None;
    let mut tax_registration_id = None;
    for reg in node
        .all("SpecifiedTaxRegistration")
        .filter_map(|r| r.child("ID"))
    {
        let id = Some(reg.text().to_owned()).filter(|t| !t.is_empty());
        match reg.attr("schemeID") {
            Some("VA") => vat_id = vat_id.or(id),
            _ => tax_registration_id = tax_registration_id.or(id),
        }
    }
    let address = node.child("PostalTradeAddress");
    let address_lines = address
        .map(|a| {
            ["LineOne", "LineTwo", "LineThree"]
                .into_iter()
                .filter_map(|n| a.string_at(&[n]))
                .collect()
        })
        .unwrap_or_default();
    Ok(Party {
        name: req_string(node, &["Name"], field)?,
        trading_name: node.string_at(&["SpecifiedLegalOrganization", "TradingBusinessName"]),
        vat_id,
        tax_registration_id,
        legal_registration_id: node.string_at(&["SpecifiedLegalOrganization", "ID"]),
        electronic_address: node.string_at(&["URIUniversalCommunication", "URIID"]),
        address_lines,
        city: address.and_then(|a| a.string_at(&["CityName"])),
        postal_code: address.and_then(|a| a.string_at(&["PostcodeCode"])),
        country: address.and_then(|a| a.string_at(&["CountryID"])),
        email: node.string_at(&[
            "DefinedTradeContact",
            "EmailURIUniversalCommunication",
            "URIID",
        ]),
    })
}

fn account(means: Node<'_>) -> Option<PayeeAccount> {
    let acct = means.child("PayeePartyCreditorFinancialAccount")?;
    Some(PayeeAccount {
        iban: acct
            .string_at(&["IBANID"])
            .or_else(|| acct.string_at(&["ProprietaryID"]))?,
        account_name: acct.string_at(&["AccountName"]),
        bic: means.string_at(&["PayeeSpecifiedCreditorFinancialInstitution", "BICID"]),
    })
}

fn allowance_charge(node: Node<'_>) -> Result<AllowanceCharge> {
    let flag = node
        .text_at(&["ChargeIndicator", "Indicator"])
        .ok_or(Error::MissingField("allowance/charge indicator"))?;
    let tax = node.child("CategoryTradeTax");
    Ok(AllowanceCharge {
        is_charge: indicator(flag, "allowance/charge indicator")?,
        amount: req_decimal(
            node,
            &["ActualAmount"],
            "BT-92/BT-99 allowance/charge amount",
        )?,
        base_amount: opt_decimal(node, &["BasisAmount"], "BT-93/BT-100 base amount")?,
        percentage: opt_decimal(node, &["CalculationPercent"], "BT-94/BT-101 percentage")?,
        reason: node.string_at(&["Reason"]),
        reason_code: node.string_at(&["ReasonCode"]),
        vat_category: tax.and_then(|t| t.string_at(&["CategoryCode"])),
        vat_rate: match tax {
            Some(t) => rate(t, "BT-96/BT-103 vat rate")?,
            None => None,
        },
    })
}

/// Factur-X EXTENDED and ZUGFeRD 1 express freight and similar costs as logistics service
/// charges; they count towards BT-108 like any document-level charge.
fn logistics_charge(node: Node<'_>) -> Result<AllowanceCharge> {
    let tax = node.child("AppliedTradeTax");
    Ok(AllowanceCharge {
        is_charge: true,
        amount: req_decimal(node, &["AppliedAmount"], "BT-99 charge amount")?,
        base_amount: None,
        percentage: None,
        reason: node.string_at(&["Description"]),
        reason_code: None,
        vat_category: tax.and_then(|t| t.string_at(&["CategoryCode"])),
        vat_rate: match tax {
            Some(t) => rate(t, "BT-103 vat rate")?,
            None => None,
        },
    })
}

fn vat_row(node: Node<'_>) -> Result<VatBreakdown> {
    Ok(VatBreakdown {
        category: node.string_at(&["CategoryCode"]),
        rate: rate(node, "BT-119 vat rate")?,
        taxable_amount: req_decimal(node, &["BasisAmount"], "BT-116 taxable amount")?,
        tax_amount: req_decimal(node, &["CalculatedAmount"], "BT-117 tax amount")?,
        exemption_reason: node.string_at(&["ExemptionReason"]),
        exemption_reason_code: node.string_at(&["ExemptionReasonCode"]),
    })
}

fn totals(node: Option<Node<'_>>, currency: &str) -> Result<Totals> {
    let m = node.ok_or(Error::MissingField("BG-22 document totals"))?;
    // A second TaxTotalAmount may give BT-111 in the VAT accounting currency.
    let vat_total = m
        .all("TaxTotalAmount")
        .find(|t| t.attr("currencyID").is_none_or(|c| c == currency))
        .or_else(|| m.child("TaxTotalAmount"))
        .map(|t| t.text())
        .filter(|t| !t.is_empty())
        .map(|t| crate::extract::decimal(t, "BT-110 vat total"))
        .transpose()?;
    let total_with_vat = req_decimal(m, &["GrandTotalAmount"], "BT-112 total with vat")?;
    let prepaid = opt_decimal(m, &["TotalPrepaidAmount"], "BT-113 prepaid")?;
    let rounding = opt_decimal(m, &["RoundingAmount"], "BT-114 rounding")?;
    // ZUGFeRD 1 BASIC lets producers omit the amount due; EN 16931 (BR-CO-16) defines it.
    let amount_due = match opt_decimal(m, &["DuePayableAmount"], "BT-115 amount due")? {
        Some(due) => due,
        None => total_with_vat - prepaid.unwrap_or_default() + rounding.unwrap_or_default(),
    };
    Ok(Totals {
        line_total: opt_decimal(m, &["LineTotalAmount"], "BT-106 sum of lines")?,
        allowance_total: opt_decimal(m, &["AllowanceTotalAmount"], "BT-107 allowances")?,
        charge_total: opt_decimal(m, &["ChargeTotalAmount"], "BT-108 charges")?,
        total_without_vat: req_decimal(m, &["TaxBasisTotalAmount"], "BT-109 total without vat")?,
        vat_total,
        total_with_vat,
        prepaid,
        rounding,
        amount_due,
    })
}
