//! Maps CII / ZUGFeRD 1 trade line items (BG-25) to canonical invoice lines.

use super::{Dialect, rate};
use crate::error::{Error, Result};
use crate::extract::{opt_decimal, req_decimal};
use crate::model::InvoiceLine;
use crate::xml::Node;

pub(super) fn map_lines(tx: Node<'_>, d: &Dialect) -> Result<Vec<InvoiceLine>> {
    tx.all("IncludedSupplyChainTradeLineItem")
        .filter(|item| !is_information_only(*item) && !is_note_only(*item, d))
        .enumerate()
        .map(|(pos, item)| line(item, d, pos + 1))
        .collect()
}

/// ZUGFeRD 1 EXTENDED uses line items that carry only a free-text note: no quantity and no
/// amount, so they are not invoice lines in the EN 16931 sense.
fn is_note_only(item: Node<'_>, d: &Dialect) -> bool {
    let quantity = item.path(&[d.line_delivery, "BilledQuantity"]);
    let amount = item.path(&[d.line_settlement, d.line_summation, "LineTotalAmount"]);
    quantity.is_none() && amount.is_none()
}

/// Factur-X EXTENDED lets a producer add sub-lines marked `INFORMATION` that only explain a
/// parent line; they carry no amount of their own towards BT-106.
fn is_information_only(item: Node<'_>) -> bool {
    item.text_at(&["AssociatedDocumentLineDocument", "LineStatusReasonCode"]) == Some("INFORMATION")
}

fn line(item: Node<'_>, d: &Dialect, position: usize) -> Result<InvoiceLine> {
    let product = item.child("SpecifiedTradeProduct");
    let agreement = item.child(d.line_agreement);
    let delivery = item.child(d.line_delivery);
    let settlement = item
        .child(d.line_settlement)
        .ok_or(Error::MissingField("line trade settlement"))?;
    let tax = settlement.child("ApplicableTradeTax");
    let quantity = delivery.and_then(|del| del.child("BilledQuantity"));
    let price = agreement.and_then(|a| a.child("NetPriceProductTradePrice"));
    let text = |path: &[&str]| product.and_then(|p| p.string_at(path));
    Ok(InvoiceLine {
        id: item
            .string_at(&["AssociatedDocumentLineDocument", "LineID"])
            .unwrap_or_else(|| position.to_string()),
        name: text(&["Name"]),
        description: text(&["Description"]),
        seller_item_id: text(&["SellerAssignedID"]),
        quantity: match quantity {
            Some(q) => crate::extract::decimal(q.text(), "BT-129 quantity")?,
            None => return Err(Error::MissingField("BT-129 quantity")),
        },
        unit_code: quantity
            .and_then(|q| q.attr("unitCode"))
            .filter(|u| !u.is_empty())
            .map(str::to_owned),
        net_price: match price {
            Some(p) => opt_decimal(p, &["ChargeAmount"], "BT-146 net price")?,
            None => None,
        },
        price_base_quantity: match price {
            Some(p) => opt_decimal(p, &["BasisQuantity"], "BT-149 base quantity")?,
            None => None,
        },
        net_amount: req_decimal(
            settlement,
            &[d.line_summation, "LineTotalAmount"],
            "BT-131 line net amount",
        )?,
        vat_category: tax.and_then(|t| t.string_at(&["CategoryCode"])),
        vat_rate: match tax {
            Some(t) => rate(t, "BT-152 vat rate")?,
            None => None,
        },
        order_line_reference: agreement
            .and_then(|a| a.string_at(&["BuyerOrderReferencedDocument", "LineID"])),
    })
}
