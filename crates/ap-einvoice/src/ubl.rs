//! Maps an OASIS UBL 2.1 `Invoice` or `CreditNote` (EN 16931, Peppol BIS 3) to the canonical model.

use crate::error::{Error, Result};
use crate::extract::{
    dedupe_accounts, indicator, join_lines, opt_decimal, opt_iso_date, req_decimal, req_string,
};
use crate::model::{
    AllowanceCharge, DocumentKind, Invoice, InvoiceLine, Party, PayeeAccount, Totals, VatBreakdown,
};
use crate::xml::Node;

pub(crate) const INVOICE_NS: &str = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2";
pub(crate) const CREDIT_NOTE_NS: &str = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2";

/// Element names that differ between the two UBL document types.
struct Flavour {
    kind: DocumentKind,
    type_code: &'static str,
    line: &'static str,
    quantity: &'static str,
}

const INVOICE: Flavour = Flavour {
    kind: DocumentKind::Invoice,
    type_code: "InvoiceTypeCode",
    line: "InvoiceLine",
    quantity: "InvoicedQuantity",
};

const CREDIT_NOTE: Flavour = Flavour {
    kind: DocumentKind::CreditNote,
    type_code: "CreditNoteTypeCode",
    line: "CreditNoteLine",
    quantity: "CreditedQuantity",
};

pub(crate) fn map(root: Node<'_>) -> Result<Invoice> {
    let flavour = match root.name() {
        "CreditNote" => &CREDIT_NOTE,
        _ => &INVOICE,
    };
    let currency = req_string(root, &["DocumentCurrencyCode"], "BT-5 currency")?;
    let type_code = root.string_at(&[flavour.type_code]).unwrap_or_else(|| {
        if flavour.kind == DocumentKind::CreditNote {
            "381"
        } else {
            "380"
        }
        .into()
    });
    let kind = match flavour.kind {
        DocumentKind::CreditNote => DocumentKind::CreditNote,
        DocumentKind::Invoice => DocumentKind::from_type_code(&type_code),
    };
    // A credit note carries BT-9 in the payment means; an invoice has a dedicated element.
    let due_date = match opt_iso_date(root, &["DueDate"], "BT-9 due date")? {
        Some(d) => Some(d),
        None => opt_iso_date(root, &["PaymentMeans", "PaymentDueDate"], "BT-9 due date")?,
    };
    let payment_means: Vec<Node<'_>> = root.all("PaymentMeans").collect();
    Ok(Invoice {
        kind,
        type_code,
        specification_id: root.string_at(&["CustomizationID"]),
        number: req_string(root, &["ID"], "BT-1 invoice number")?,
        issue_date: opt_iso_date(root, &["IssueDate"], "BT-2 issue date")?
            .ok_or(Error::MissingField("BT-2 issue date"))?,
        due_date,
        buyer_reference: root.string_at(&["BuyerReference"]),
        purchase_order_reference: root.string_at(&["OrderReference", "ID"]),
        sales_order_reference: root.string_at(&["OrderReference", "SalesOrderID"]),
        notes: root
            .all("Note")
            .map(|n| n.text().to_owned())
            .filter(|t| !t.is_empty())
            .collect(),
        seller: party(
            root.path(&["AccountingSupplierParty", "Party"]),
            "BT-27 seller name",
        )?,
        buyer: party(
            root.path(&["AccountingCustomerParty", "Party"]),
            "BT-44 buyer name",
        )?,
        payment_terms: join_lines(
            root.all("PaymentTerms")
                .flat_map(|t| t.all("Note"))
                .map(|n| n.text()),
        ),
        payment_means_code: payment_means
            .iter()
            .find_map(|p| p.string_at(&["PaymentMeansCode"])),
        remittance_information: payment_means
            .iter()
            .find_map(|p| p.string_at(&["PaymentID"])),
        payee_accounts: dedupe_accounts(payment_means.iter().filter_map(|p| account(*p))),
        allowances_charges: root
            .all("AllowanceCharge")
            .map(allowance_charge)
            .collect::<Result<_>>()?,
        vat_breakdown: vat_breakdown(root, &currency)?,
        totals: totals(root, &currency)?,
        lines: root
            .all(flavour.line)
            .map(|l| line(l, flavour))
            .collect::<Result<_>>()?,
        currency,
    })
}

