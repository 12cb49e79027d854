//! Diesel table definitions for schema `invoice` (kept in step with `migrations/` by hand;
//! the migration test checks the indexes the queries rely on).

diesel::table! {
    invoice.vendors (id) {
        id -> Uuid,
        name -> Text,
        legal_name -> Nullable<Text>,
        tax_id -> Nullable<Text>,
        tax_id_normalized -> Nullable<Text>,
        email -> Nullable<Text>,
        address -> Nullable<Text>,
        country -> Nullable<Bpchar>,
        currency -> Bpchar,
        payment_terms -> Nullable<Text>,
        payment_terms_days -> Nullable<Integer>,
        category -> Nullable<Text>,
        is_active -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        deleted_at -> Nullable<Timestamptz>,
        po_required -> Bool,
    }
}

diesel::table! {
    invoice.vendor_aliases (id) {
        id -> Uuid,
        vendor_id -> Uuid,
        alias -> Text,
        alias_normalized -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    invoice.vendor_bank_accounts (id) {
        id -> Uuid,
        vendor_id -> Uuid,
        kind -> Text,
        ciphertext -> Bytea,
        last4 -> Text,
        bic -> Nullable<Text>,
        routing_number -> Nullable<Text>,
        fingerprint -> Text,
        status -> Text,
        is_current -> Bool,
        is_initial -> Bool,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        verified_by -> Nullable<Uuid>,
        verified_at -> Nullable<Timestamptz>,
        superseded_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    invoice.purchase_orders (id) {
        id -> Uuid,
        po_number -> Text,
        vendor_id -> Uuid,
        currency -> Bpchar,
        status -> Text,
        order_date -> Nullable<Date>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        match_type -> Text,
    }
}

diesel::table! {
    invoice.po_lines (id) {
        id -> Uuid,
        po_id -> Uuid,
        line_number -> Integer,
        description -> Text,
        quantity -> Numeric,
        unit_price -> Numeric,
        unit -> Nullable<Text>,
        gl_account -> Nullable<Text>,
        cost_centre -> Nullable<Text>,
    }
}

diesel::table! {
    invoice.goods_receipts (id) {
        id -> Uuid,
        receipt_number -> Text,
        po_id -> Uuid,
        received_at -> Date,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    invoice.receipt_lines (id) {
        id -> Uuid,
        receipt_id -> Uuid,
        po_line_id -> Uuid,
        quantity -> Numeric,
    }
}

// Also on `invoices`, outside this macro because of diesel's 32-column limit and only ever
// read or written by raw SQL (`store::payables`, `store::invoices::record_approval`):
// payment_id; approved_amount, approved_currency, approved_vendor_id,
// approved_bank_account_id, approved_at (migration 2026-12-28-000001_approved_amount).
// payment_claim_run_id, payment_claimed_at, payment_claim_run_reference (a payment run's
// claim; `store::claims`, migration 2026-12-28-000002_payment_claims).
diesel::table! {
    invoice.invoices (id) {
        id -> Uuid,
        status -> Text,
        invoice_number -> Nullable<Text>,
        invoice_number_normalized -> Nullable<Text>,
        vendor_id -> Nullable<Uuid>,
        vendor_name -> Nullable<Text>,
        vendor_name_raw -> Nullable<Text>,
        invoice_date -> Nullable<Date>,
        due_date -> Nullable<Date>,
        currency -> Nullable<Bpchar>,
        subtotal -> Nullable<Numeric>,
        tax_amount -> Nullable<Numeric>,
        total_amount -> Nullable<Numeric>,
        amount_due -> Nullable<Numeric>,
        po_number -> Nullable<Text>,
        payment_terms -> Nullable<Text>,
        fields -> Jsonb,
        source -> Text,
        uploaded_by -> Nullable<Uuid>,
        last_corrected_by -> Nullable<Uuid>,
        failure_reason -> Nullable<Text>,
        payment_status -> Nullable<Text>,
        payment_date -> Nullable<Date>,
        payment_method -> Nullable<Text>,
        payment_reference -> Nullable<Text>,
        version -> Integer,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        deleted_at -> Nullable<Timestamptz>,
        payee_iban -> Nullable<Text>,
        touchless -> Bool,
    }
}

diesel::table! {
    invoice.invoice_lines (id) {
        id -> Uuid,
        invoice_id -> Uuid,
        line_number -> Integer,
        description -> Nullable<Text>,
        quantity -> Nullable<Numeric>,
        unit -> Nullable<Text>,
        unit_price -> Nullable<Numeric>,
        line_total -> Nullable<Numeric>,
        tax_rate -> Nullable<Numeric>,
        po_line_number -> Nullable<Integer>,
        source -> Text,
    }
}

diesel::table! {
    invoice.documents (id) {
        id -> Uuid,
        invoice_id -> Uuid,
        storage_key -> Text,
        filename -> Text,
        content_type -> Text,
        size_bytes -> BigInt,
        sha256 -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    invoice.invoice_corrections (id) {
        id -> Uuid,
        invoice_id -> Uuid,
        field -> Text,
        old_value -> Nullable<Jsonb>,
        new_value -> Nullable<Jsonb>,
        corrected_by -> Uuid,
        corrected_at -> Timestamptz,
    }
}

diesel::table! {
    invoice.extraction_jobs (id) {
        id -> Uuid,
        invoice_id -> Uuid,
        status -> Text,
        attempts -> Integer,
        run_after -> Timestamptz,
        locked_at -> Nullable<Timestamptz>,
        last_error -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        method -> Nullable<Text>,
        finished_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    invoice.exceptions (id) {
        id -> Uuid,
        invoice_id -> Uuid,
        code -> Text,
        severity -> Text,
        status -> Text,
        message -> Text,
        details -> Jsonb,
        source -> Text,
        assigned_to -> Nullable<Uuid>,
        due_at -> Nullable<Timestamptz>,
        resolution_note -> Nullable<Text>,
        resolved_by -> Nullable<Uuid>,
        resolved_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        finding_key -> Text,
        assigned_role -> Nullable<Text>,
        escalated_at -> Nullable<Timestamptz>,
    }
}

diesel::joinable!(vendor_aliases -> vendors (vendor_id));
diesel::joinable!(vendor_bank_accounts -> vendors (vendor_id));
diesel::joinable!(purchase_orders -> vendors (vendor_id));
diesel::joinable!(po_lines -> purchase_orders (po_id));
diesel::joinable!(goods_receipts -> purchase_orders (po_id));
diesel::joinable!(receipt_lines -> goods_receipts (receipt_id));
diesel::joinable!(receipt_lines -> po_lines (po_line_id));
diesel::joinable!(invoices -> vendors (vendor_id));
diesel::joinable!(invoice_lines -> invoices (invoice_id));
diesel::joinable!(documents -> invoices (invoice_id));
diesel::joinable!(exceptions -> invoices (invoice_id));

diesel::allow_tables_to_appear_in_same_query!(
    vendors,
    vendor_aliases,
    vendor_bank_accounts,
    purchase_orders,
    po_lines,
    goods_receipts,
    receipt_lines,
    invoices,
    invoice_lines,
    documents,
    invoice_corrections,
    extraction_jobs,
    exceptions,
);

diesel::table! {
    invoice.exception_comments (id) {
        id -> Uuid,
        exception_id -> Uuid,
        author_id -> Nullable<Uuid>,
        author_email -> Nullable<Text>,
        body -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    invoice.invoice_messages (id) {
        id -> Uuid,
        invoice_id -> Uuid,
        direction -> Text,
        internal -> Bool,
        body -> Text,
        author_id -> Nullable<Uuid>,
        author_email -> Nullable<Text>,
        created_at -> Timestamptz,
        read_at -> Nullable<Timestamptz>,
    }
}
