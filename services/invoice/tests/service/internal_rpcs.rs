//! Internal RPCs are internal: status changes, payment records, payables and bank details
//! answer service identities only, never a user token, whatever the role.

use ap_kit::outbox::SERVICE_TOKEN;
use ap_kit::token::ServiceTokens;
use ap_proto::invoice::v1 as pb;
use ap_types::Role;
use tonic::Code;

use crate::spawn;

fn pay(id: &str) -> pb::PayInvoicesRequest {
    pb::PayInvoicesRequest {
        items: vec![pb::PayInvoiceItem {
            id: id.to_owned(),
            payment_id: uuid::Uuid::now_v7().to_string(),
            expected_statuses: vec!["approved".into()],
            payment_date: "2026-11-30".into(),
            payment_method: "ACH".into(),
            payment_reference: "PAY-1".into(),
            amount: "100.00".into(),
            discount_amount: String::new(),
        }],
    }
}

fn transition(id: &str) -> pb::TransitionInvoicesRequest {
    pb::TransitionInvoicesRequest {
        ids: vec![id.to_owned()],
        expected_status: "approved".into(),
        event: "schedule".into(),
        reason: String::new(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_user_token_cannot_call_internal_status_rpcs() {
    let svc = crate::spawn().await;
    let id = svc.invoice("approved").await;
    let mut client = svc.client.clone();

    for role in [Role::Admin, Role::ApAnalyst, Role::ApClerk, Role::Approver] {
        let denied = |r: Result<_, tonic::Status>, what: &str| {
            let code = r.err().map(|e| e.code());
            assert!(
                matches!(code, Some(Code::PermissionDenied | Code::Unauthenticated)),
                "{role:?} {what}: {code:?}"
            );
        };
        denied(
            client
                .transition_invoices(svc.as_user(role, transition(&id)))
                .await
                .map(|_| ()),
            "TransitionInvoices",
        );
        denied(
            client
                .pay_invoices(svc.as_user(role, pay(&id)))
                .await
                .map(|_| ()),
            "PayInvoices",
        );
        denied(
            client
                .transition_status(svc.as_user(
                    role,
                    pb::TransitionStatusRequest {
                        id: id.clone(),
                        expected_status: "approved".into(),
                        event: "schedule".into(),
                        reason: String::new(),
                    },
                ))
                .await
                .map(|_| ()),
            "TransitionStatus",
        );
        denied(
            client
                .attach_payment(svc.as_user(
                    role,
                    pb::AttachPaymentRequest {
                        id: id.clone(),
                        payment_status: "completed".into(),
                        ..Default::default()
                    },
                ))
                .await
                .map(|_| ()),
            "AttachPayment",
        );
        denied(
            client
                .get_payable_invoice(svc.as_user(role, pb::IdRequest { id: id.clone() }))
                .await
                .map(|_| ()),
            "GetPayableInvoice",
        );
        denied(
            client
                .list_payable_invoices(svc.as_user(role, pb::ListPayableInvoicesRequest::default()))
                .await
                .map(|_| ()),
            "ListPayableInvoices",
        );
        denied(
            client
                .get_payee_bank_details(svc.as_user(
                    role,
                    pb::PayeeBankDetailsRequest {
                        vendor_ids: vec![uuid::Uuid::now_v7().to_string()],
                    },
                ))
                .await
                .map(|_| ()),
            "GetPayeeBankDetails",
        );
    }
    // Nothing moved.
    let status: String = svc
        .db
        .client()
        .await
        .query_one(
            "SELECT status FROM invoice.invoices WHERE id = $1::text::uuid",
            &[&id],
        )
        .await
        .expect("row")
        .get(0);
    assert_eq!(status, "approved");

    // The payment service's own token is accepted.
    let moved = client
        .transition_invoices(svc.as_service("payment", transition(&id)))
        .await
        .expect("the payment service may schedule");
    assert_eq!(moved.get_ref().results[0].status, "scheduled");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_service_cannot_impersonate_another_service() {
    let svc = spawn().await;
    let id = svc.invoice("approved").await;
    let mut client = svc.client.clone();
    // The approval service holds its own key; the only token it can mint names itself.
    let approval = ServiceTokens::development("approval").expect("tokens");
    assert!(approval.issue("payment").is_err());
    // A token naming the payment service but signed with the approval service's key.
    let (approval_key, _) = ap_kit::token::development_service_key("approval").expect("key");
    let forger = ServiceTokens::new("payment", &approval_key, &[]).expect("tokens");
    let mut req = tonic::Request::new(transition(&id));
    req.metadata_mut().insert(
        SERVICE_TOKEN,
        forger
            .issue("payment")
            .expect("token")
            .parse()
            .expect("meta"),
    );
    let err = client
        .transition_invoices(req)
        .await
        .expect_err("forged identity");
    assert_eq!(err.code(), Code::Unauthenticated);
    // Bank details are the payment service's alone; the approval service's genuine token
    // does not open them.
    let err = client
        .get_payee_bank_details(svc.as_service(
            "approval",
            pb::PayeeBankDetailsRequest {
                vendor_ids: vec![uuid::Uuid::now_v7().to_string()],
            },
        ))
        .await
        .expect_err("not the payment service");
    assert_eq!(err.code(), Code::PermissionDenied);
}