fn party(node: Option<Node<'_>>, field: &'static str) -> Result<Party> {
    let node = node.ok_or(Error::MissingField(field))?;
    let trading_name = node.string_at(&["PartyName", "Name"]);
    let name = node
        .string_at(&["PartyLegalEntity", "RegistrationName"])
        .or_else(|| trading_name.clone())
        .ok_or(Error::MissingField(field))?;
    let mut vat_id = None;
    let mut tax_registration_id = None;
    for scheme in node.all("PartyTaxScheme") {
        let id = scheme.string_at(&["CompanyID"]);
        if scheme.text_at(&["TaxScheme", "ID"]) == Some("VAT") {
            vat_id = vat_id.or(id);
        } else {
            tax_registration_id = tax_registration_id.or(id);
        }
    }
    let address = node.child("PostalAddress");
    let address_lines = address
        .map(|a| {
            let street = ["StreetName", "AdditionalStreetName"]
                .into_iter()
                .filter_map(|n| a.text_at(&[n]));
            let extra = a.all("AddressLine").filter_map(|l| l.text_at(&["Line"]));
            street.chain(extra).map(str::to_owned).collect()
        })
        .unwrap_or_default();
    Ok(Party {
        name,
        trading_name,
        vat_id,
        tax_registration_id,
        legal_registration_id: node.string_at(&["PartyLegalEntity", "CompanyID"]),
        electronic_address: node.string_at(&["EndpointID"]),
        address_lines,
        city: address.and_then(|a| a.string_at(&["CityName"])),
        postal_code: address.and_then(|a| a.string_at(&["PostalZone"])),
        country: address.and_then(|a| a.string_at(&["Country", "IdentificationCode"])),
        email: node.string_at(&["Contact", "ElectronicMail"]),
    })
}

fn account(means: Node<'_>) -> Option<PayeeAccount> {
    let acct = means.child("PayeeFinancialAccount")?;
    Some(PayeeAccount {
        iban: acct.string_at(&["ID"])?,
        account_name: acct.string_at(&["Name"]),
        // EN 16931 puts the BIC on the branch; older UBL instances nest a FinancialInstitution.
        bic: acct
            .string_at(&["FinancialInstitutionBranch", "ID"])
            .or_else(|| {
                acct.string_at(&["FinancialInstitutionBranch", "FinancialInstitution", "ID"])
            }),
    })
}

fn allowance_charge(node: Node<'_>) -> Result<AllowanceCharge> {
    let flag = node
        .text_at(&["ChargeIndicator"])
        .ok_or(Error::MissingField("allowance/charge indicator"))?;
    Ok(AllowanceCharge {
        is_charge: indicator(flag, "allowance/charge indicator")?,
        amount: req_decimal(node, &["Amount"], "BT-92/BT-99 allowance/charge amount")?,
        base_amount: opt_decimal(node, &["BaseAmount"], "BT-93/BT-100 base amount")?,
        percentage: opt_decimal(
            node,
            &["MultiplierFactorNumeric"],
            "BT-94/BT-101 percentage",
        )?,
        reason: node.string_at(&["AllowanceChargeReason"]),
        reason_code: node.string_at(&["AllowanceChargeReasonCode"]),
        vat_category: node.string_at(&["TaxCategory", "ID"]),
        vat_rate: opt_decimal(node, &["TaxCategory", "Percent"], "BT-96/BT-103 vat rate")?,
    })
}

