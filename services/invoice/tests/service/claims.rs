//! Payment claims over real gRPC: the payment service claims a run's invoices at execution;
//! a claimed invoice cannot be cancelled, corrected or re-matched, nor its vendor's bank
//! details changed, until the claim ends, and only the payment service may claim or release.

use ap_proto::invoice::v1 as pb;
use ap_types::Role;
use tonic::Code;
use uuid::Uuid;

use crate::Service;

/// A vendor and one scheduled USD invoice of 100.00, approved as such; returns (vendor,
/// invoice).
async fn scheduled(svc: &Service) -> (String, String) {
    let vendor = Uuid::now_v7().to_string();
    let invoice = Uuid::now_v7().to_string();
    let client = svc.db.client().await;
    client
        .execute(
            "INSERT INTO invoice.vendors (id, name, currency) VALUES ($1::text::uuid, 'Acme', 'USD')",
            &[&vendor],
        )
        .await
        .expect("vendor");
    client
        .execute(
            "INSERT INTO invoice.invoices (id, status, invoice_number, vendor_id, vendor_name, currency, \
             total_amount, amount_due, source, approved_amount, approved_currency, \
             approved_vendor_id, approved_at) VALUES ($1::text::uuid, 'scheduled', 'INV-1', \
             $2::text::uuid, 'Acme', 'USD', 100, 100, 'api', 100, 'USD', $2::text::uuid, now())",
            &[&invoice, &vendor],
        )
        .await
        .expect("invoice");
    (vendor, invoice)
}

fn claim_request(run: Uuid, vendor: &str, invoice: &str, amount: &str) -> pb::ClaimInvoicesRequest {
    pb::ClaimInvoicesRequest {
        run_id: run.to_string(),
        run_reference: "RUN-TEST-1".into(),
        items: vec![pb::ClaimItem {
            invoice_id: invoice.to_owned(),
            amount: amount.to_owned(),
            currency: "USD".into(),
            vendor_id: vendor.to_owned(),
            // A check run: no account needed.
            bank_account_id: String::new(),
        }],
    }
}

/// The payment service claims `invoice` for `run` at `amount`; returns the outcome.
async fn claim(
    svc: &Service,
    run: Uuid,
    vendor: &str,
    invoice: &str,
    amount: &str,
) -> pb::ClaimInvoicesResponse {
    svc.client
        .clone()
        .claim_invoices_for_payment(
            svc.as_service("payment", claim_request(run, vendor, invoice, amount)),
        )
        .await
        .expect("claim")
        .into_inner()
}

/// New US bank details for the vendor.
fn new_bank_account(vendor: &str) -> pb::SetBankAccountRequest {
    pb::SetBankAccountRequest {
        vendor_id: vendor.to_owned(),
        bank_account: Some(pb::BankAccountInput {
            routing_number: "021000021".into(),
            account_number: "55443322".into(),
            ..Default::default()
        }),
    }
}

fn cancel(invoice: &str) -> pb::CancelInvoiceRequest {
    pb::CancelInvoiceRequest {
        id: invoice.to_owned(),
        reason: "duplicate".into(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invoice_being_paid_cannot_be_cancelled() {
    let svc = crate::spawn().await;
    let (vendor, invoice) = scheduled(&svc).await;
    let run = Uuid::now_v7();
    let mut client = svc.client.clone();

    let claimed = claim(&svc, run, &vendor, &invoice, "100.00").await;
    assert!(claimed.outcomes[0].claimed, "{claimed:?}");

    let refused = client
        .cancel_invoice(svc.as_user(Role::Admin, cancel(&invoice)))
        .await
        .expect_err("a claimed invoice cannot be cancelled");
    assert_eq!(refused.code(), Code::AlreadyExists, "{refused:?}");
    assert!(
        refused
            .message()
            .contains("being paid in payment run RUN-TEST-1"),
        "{refused:?}"
    );
    let refused = client
        .update_invoice(svc.as_user(
            Role::Admin,
            pb::UpdateInvoiceRequest {
                id: invoice.clone(),
                amount_due: Some("90.00".into()),
                ..Default::default()
            },
        ))
        .await
        .expect_err("nor corrected");
    assert!(
        matches!(
            refused.code(),
            Code::AlreadyExists | Code::FailedPrecondition
        ),
        "{refused:?}"
    );

    // Nor may the vendor's bank details change under the file that pays it.
    let refused = client
        .set_bank_account(svc.as_user(Role::ApAnalyst, new_bank_account(&vendor)))
        .await
        .expect_err("no bank change while a run pays the vendor");
    assert_eq!(refused.code(), Code::AlreadyExists, "{refused:?}");
    assert!(refused.message().contains("RUN-TEST-1"), "{refused:?}");

    // Claiming again for the same run is idempotent; the claim is the run's.
    let again = claim(&svc, run, &vendor, &invoice, "100").await;
    assert!(again.outcomes[0].claimed, "{again:?}");
    let other = claim(&svc, Uuid::now_v7(), &vendor, &invoice, "100").await;
    assert!(!other.outcomes[0].claimed);
    assert_eq!(other.outcomes[0].code, "claimed_by_other_run");

    let released = client
        .release_payment_claims(svc.as_service(
            "payment",
            pb::ReleaseClaimsRequest {
                run_id: run.to_string(),
                invoice_ids: vec![],
            },
        ))
        .await
        .expect("release")
        .into_inner();
    assert_eq!(released.released, 1);
    client
        .set_bank_account(svc.as_user(Role::ApAnalyst, new_bank_account(&vendor)))
        .await
        .expect("released: the bank change goes through");
    let cancelled = client
        .cancel_invoice(svc.as_user(Role::Admin, cancel(&invoice)))
        .await
        .expect("released: the cancel goes through")
        .into_inner();
    assert_eq!(cancelled.status, "cancelled");

    // A cancelled invoice is never claimed.
    let late = claim(&svc, run, &vendor, &invoice, "100").await;
    assert!(!late.outcomes[0].claimed);
    assert_eq!(late.outcomes[0].code, "cancelled");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_claim_refuses_a_changed_amount_and_only_the_payment_service_may_claim() {
    let svc = crate::spawn().await;
    let (vendor, invoice) = scheduled(&svc).await;
    let run = Uuid::now_v7();
    let mut client = svc.client.clone();

    let changed = claim(&svc, run, &vendor, &invoice, "99.99").await;
    assert!(!changed.outcomes[0].claimed);
    assert_eq!(changed.outcomes[0].code, "amount_changed");

    for req in [
        svc.as_user(Role::Admin, claim_request(run, &vendor, &invoice, "100")),
        svc.as_service("approval", claim_request(run, &vendor, &invoice, "100")),
    ] {
        let refused = client
            .claim_invoices_for_payment(req)
            .await
            .expect_err("only the payment service claims");
        assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");
    }
    let unclaimed: bool = svc
        .db
        .client()
        .await
        .query_one(
            "SELECT payment_claim_run_id IS NULL FROM invoice.invoices WHERE id = $1::text::uuid",
            &[&invoice],
        )
        .await
        .expect("row")
        .get(0);
    assert!(unclaimed, "nothing was claimed");
}
