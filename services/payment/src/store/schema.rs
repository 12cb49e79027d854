//! Diesel table definitions for schema `payment` (kept in step with `migrations/` by hand).

diesel::table! {
    payment.payment_runs (id) {
        id -> Uuid,
        reference -> Text,
        status -> Text,
        currency -> Bpchar,
        method -> Text,
        file_format -> Text,
        pay_by_date -> Date,
        payment_date -> Date,
        next_run_date -> Date,
        created_by -> Uuid,
        created_by_email -> Text,
        approved_by -> Nullable<Uuid>,
        approved_by_email -> Nullable<Text>,
        approved_at -> Nullable<Timestamptz>,
        executed_by -> Nullable<Uuid>,
        executed_at -> Nullable<Timestamptz>,
        cancelled_by -> Nullable<Uuid>,
        cancelled_at -> Nullable<Timestamptz>,
        cancel_reason -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    payment.payment_run_items (id) {
        id -> Uuid,
        run_id -> Uuid,
        seq -> Integer,
        invoice_id -> Uuid,
        invoice_number -> Nullable<Text>,
        vendor_id -> Uuid,
        vendor_name -> Text,
        invoice_date -> Nullable<Date>,
        due_date -> Nullable<Date>,
        payment_terms -> Nullable<Text>,
        gross_amount -> Numeric,
        discount_amount -> Numeric,
        net_amount -> Numeric,
        discount_deadline -> Nullable<Date>,
        reason -> Text,
        bank_account_id -> Nullable<Uuid>,
        first_payment_to_changed_account -> Bool,
        open -> Bool,
    }
}

diesel::table! {
    payment.payment_run_exclusions (run_id, invoice_id) {
        run_id -> Uuid,
        invoice_id -> Uuid,
        invoice_number -> Nullable<Text>,
        vendor_id -> Nullable<Uuid>,
        vendor_name -> Nullable<Text>,
        amount -> Nullable<Numeric>,
        reason -> Text,
    }
}

diesel::table! {
    payment.payments (id) {
        id -> Uuid,
        invoice_id -> Uuid,
        invoice_number -> Nullable<Text>,
        vendor_id -> Nullable<Uuid>,
        vendor_name -> Nullable<Text>,
        run_id -> Nullable<Uuid>,
        status -> Text,
        method -> Text,
        payment_date -> Date,
        reference -> Nullable<Text>,
        amount -> Numeric,
        discount_amount -> Numeric,
        currency -> Bpchar,
        bank_account_id -> Nullable<Uuid>,
        created_by -> Uuid,
        idempotency_key -> Nullable<Text>,
        failure_reason -> Nullable<Text>,
        attempts -> Integer,
        next_attempt_at -> Timestamptz,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        completed_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    payment.idempotency_keys (key, user_id) {
        key -> Text,
        user_id -> Uuid,
        operation -> Text,
        request_hash -> Text,
        response -> Nullable<Bytea>,
        created_at -> Timestamptz,
        completed_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    payment.bank_files (run_id) {
        run_id -> Uuid,
        format -> Text,
        filename -> Text,
        content_type -> Text,
        ciphertext -> Bytea,
        sha256 -> Text,
        size_bytes -> BigInt,
        created_at -> Timestamptz,
    }
}

diesel::joinable!(payment_run_items -> payment_runs (run_id));
diesel::allow_tables_to_appear_in_same_query!(payment_runs, payment_run_items, payments);
