//! Match-engine throughput: 10,000 invoices × 5 lines against their purchase orders, 3-way.
//! `cargo run --release -p ap-invoice --example bench_match`

use std::time::Instant;

use ap_invoice::domain::matching::{
    Invoice, InvoiceLine, PoLine, PurchaseOrder, Tolerance, match_invoice,
};
use rust_decimal::Decimal;

fn main() {
    let vendor = uuid::Uuid::from_u128(1);
    let mut cases = Vec::with_capacity(10_000);
    for i in 0..10_000u32 {
        let lines: Vec<PoLine> = (1..=5)
            .map(|n| PoLine {
                line_number: n,
                description: format!("Item {n} of order {i}"),
                quantity: Decimal::from(10 * n),
                unit_price: Decimal::new(1999 + i64::from(n), 2),
                received: Decimal::from(10 * n),
                invoiced_elsewhere: Decimal::ZERO,
            })
            .collect();
        // Every tenth invoice drifts in price, to exercise the finding paths too.
        let drift = if i % 10 == 0 {
            Decimal::new(500, 2)
        } else {
            Decimal::ZERO
        };
        let inv_lines: Vec<InvoiceLine> = lines
            .iter()
            .map(|l| InvoiceLine {
                line_number: l.line_number,
                description: Some(l.description.clone()),
                quantity: Some(l.quantity),
                unit_price: Some(l.unit_price + drift),
                line_total: Some(l.quantity * (l.unit_price + drift)),
                po_line_number: None,
            })
            .collect();
        let subtotal = inv_lines.iter().filter_map(|l| l.line_total).sum();
        cases.push((
            Invoice {
                vendor_id: Some(vendor),
                currency: Some("EUR".into()),
                subtotal: Some(subtotal),
                po_number: Some(format!("PO-{i}")),
                lines: inv_lines,
            },
            PurchaseOrder {
                vendor_id: vendor,
                currency: "EUR".into(),
                status: "open".into(),
                lines,
            },
        ));
    }
    let t = Tolerance::default();
    let start = Instant::now();
    let mut findings = 0;
    for (inv, po) in &cases {
        findings += match_invoice(inv, Some(po), true, false, &t).findings.len();
    }
    let elapsed = start.elapsed();
    println!(
        "matched 10,000 invoices x 5 lines in {:.3} s ({:.0} invoices/s, {findings} findings)",
        elapsed.as_secs_f64(),
        10_000.0 / elapsed.as_secs_f64()
    );
}