/// The `TaxTotal` in the document currency; a second one may carry BT-111 in the tax currency.
fn document_tax_total<'a>(root: Node<'a>, currency: &str) -> Option<Node<'a>> {
    let mut totals = root.all("TaxTotal");
    let first = totals.next()?;
    let in_currency =
        |t: &Node<'_>| t.child("TaxAmount").and_then(|a| a.attr("currencyID")) == Some(currency);
    if in_currency(&first) {
        return Some(first);
    }
    totals.find(in_currency).or(Some(first))
}

fn vat_breakdown(root: Node<'_>, currency: &str) -> Result<Vec<VatBreakdown>> {
    let Some(total) = document_tax_total(root, currency) else {
        return Ok(Vec::new());
    };
    total
        .all("TaxSubtotal")
        .map(|sub| {
            Ok(VatBreakdown {
                category: Some(req_string(
                    sub,
                    &["TaxCategory", "ID"],
                    "BT-118 vat category",
                )?),
                rate: opt_decimal(sub, &["TaxCategory", "Percent"], "BT-119 vat rate")?,
                taxable_amount: req_decimal(sub, &["TaxableAmount"], "BT-116 taxable amount")?,
                tax_amount: req_decimal(sub, &["TaxAmount"], "BT-117 tax amount")?,
                exemption_reason: sub.string_at(&["TaxCategory", "TaxExemptionReason"]),
                exemption_reason_code: sub.string_at(&["TaxCategory", "TaxExemptionReasonCode"]),
            })
        })
        .collect()
}

fn totals(root: Node<'_>, currency: &str) -> Result<Totals> {
    let m = root
        .child("LegalMonetaryTotal")
        .ok_or(Error::MissingField("BG-22 document totals"))?;
    let vat_total = match document_tax_total(root, currency) {
        Some(t) => opt_decimal(t, &["TaxAmount"], "BT-110 vat total")?,
        None => None,
    };
    Ok(Totals {
        line_total: opt_decimal(m, &["LineExtensionAmount"], "BT-106 sum of lines")?,
        allowance_total: opt_decimal(m, &["AllowanceTotalAmount"], "BT-107 allowances")?,
        charge_total: opt_decimal(m, &["ChargeTotalAmount"], "BT-108 charges")?,
        total_without_vat: req_decimal(m, &["TaxExclusiveAmount"], "BT-109 total without vat")?,
        vat_total,
        total_with_vat: req_decimal(m, &["TaxInclusiveAmount"], "BT-112 total with vat")?,
        prepaid: opt_decimal(m, &["PrepaidAmount"], "BT-113 prepaid")?,
        rounding: opt_decimal(m, &["PayableRoundingAmount"], "BT-114 rounding")?,
        amount_due: req_decimal(m, &["PayableAmount"], "BT-115 amount due")?,
    })
}

fn line(node: Node<'_>, flavour: &Flavour) -> Result<InvoiceLine> {
    let quantity = node.child(flavour.quantity);
    let item = node.child("Item");
    let text = |path: &[&str]| item.and_then(|i| i.string_at(path));
    Ok(InvoiceLine {
        id: req_string(node, &["ID"], "BT-126 line id")?,
        name: text(&["Name"]),
        description: text(&["Description"]),
        seller_item_id: text(&["SellersItemIdentification", "ID"]),
        quantity: req_decimal(node, &[flavour.quantity], "BT-129 quantity")?,
        unit_code: quantity
            .and_then(|q| q.attr("unitCode"))
            .filter(|u| !u.is_empty())
            .map(str::to_owned),
        net_price: opt_decimal(node, &["Price", "PriceAmount"], "BT-146 net price")?,
        price_base_quantity: opt_decimal(node, &["Price", "BaseQuantity"], "BT-149 base quantity")?,
        net_amount: req_decimal(node, &["LineExtensionAmount"], "BT-131 line net amount")?,
        vat_category: text(&["ClassifiedTaxCategory", "ID"]),
        vat_rate: match item {
            Some(i) => opt_decimal(i, &["ClassifiedTaxCategory", "Percent"], "BT-152 vat rate")?,
            None => None,
        },
        order_line_reference: node.string_at(&["OrderLineReference", "LineID"]),
    })
}
