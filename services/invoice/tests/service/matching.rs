//! Matching scenarios, each written as a sentence with the exceptions and status it must end
//! in. Vendors, POs and receipts go through the real gRPC API; invoices are inserted as
//! extraction leaves them (status `extracted`, header and lines), then matched over gRPC.

use ap_proto::invoice::v1 as pb;
use ap_types::Role;
use tonic::Code;

use crate::{Service, spawn};

struct Line<'a> {
    qty: &'a str,
    price: &'a str,
}

fn l<'a>(qty: &'a str, price: &'a str) -> Line<'a> {
    Line { qty, price }
}

impl Service {
    async fn vendor(&self, name: &str, po_required: bool) -> String {
        self.client
            .clone()
            .create_vendor(self.as_user(
                Role::ApAnalyst,
                pb::VendorInput {
                    name: name.into(),
                    currency: "USD".into(),
                    po_required: Some(po_required),
                    ..Default::default()
                },
            ))
            .await
            .expect("vendor")
            .into_inner()
            .id
    }

    async fn po(
        &self,
        number: &str,
        vendor: &str,
        lines: &[Line<'_>],
        match_type: &str,
        status: &str,
    ) -> String {
        self.client
            .clone()
            .create_purchase_order(
                self.as_user(
                    Role::ApAnalyst,
                    pb::PurchaseOrderInput {
                        po_number: number.into(),
                        vendor_id: vendor.into(),
                        currency: "USD".into(),
                        status: status.into(),
                        match_type: match_type.into(),
                        lines: lines
                            .iter()
                            .enumerate()
                            .map(|(i, x)| pb::PurchaseOrderLineInput {
                                line_number: i32::try_from(i + 1).expect("line"),
                                description: format!("Item {}", i + 1),
                                quantity: x.qty.into(),
                                unit_price: x.price.into(),
                                ..Default::default()
                            })
                            .collect(),
                        ..Default::default()
                    },
                ),
            )
            .await
            .expect("po")
            .into_inner()
            .id
    }

    async fn receive(&self, po_id: &str, number: &str, quantities: &[&str]) {
        self.client
            .clone()
            .create_goods_receipt(
                self.as_user(
                    Role::ApAnalyst,
                    pb::GoodsReceiptInput {
                        receipt_number: number.into(),
                        po_id: po_id.into(),
                        received_at: String::new(),
                        received_on: "2026-03-01".into(),
                        lines: quantities
                            .iter()
                            .enumerate()
                            .map(|(i, q)| pb::GoodsReceiptLineInput {
                                po_line_number: i32::try_from(i + 1).expect("line"),
                                quantity: (*q).into(),
                            })
                            .collect(),
                    },
                ),
            )
            .await
            .expect("receipt");
    }

    /// An invoice as extraction leaves it; lines carry their PO line number.
    async fn extracted(
        &self,
        vendor: &str,
        number: &str,
        po_number: Option<&str>,
        currency: &str,
        lines: &[Line<'_>],
    ) -> String {
        let id = uuid::Uuid::now_v7().to_string();
        let sub: rust_decimal::Decimal = lines
            .iter()
            .map(|x| {
                x.qty.parse::<rust_decimal::Decimal>().expect("qty")
                    * x.price.parse::<rust_decimal::Decimal>().expect("price")
            })
            .sum();
        let client = self.db.client().await;
        let today = chrono::Utc::now().date_naive().to_string();
        client
            .execute(
                "INSERT INTO invoice.invoices (id, status, source, vendor_id, vendor_name, invoice_number, \
                   invoice_number_normalized, invoice_date, currency, subtotal, tax_amount, total_amount, \
                   amount_due, po_number, fields) \
                 VALUES ($1::text::uuid, 'extracted', 'upload', $2::text::uuid, 'Vendor', $3, upper($3), \
                   $4::text::date, $5, $6::text::numeric, 0, $6::text::numeric, $6::text::numeric, $7, '{}')",
                &[&id, &vendor, &number, &today, &currency, &sub.to_string(), &po_number],
            )
            .await
            .expect("invoice");
        for (i, x) in lines.iter().enumerate() {
            let n = i32::try_from(i + 1).expect("line");
            client
                .execute(
                    "INSERT INTO invoice.invoice_lines (id, invoice_id, line_number, description, quantity, \
                       unit_price, line_total, po_line_number, source) \
                     VALUES (gen_random_uuid(), $1::text::uuid, $2, $3, $4::text::numeric, $5::text::numeric, \
                       $4::text::numeric * $5::text::numeric, $2, 'xml')",
                    &[&id, &n, &format!("Item {n}"), &x.qty, &x.price],
                )
                .await
                .expect("line");
        }
        id
    }

    async fn run_match(&self, id: &str) -> Result<pb::Invoice, tonic::Status> {
        self.client
            .clone()
            .match_invoice(self.as_user(Role::ApAnalyst, pb::IdRequest { id: id.into() }))
            .await
            .map(tonic::Response::into_inner)
    }

    async fn matched(&self, id: &str) -> pb::Invoice {
        self.run_match(id).await.expect("match")
    }
}

/// The active exception codes of an invoice, sorted.
fn open_codes(inv: &pb::Invoice) -> Vec<String> {
    let mut v: Vec<String> = inv
        .exceptions
        .iter()
        .filter(|e| matches!(e.status.as_str(), "open" | "in_progress" | "escalated"))
        .map(|e| e.code.clone())
        .collect();
    v.sort();
    v
}

fn expect(inv: &pb::Invoice, status: &str, codes: &[&str]) {
    assert_eq!(
        (inv.status.as_str(), open_codes(inv)),
        (
            status,
            codes.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>()
        ),
        "{:#?}",
        inv.exceptions
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_exact_three_way_match_under_the_limit_is_approved_touchless() {
    let svc = spawn().await;
    let v = svc.vendor("Acme", true).await;
    let po = svc.po("PO-1", &v, &[l("10", "100.00")], "3way", "").await;
    svc.receive(&po, "GR-1", &["10"]).await;
    let id = svc
        .extracted(&v, "INV-1", Some("PO-1"), "USD", &[l("10", "100.00")])
        .await;
    let inv = svc.matched(&id).await;
    expect(&inv, "approved", &[]);
    assert!(inv.touchless);
    let m = inv.r#match.expect("match result");
    assert_eq!(
        (m.r#type.as_str(), m.status.as_str(), m.rule_version),
        ("3way", "matched", 1)
    );
    assert_eq!(m.lines.len(), 1);
    assert_eq!(m.lines[0].po_line, 1);
    assert_eq!(m.lines[0].price_variance, "0.00");
    // A new vendor is one weak signal: it does not stop a clean match.
    assert!(
        m.risk_reasons_json.contains("new_vendor"),
        "{}",
        m.risk_reasons_json
    );
    // Approved is final for matching.
    let again = svc.run_match(&id).await.expect_err("settled");
    assert_eq!(again.code(), Code::FailedPrecondition);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_price_over_the_percentage_but_within_the_absolute_amount_passes_and_the_reverse_too() {
    let svc = spawn().await;
    let v = svc.vendor("Acme", true).await;
    // +5 % on 10.00, but 10 × 0.50 = 5.00 ≤ 50.00.
    let po = svc.po("PO-1", &v, &[l("10", "10.00")], "3way", "").await;
    svc.receive(&po, "GR-1", &["10"]).await;
    let id = svc
        .extracted(&v, "INV-1", Some("PO-1"), "USD", &[l("10", "10.50")])
        .await;
    expect(&svc.matched(&id).await, "approved", &[]);
    // +1.5 % on 100.00 (within 2 %) although 1,000 × 1.50 = 1,500.00 > 50.00: passes; the total
    // is over the auto-approve limit, so it goes to a person without any exception.
    let po = svc.po("PO-2", &v, &[l("1000", "100.00")], "3way", "").await;
    svc.receive(&po, "GR-2", &["1000"]).await;
    let id = svc
        .extracted(&v, "INV-2", Some("PO-2"), "USD", &[l("1000", "101.50")])
        .await;
    let inv = svc.matched(&id).await;
    expect(&inv, "pending_approval", &[]);
    assert!(!inv.touchless);
    // 100 units at 11.50 against 10.00 fails both (+15 %, +150.00): a medium variance that a
    // person approves or not.
    let po = svc.po("PO-3", &v, &[l("100", "10.00")], "3way", "").await;
    svc.receive(&po, "GR-3", &["100"]).await;
    let id = svc
        .extracted(&v, "INV-3", Some("PO-3"), "USD", &[l("100", "11.50")])
        .await;
    let inv = svc.matched(&id).await;
    expect(
        &inv,
        "pending_approval",
        &["PRICE_VARIANCE", "TOTAL_MISMATCH"],
    );
    let m = inv.r#match.expect("match");
    assert_eq!(m.status, "variance");
    assert_eq!(m.lines[0].price_variance, "1.50");
}

#[tokio::test(flavor = "multi_thread")]
async fn billing_more_than_ordered_on_a_two_way_po_is_a_quantity_variance() {
    let svc = spawn().await;
    let v = svc.vendor("Acme", true).await;
    svc.po("PO-1", &v, &[l("10", "20.00")], "2way", "").await;
    let id = svc
        .extracted(&v, "INV-1", Some("PO-1"), "USD", &[l("12", "20.00")])
        .await;
    let inv = svc.matched(&id).await;
    // The subtotal is right at PO prices: only the quantity is off.
    expect(&inv, "pending_approval", &["QTY_VARIANCE"]);
    assert_eq!(inv.r#match.expect("match").r#type, "2way");
}

#[tokio::test(flavor = "multi_thread")]
async fn two_partial_receipts_then_one_invoice_for_their_sum_match() {
    let svc = spawn().await;
    let v = svc.vendor("Acme", true).await;
    let po = svc.po("PO-1", &v, &[l("10", "50.00")], "3way", "").await;
    svc.receive(&po, "GR-1", &["4"]).await;
    svc.receive(&po, "GR-2", &["6"]).await;
    let id = svc
        .extracted(&v, "INV-1", Some("PO-1"), "USD", &[l("10", "50.00")])
        .await;
    expect(&svc.matched(&id).await, "approved", &[]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_invoice_beyond_what_was_received_is_held_and_released_by_a_new_receipt() {
    let svc = spawn().await;
    let v = svc.vendor("Acme", true).await;
    let po = svc.po("PO-1", &v, &[l("10", "50.00")], "3way", "").await;
    svc.receive(&po, "GR-1", &["6"]).await;
    let first = svc
        .extracted(&v, "INV-1", Some("PO-1"), "USD", &[l("5", "50.00")])
        .await;
    expect(&svc.matched(&first).await, "approved", &[]);
    // 5 already invoiced of 6 received: 3 more is over what was received.
    let second = svc
        .extracted(&v, "INV-2", Some("PO-1"), "USD", &[l("3", "50.00")])
        .await;
    let inv = svc.matched(&second).await;
    expect(&inv, "exception", &["QTY_OVER_RECEIPT"]);
    let exception = inv
        .exceptions
        .iter()
        .find(|e| e.code == "QTY_OVER_RECEIPT")
        .expect("exception");
    assert!(
        exception
            .message
            .contains("1 received and not yet invoiced"),
        "{}",
        exception.message
    );
    assert_eq!(exception.severity, "high");
    assert!(!exception.due_at.is_empty(), "an SLA due time is set");

    // The rest arrives; resolving the last blocking exception re-runs matching by itself.
    svc.receive(&po, "GR-2", &["4"]).await;
    let resolved = svc
        .client
        .clone()
        .update_exception(svc.as_user(
            Role::ApAnalyst,
            pb::UpdateExceptionRequest {
                id: exception.id.clone(),
                status: Some("resolved".into()),
                resolution_note: Some("GR-2 posted".into()),
                ..Default::default()
            },
        ))
        .await
        .expect("resolve")
        .into_inner();
    assert_eq!(resolved.status, "resolved");
    let inv = svc.matched_detail(&second).await;
    expect(&inv, "approved", &[]);
    assert_eq!(inv.r#match.expect("match").runs, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn header_mismatches_closed_po_currency_vendor_and_missing_po_block() {
    let svc = spawn().await;
    let v = svc.vendor("Acme", true).await;
    let other = svc.vendor("Globex", true).await;
    let po = svc
        .po("PO-C", &v, &[l("1", "10.00")], "3way", "closed")
        .await;
    svc.receive(&po, "GR-C", &["1"]).await;
    let id = svc
        .extracted(&v, "INV-C", Some("PO-C"), "USD", &[l("1", "10.00")])
        .await;
    expect(&svc.matched(&id).await, "exception", &["PO_CLOSED"]);

    let po = svc.po("PO-E", &v, &[l("1", "11.00")], "3way", "").await;
    svc.receive(&po, "GR-E", &["1"]).await;
    let id = svc
        .extracted(&v, "INV-E", Some("PO-E"), "EUR", &[l("1", "11.00")])
        .await;
    expect(&svc.matched(&id).await, "exception", &["CURRENCY_MISMATCH"]);

    let po = svc.po("PO-V", &v, &[l("1", "12.00")], "3way", "").await;
    svc.receive(&po, "GR-V", &["1"]).await;
    let id = svc
        .extracted(&other, "INV-V", Some("PO-V"), "USD", &[l("1", "12.00")])
        .await;
    expect(&svc.matched(&id).await, "exception", &["VENDOR_MISMATCH"]);

    let id = svc
        .extracted(&v, "INV-M", None, "USD", &[l("1", "13.00")])
        .await;
    expect(&svc.matched(&id).await, "exception", &["MISSING_PO"]);

    let id = svc
        .extracted(&v, "INV-N", Some("PO-NOPE"), "USD", &[l("1", "14.00")])
        .await;
    expect(&svc.matched(&id).await, "exception", &["PO_NOT_FOUND"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_non_po_invoice_skips_matching_and_goes_to_approval_with_an_event() {
    let svc = spawn().await;
    let v = svc.vendor("City Power", false).await;
    let id = svc
        .extracted(&v, "UTIL-1", None, "USD", &[l("1", "240.00")])
        .await;
    let inv = svc.matched(&id).await;
    expect(&inv, "pending_approval", &[]);
    let m = inv.r#match.expect("match");
    assert_eq!(
        (m.r#type.as_str(), m.status.as_str()),
        ("non_po", "skipped")
    );
    // The approval service is told through the outbox, in the same transaction.
    let rows = svc
        .db
        .client()
        .await
        .query(
            "SELECT payload->>'invoice_id', payload->>'total_amount' FROM invoice.outbox \
             WHERE destination = 'approval' AND event_type = 'invoice.approval_requested'",
            &[],
        )
        .await
        .expect("outbox");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].get::<_, String>(0), id);
    assert_eq!(rows[0].get::<_, String>(1), "240.00");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_approval_request_names_the_purchase_orders_cost_centre_as_department() {
    let svc = spawn().await;
    let v = svc.vendor("Acme", true).await;
    let client = svc.db.client().await;
    let department = |number: &'static str| {
        let client = &client;
        async move {
            client
                .query_one(
                    "SELECT payload->>'department' FROM invoice.outbox o JOIN invoice.invoices i \
                     ON i.id::text = o.payload->>'invoice_id' \
                     WHERE o.event_type = 'invoice.approval_requested' AND i.invoice_number = $1",
                    &[&number],
                )
                .await
                .expect("event")
                .get::<_, Option<String>>(0)
        }
    };
    for (po_number, inv, centres, price) in [
        ("PO-D1", "INV-D1", "Plant-7", "100.00"),
        ("PO-D2", "INV-D2", "Plant-7,Plant-9", "120.00"),
    ] {
        let po = svc
            .po(
                po_number,
                &v,
                &[l("100", price), l("100", price)],
                "3way",
                "",
            )
            .await;
        svc.receive(&po, &format!("GR-{po_number}"), &["100", "100"])
            .await;
        let names: Vec<&str> = centres.split(',').collect();
        for (i, name) in names.iter().enumerate() {
            client
                .execute(
                    "UPDATE invoice.po_lines SET cost_centre = $1 WHERE po_id = $2::text::uuid AND line_number = $3",
                    &[name, &po, &i32::try_from(i + 1).expect("line")],
                )
                .await
                .expect("cost centre");
        }
        let id = svc
            .extracted(
                &v,
                inv,
                Some(po_number),
                "USD",
                &[l("100", price), l("100", price)],
            )
            .await;
        expect(&svc.matched(&id).await, "pending_approval", &[]);
    }
    // One cost centre on the PO: that is the department; two disagreeing: none.
    assert_eq!(department("INV-D1").await.as_deref(), Some("Plant-7"));
    assert_eq!(department("INV-D2").await, None);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_exact_duplicate_blocks_and_a_cancelled_original_does_not_count() {
    let svc = spawn().await;
    let v = svc.vendor("Acme", false).await;
    let first = svc
        .extracted(&v, "INV-9", None, "USD", &[l("1", "99.00")])
        .await;
    expect(&svc.matched(&first).await, "pending_approval", &[]);
    let second = svc
        .extracted(&v, "INV-9", None, "USD", &[l("1", "99.00")])
        .await;
    let inv = svc.matched(&second).await;
    expect(&inv, "exception", &["DUPLICATE_INVOICE"]);
    assert!(
        inv.exceptions[0]
            .message
            .starts_with("Same number as INV-9 received ")
    );
    // A suspected one: another number, same amount, same day.
    let third = svc
        .extracted(&v, "INV-10", None, "USD", &[l("1", "99.05")])
        .await;
    let inv = svc.matched(&third).await;
    expect(&inv, "pending_approval", &["DUPLICATE_INVOICE"]);
    assert_eq!(inv.exceptions[0].severity, "medium");

    svc.client
        .clone()
        .cancel_invoice(svc.as_user(
            Role::Admin,
            pb::CancelInvoiceRequest {
                id: first.clone(),
                reason: "sent twice".into(),
            },
        ))
        .await
        .expect("cancel");
    let inv = svc.matched(&second).await;
    expect(&inv, "pending_approval", &["DUPLICATE_INVOICE"]);
    assert_eq!(
        inv.exceptions
            .iter()
            .find(|e| e.status == "open")
            .expect("open")
            .severity,
        "medium",
        "only the suspected match with INV-10 is left once INV-9 is cancelled"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bank_change_a_week_before_the_invoice_raises_a_blocking_critical_exception() {
    let svc = spawn().await;
    let v = svc.vendor("Acme", true).await;
    for iban in ["DE89370400440532013000", "GB29NWBK60161331926819"] {
        svc.client
            .clone()
            .set_bank_account(svc.as_user(
                Role::ApAnalyst,
                pb::SetBankAccountRequest {
                    vendor_id: v.clone(),
                    bank_account: Some(pb::BankAccountInput {
                        iban: iban.into(),
                        ..Default::default()
                    }),
                },
            ))
            .await
            .expect("bank account");
    }
    svc.db
        .client()
        .await
        .execute(
            "UPDATE invoice.vendor_bank_accounts SET created_at = now() - interval '7 days' \
             WHERE vendor_id = $1::text::uuid AND is_current",
            &[&v],
        )
        .await
        .expect("backdate");
    let po = svc.po("PO-1", &v, &[l("1", "100.00")], "3way", "").await;
    svc.receive(&po, "GR-1", &["1"]).await;
    let id = svc
        .extracted(&v, "INV-1", Some("PO-1"), "USD", &[l("1", "100.00")])
        .await;
    let inv = svc.matched(&id).await;
    // The new account is not verified yet either: the score passes the fraud threshold.
    expect(
        &inv,
        "exception",
        &["BANK_DETAILS_CHANGED", "FRAUD_SUSPECTED"],
    );
    let bank = inv
        .exceptions
        .iter()
        .find(|e| e.code == "BANK_DETAILS_CHANGED")
        .expect("bank");
    assert_eq!(bank.severity, "critical");
    assert!(
        bank.message.contains("7 days before the invoice date"),
        "{}",
        bank.message
    );

    // Only an ADMIN may clear it; waiving needs a reason.
    let refused = svc
        .client
        .clone()
        .update_exception(svc.as_user(
            Role::ApAnalyst,
            pb::UpdateExceptionRequest {
                id: bank.id.clone(),
                status: Some("waived".into()),
                resolution_note: Some("called the vendor".into()),
                ..Default::default()
            },
        ))
        .await
        .expect_err("analyst");
    assert_eq!(refused.code(), Code::PermissionDenied);
    let no_reason = svc
        .client
        .clone()
        .update_exception(svc.as_user(
            Role::Admin,
            pb::UpdateExceptionRequest {
                id: bank.id.clone(),
                status: Some("waived".into()),
                ..Default::default()
            },
        ))
        .await
        .expect_err("reason");
    assert_eq!(no_reason.code(), Code::InvalidArgument);
    assert!(
        no_reason.message().contains("reason"),
        "{}",
        no_reason.message()
    );
    let unchanged = svc.matched_detail(&id).await;
    expect(
        &unchanged,
        "exception",
        &["BANK_DETAILS_CHANGED", "FRAUD_SUSPECTED"],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn waiving_the_last_blocking_exception_moves_the_invoice_on_and_it_is_not_raised_again() {
    let svc = spawn().await;
    let v = svc.vendor("Acme", true).await;
    let id = svc
        .extracted(&v, "INV-1", None, "USD", &[l("1", "10.00")])
        .await;
    let inv = svc.matched(&id).await;
    expect(&inv, "exception", &["MISSING_PO"]);
    svc.client
        .clone()
        .update_exception(svc.as_user(
            Role::ApAnalyst,
            pb::UpdateExceptionRequest {
                id: inv.exceptions[0].id.clone(),
                status: Some("waived".into()),
                resolution_note: Some("one-off purchase approved by phone".into()),
                ..Default::default()
            },
        ))
        .await
        .expect("waive");
    let inv = svc.matched_detail(&id).await;
    // Not touchless (nothing matched), so a person approves it.
    expect(&inv, "pending_approval", &[]);
    let m = inv.r#match.expect("match");
    assert_eq!((m.status.as_str(), m.runs), ("unmatched", 2));
    // The audit trail shows the waiver and both runs.
    let audit = svc
        .client
        .clone()
        .get_invoice_audit(svc.as_user(
            Role::Auditor,
            pb::AuditPageRequest {
                id: id.clone(),
                limit: 200,
                cursor: String::new(),
            },
        ))
        .await
        .expect("audit")
        .into_inner();
    let actions: Vec<&str> = audit.items.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions.iter().filter(|a| **a == "invoice_matched").count(),
        2,
        "{actions:?}"
    );
    assert!(actions.contains(&"exception_updated"), "{actions:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn two_concurrent_rematches_leave_one_result_and_no_duplicate_exception() {
    let svc = spawn().await;
    let v = svc.vendor("Acme", true).await;
    let id = svc
        .extracted(&v, "INV-1", None, "USD", &[l("1", "10.00")])
        .await;
    expect(&svc.matched(&id).await, "exception", &["MISSING_PO"]);
    let (a, b) = tokio::join!(svc.run_match(&id), svc.run_match(&id));
    for r in [a, b] {
        r.expect("both runs succeed, one after the other");
    }
    let client = svc.db.client().await;
    let results: i64 = client
        .query_one(
            "SELECT count(*) FROM invoice.match_results WHERE invoice_id = $1::text::uuid",
            &[&id],
        )
        .await
        .expect("count")
        .get(0);
    let runs: i32 = client
        .query_one(
            "SELECT runs FROM invoice.match_results WHERE invoice_id = $1::text::uuid",
            &[&id],
        )
        .await
        .expect("runs")
        .get(0);
    let exceptions: i64 = client
        .query_one(
            "SELECT count(*) FROM invoice.exceptions WHERE invoice_id = $1::text::uuid",
            &[&id],
        )
        .await
        .expect("count")
        .get(0);
    assert_eq!((results, runs, exceptions), (1, 3, 1));
}

#[tokio::test(flavor = "multi_thread")]
async fn rule_sets_are_versioned_with_vendor_overrides_and_the_version_used_is_recorded() {
    let svc = spawn().await;
    let v = svc.vendor("Acme", true).await;
    let c = svc.client.clone();
    let analyst_draft = c
        .clone()
        .create_rule_set_draft(svc.as_user(Role::ApAnalyst, pb::Empty {}))
        .await
        .expect_err("admin only");
    assert_eq!(analyst_draft.code(), Code::PermissionDenied);
    let draft = c
        .clone()
        .create_rule_set_draft(svc.as_user(Role::Admin, pb::Empty {}))
        .await
        .expect("draft")
        .into_inner();
    assert_eq!((draft.version, draft.status.as_str()), (2, "draft"));
    let second = c
        .clone()
        .create_rule_set_draft(svc.as_user(Role::Admin, pb::Empty {}))
        .await
        .expect_err("one draft at a time");
    assert_eq!(second.code(), Code::AlreadyExists);
    let bad = c
        .clone()
        .update_rule_set_draft(svc.as_user(
            Role::Admin,
            pb::RuleSetInput {
                version: 2,
                price_pct: "2".into(),
                price_abs: "-1".into(),
                qty_pct: "x".into(),
                ..Default::default()
            },
        ))
        .await
        .expect_err("invalid");
    assert_eq!(bad.code(), Code::InvalidArgument);
    // Acme gets 20 % on prices; everyone else keeps the defaults.
    c.clone()
        .update_rule_set_draft(svc.as_user(
            Role::Admin,
            pb::RuleSetInput {
                version: 2,
                price_pct: "0.02".into(),
                price_abs: "50".into(),
                qty_pct: "0".into(),
                note: "Acme: steel surcharge".into(),
                overrides: vec![pb::VendorTolerance {
                    vendor_id: v.clone(),
                    price_pct: "0.20".into(),
                    price_abs: "0".into(),
                    qty_pct: "0".into(),
                }],
                ..Default::default()
            },
        ))
        .await
        .expect("update");
    let po = svc.po("PO-1", &v, &[l("100", "10.00")], "3way", "").await;
    svc.receive(&po, "GR-1", &["100"]).await;
    let id = svc
        .extracted(&v, "INV-1", Some("PO-1"), "USD", &[l("100", "11.50")])
        .await;
    // The draft does not apply yet.
    let inv = svc.matched(&id).await;
    expect(
        &inv,
        "pending_approval",
        &["PRICE_VARIANCE", "TOTAL_MISMATCH"],
    );
    assert_eq!(inv.r#match.expect("match").rule_version, 1);
    let published = c
        .clone()
        .publish_rule_set(svc.as_user(Role::Admin, pb::RuleSetRequest { version: 2 }))
        .await
        .expect("publish")
        .into_inner();
    assert_eq!(published.status, "published");
    assert_eq!(published.overrides.len(), 1);
    let inv = svc.matched(&id).await;
    expect(&inv, "approved", &[]);
    let m = inv.r#match.expect("match");
    assert_eq!(m.rule_version, 2);
    assert!(
        m.tolerance_json.contains("\"vendor_override\":true"),
        "{}",
        m.tolerance_json
    );
    // Published versions never change, even through SQL.
    let err = svc
        .db
        .client()
        .await
        .execute(
            "UPDATE invoice.match_rule_sets SET price_pct = 0.5 WHERE version = 2",
            &[],
        )
        .await
        .expect_err("frozen");
    assert!(err.to_string().contains("immutable") || format!("{err:?}").contains("immutable"));
}

impl Service {
    async fn matched_detail(&self, id: &str) -> pb::Invoice {
        self.client
            .clone()
            .get_invoice(self.as_user(Role::Auditor, pb::IdRequest { id: id.into() }))
            .await
            .expect("detail")
            .into_inner()
    }
}
