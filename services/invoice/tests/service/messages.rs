//! The staff invoice list's unread-message counts: one statement for the whole page, proven
//! by counting the statements an instrumented connection runs (a query per row would make 51).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use ap_invoice::store::invoices::InvoiceFilter;
use ap_test_support::TestDb;
use diesel::connection::{Instrumentation, InstrumentationEvent};
use diesel_async::{AsyncConnection, AsyncPgConnection};

/// Counts every statement a connection starts.
struct StatementCounter(Arc<AtomicUsize>);

impl Instrumentation for StatementCounter {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if matches!(event, InstrumentationEvent::StartQuery { .. }) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
}

#[tokio::test]
async fn a_page_of_fifty_invoices_gets_its_unread_counts_in_one_statement() {
    let db = TestDb::new(
        "invoice",
        |url| async move { ap_invoice::migrate(&url).await },
    )
    .await;
    // 60 invoices; invoice n has n % 4 unread vendor messages, one read vendor message and one
    // staff message (neither counts).
    db.client()
        .await
        .batch_execute(
            "INSERT INTO invoice.invoices (id, status, source, fields, created_at) \
               SELECT ('00000000-0000-7000-8000-' || lpad(n::text, 12, '0'))::uuid, 'received', 'upload', '{}', \
                      now() - n * interval '1 minute' FROM generate_series(1, 60) n; \
             INSERT INTO invoice.invoice_messages (id, invoice_id, direction, body) \
               SELECT gen_random_uuid(), ('00000000-0000-7000-8000-' || lpad(n::text, 12, '0'))::uuid, 'inbound', 'm' \
               FROM generate_series(1, 60) n, generate_series(1, 3) k WHERE k <= n % 4; \
             INSERT INTO invoice.invoice_messages (id, invoice_id, direction, body, read_at) \
               SELECT gen_random_uuid(), ('00000000-0000-7000-8000-' || lpad(n::text, 12, '0'))::uuid, 'inbound', 'r', now() \
               FROM generate_series(1, 60) n; \
             INSERT INTO invoice.invoice_messages (id, invoice_id, direction, body) \
               SELECT gen_random_uuid(), ('00000000-0000-7000-8000-' || lpad(n::text, 12, '0'))::uuid, 'outbound', 's' \
               FROM generate_series(1, 60) n;",
        )
        .await
        .expect("seed");
    let url = ap_kit::db::url_with_schema(db.url(), ap_invoice::SCHEMA).expect("url");
    let mut conn = AsyncPgConnection::establish(&url).await.expect("connect");
    let statements = Arc::new(AtomicUsize::new(0));
    conn.set_instrumentation(StatementCounter(statements.clone()));

    let (items, next) = ap_invoice::app::invoices::list_page(
        &mut conn,
        &InvoiceFilter::default(),
        Default::default(),
        None,
        50,
    )
    .await
    .expect("page");

    assert_eq!(items.len(), 50);
    assert!(next.is_some());
    for (row, unread) in &items {
        let n: i64 = row.id.to_string()[24..].parse().expect("n");
        assert_eq!(*unread, n % 4, "invoice {n}");
    }
    // The page itself, then the unread counts of all 50: never one query per invoice.
    assert_eq!(statements.load(Ordering::SeqCst), 2);
}
