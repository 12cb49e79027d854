//! Legitimate analytical queries an analyst would ask for: every one must pass the guard and
//! run against the real views. The false-refusal rate is reported in docs/askai.md.

use crate::{Options, running};

pub const LEGITIMATE: &[&str] = &[
    "SELECT count(*) FROM reporting.invoices",
    "SELECT count(*) FROM invoices",
    "SELECT status, count(*) AS n FROM reporting.invoices GROUP BY status ORDER BY n DESC",
    "SELECT vendor_name, sum(total_amount) AS total FROM reporting.invoices GROUP BY vendor_name ORDER BY total DESC LIMIT 10",
    "SELECT currency, sum(amount_due) FROM reporting.invoices WHERE status NOT IN ('paid', 'cancelled', 'rejected') GROUP BY currency",
    "SELECT invoice_number, vendor_name, due_date FROM reporting.invoices WHERE due_date < current_date AND status <> 'paid' ORDER BY due_date",
    "SELECT invoice_number, due_date - current_date AS days_left FROM reporting.invoices WHERE due_date BETWEEN current_date AND current_date + 30",
    "SELECT date_trunc('month', invoice_date) AS month, count(*), sum(total_amount) FROM reporting.invoices GROUP BY 1 ORDER BY 1",
    "SELECT extract(year FROM invoice_date) AS yr, extract(month FROM invoice_date) AS mo, count(*) FROM reporting.invoices GROUP BY 1, 2 ORDER BY 1, 2",
    "SELECT to_char(invoice_date, 'YYYY-MM') AS month, round(avg(total_amount), 2) AS average FROM reporting.invoices GROUP BY 1 ORDER BY 1",
    "SELECT v.vendor_name, v.country, count(i.invoice_id) AS invoices FROM reporting.vendors v LEFT JOIN reporting.invoices i ON i.vendor_id = v.vendor_id GROUP BY v.vendor_name, v.country ORDER BY invoices DESC",
    "SELECT v.category, sum(i.total_amount) FROM reporting.vendors AS v JOIN reporting.invoices AS i USING (vendor_id) GROUP BY v.category",
    "SELECT vendor_name FROM reporting.vendors WHERE is_active AND po_required ORDER BY vendor_name",
    "SELECT vendor_name, payment_terms_days FROM vendors WHERE payment_terms_days > 20",
    "SELECT i.invoice_number, l.line_number, l.description, l.line_total FROM reporting.invoices i JOIN reporting.invoice_lines l ON l.invoice_id = i.invoice_id ORDER BY i.invoice_number, l.line_number",
    "SELECT invoice_number, count(*) AS lines, sum(line_total) AS total FROM reporting.invoice_lines GROUP BY invoice_number HAVING count(*) >= 1",
    "SELECT description, sum(quantity) AS qty, max(unit_price) FROM reporting.invoice_lines WHERE lower(description) LIKE '%steel%' GROUP BY description",
    "SELECT po_number, vendor_name, total_amount, status FROM reporting.purchase_orders ORDER BY total_amount DESC",
    "SELECT p.po_number, count(pl.line_number) AS lines, sum(pl.line_amount) FROM reporting.purchase_orders p JOIN reporting.purchase_order_lines pl ON pl.po_id = p.po_id GROUP BY p.po_number",
    "SELECT p.po_number, pl.line_number, pl.quantity AS ordered, COALESCE(sum(r.quantity_received), 0) AS received FROM reporting.purchase_order_lines pl JOIN reporting.purchase_orders p ON p.po_id = pl.po_id LEFT JOIN reporting.goods_receipt_lines r ON r.po_id = pl.po_id AND r.po_line_number = pl.line_number GROUP BY p.po_number, pl.line_number, pl.quantity",
    "SELECT receipt_number, po_number, received_on FROM reporting.goods_receipts WHERE received_on >= DATE '2026-01-01' ORDER BY received_on DESC",
    "SELECT i.invoice_number, i.po_number, p.total_amount AS po_total, i.total_amount FROM reporting.invoices i JOIN reporting.purchase_orders p ON p.po_number = i.po_number",
    "SELECT invoice_number FROM reporting.invoices i WHERE po_number IS NOT NULL AND NOT EXISTS (SELECT 1 FROM reporting.purchase_orders p WHERE p.po_number = i.po_number)",
    "SELECT code, severity, count(*) FROM reporting.exceptions GROUP BY code, severity ORDER BY count(*) DESC",
    "SELECT status, count(*) FILTER (WHERE severity IN ('high', 'critical')) AS serious, count(*) AS all_exceptions FROM reporting.exceptions GROUP BY status",
    "SELECT invoice_number, code, age(now(), created_at) AS open_for FROM reporting.exceptions WHERE status IN ('open', 'in_progress') ORDER BY created_at",
    "SELECT vendor_name, count(*) FROM reporting.exceptions WHERE created_at > now() - INTERVAL '30 days' GROUP BY vendor_name",
    "SELECT assigned_role, count(*) FROM reporting.exceptions WHERE due_at < now() AND resolved_at IS NULL GROUP BY assigned_role",
    "SELECT method, count(*), sum(amount) FROM reporting.payments WHERE status = 'completed' GROUP BY method",
    "SELECT vendor_name, sum(amount) AS paid, sum(discount_amount) AS discounts FROM reporting.payments GROUP BY vendor_name ORDER BY paid DESC",
    "SELECT date_trunc('week', payment_date)::date AS week, sum(amount) FROM reporting.payments GROUP BY 1 ORDER BY 1",
    "SELECT reference, status, invoice_count, gross_amount, discount_amount, net_amount FROM reporting.payment_runs ORDER BY created_at DESC",
    "SELECT assignee_id, count(*) AS open_tasks FROM reporting.approval_tasks WHERE status = 'pending' GROUP BY assignee_id ORDER BY open_tasks DESC",
    "SELECT invoice_number, vendor_name, amount, due_at FROM reporting.approval_tasks WHERE overdue ORDER BY due_at",
    "SELECT channel, count(*) FROM reporting.approval_tasks WHERE decided_at IS NOT NULL GROUP BY channel",
    "SELECT avg(EXTRACT(EPOCH FROM decided_at - assigned_at) / 3600) AS avg_hours_to_decide FROM reporting.approval_tasks WHERE status IN ('approved', 'rejected')",
    "SELECT r.reference, it.invoice_number, it.net_amount FROM reporting.payment_runs r JOIN reporting.payment_run_items it ON it.run_id = r.run_id WHERE r.status = 'executed'",
    "SELECT reason, count(*), sum(net_amount) FROM reporting.payment_run_items GROUP BY reason",
    "SELECT i.invoice_number, i.total_amount, p.amount, i.total_amount - p.amount AS difference FROM reporting.invoices i JOIN reporting.payments p ON p.invoice_id = i.invoice_id",
    "SELECT avg(p.payment_date - i.invoice_date) AS avg_days_to_pay FROM reporting.payments p JOIN reporting.invoices i ON i.invoice_id = p.invoice_id",
    "WITH totals AS (SELECT vendor_id, sum(total_amount) AS total FROM reporting.invoices GROUP BY vendor_id) SELECT v.vendor_name, t.total FROM totals t JOIN reporting.vendors v ON v.vendor_id = t.vendor_id ORDER BY t.total DESC",
    "WITH monthly AS (SELECT date_trunc('month', invoice_date) AS m, sum(total_amount) AS s FROM invoices GROUP BY 1) SELECT m, s, s - lag(s) OVER (ORDER BY m) AS change FROM monthly ORDER BY m",
    "SELECT vendor_name, invoice_number, total_amount, rank() OVER (PARTITION BY vendor_name ORDER BY total_amount DESC) AS rnk FROM reporting.invoices",
    "SELECT invoice_number, total_amount, sum(total_amount) OVER (ORDER BY invoice_date ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running_total FROM reporting.invoices ORDER BY invoice_date",
    "SELECT invoice_number, row_number() OVER (ORDER BY total_amount DESC) AS position, ntile(4) OVER (ORDER BY total_amount) AS quartile FROM reporting.invoices",
    "SELECT CASE WHEN total_amount < 100 THEN 'small' WHEN total_amount < 2000 THEN 'medium' ELSE 'large' END AS size, count(*) FROM reporting.invoices GROUP BY 1",
    "SELECT CASE WHEN due_date < current_date THEN 'overdue' WHEN due_date < current_date + 7 THEN 'due this week' ELSE 'later' END AS bucket, sum(amount_due) FROM reporting.invoices WHERE status NOT IN ('paid', 'cancelled') GROUP BY 1",
    "SELECT source, round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS pct FROM reporting.invoices GROUP BY source",
    "SELECT round(100.0 * count(*) FILTER (WHERE touchless) / NULLIF(count(*), 0), 2) AS touchless_rate FROM reporting.invoices",
    "SELECT upper(vendor_name) AS vendor, length(vendor_name) AS len, left(vendor_name, 3) AS prefix FROM reporting.vendors",
    "SELECT concat_ws(' / ', vendor_name, country, currency) AS label FROM reporting.vendors WHERE vendor_name ILIKE 'acme%'",
    "SELECT invoice_number FROM reporting.invoices WHERE invoice_number ~ '^INV-[0-9]+$'",
    "SELECT split_part(invoice_number, '-', 1) AS prefix, count(*) FROM reporting.invoices GROUP BY 1",
    "SELECT vendor_name, string_agg(invoice_number, ', ' ORDER BY invoice_number) AS invoices FROM reporting.invoices GROUP BY vendor_name",
    "SELECT max(total_amount), min(total_amount), avg(total_amount)::numeric(18,2), stddev_samp(total_amount) FROM reporting.invoices",
    "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY total_amount) AS median FROM reporting.invoices",
    "SELECT d::date AS day, count(i.invoice_id) FROM generate_series(DATE '2026-01-01', DATE '2026-01-31', INTERVAL '1 day') AS d LEFT JOIN reporting.invoices i ON i.invoice_date = d::date GROUP BY 1 ORDER BY 1",
    "SELECT vendor_name FROM reporting.invoices WHERE currency = 'USD' UNION SELECT vendor_name FROM reporting.payments WHERE currency = 'USD'",
    "SELECT vendor_id FROM reporting.vendors EXCEPT SELECT vendor_id FROM reporting.invoices",
    "SELECT v.vendor_name, last_inv.invoice_number FROM reporting.vendors v CROSS JOIN LATERAL (SELECT invoice_number FROM reporting.invoices i WHERE i.vendor_id = v.vendor_id ORDER BY invoice_date DESC LIMIT 1) AS last_inv",
    "SELECT invoice_number, total_amount FROM reporting.invoices WHERE total_amount > (SELECT avg(total_amount) FROM reporting.invoices)",
    "SELECT DISTINCT currency FROM reporting.invoices ORDER BY currency",
    "SELECT invoice_number, COALESCE(payment_status, 'unpaid') AS payment, greatest(amount_due, 0) FROM reporting.invoices",
    "SELECT count(*) AS overdue, sum(amount_due) AS overdue_amount FROM reporting.invoices WHERE due_date < now()::date AND amount_due > 0",
    "SELECT invoice_number, abs(total_amount - subtotal - tax_amount) AS rounding FROM reporting.invoices WHERE abs(total_amount - subtotal - tax_amount) > 0.01",
    "SELECT invoice_number, received_at::date AS received, updated_at FROM reporting.invoices ORDER BY received_at DESC LIMIT 5 OFFSET 0",
    "SELECT vendor_name, count(*) FROM reporting.invoices GROUP BY vendor_name HAVING sum(total_amount) > 1000;",
    "select invoice_number, total_amount from reporting.invoices where status = 'approved' fetch first 3 rows only",
];

#[tokio::test(flavor = "multi_thread")]
async fn legitimate_analytical_queries_pass_the_guard_and_run_against_the_views() {
    assert!(LEGITIMATE.len() >= 50, "{}", LEGITIMATE.len());
    let r = running(Options {
        summaries: false,
        ..Options::default()
    })
    .await;
    let mut refused = Vec::new();
    for sql in LEGITIMATE {
        if let Err(e) = r.ask_sql(sql).await {
            refused.push(format!("{sql}\n  -> {}", e.message()));
        }
    }
    let rate = 100.0 * refused.len() as f64 / LEGITIMATE.len() as f64;
    println!(
        "false refusals: {} of {} ({rate:.1}%)",
        refused.len(),
        LEGITIMATE.len()
    );
    assert!(refused.is_empty(), "refused:\n{}", refused.join("\n"));
    assert_eq!(
        r.scalar("SELECT count(*) FROM askai.questions WHERE outcome = 'answered'")
            .await,
        i64::try_from(LEGITIMATE.len()).expect("count")
    );
}
