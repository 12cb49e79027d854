//! Diesel table definitions for schema `approval` (kept in step with `migrations/` by hand).

diesel::table! {
    approval.matrix_rules (id) {
        id -> Uuid,
        name -> Text,
        amount_over -> Nullable<Numeric>,
        amount_up_to -> Nullable<Numeric>,
        department -> Nullable<Text>,
        vendor_category -> Nullable<Text>,
        levels -> Jsonb,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        deleted_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    approval.approval_requests (id) {
        id -> Uuid,
        invoice_id -> Uuid,
        event_id -> Uuid,
        match_run -> Integer,
        invoice_number -> Nullable<Text>,
        vendor_id -> Nullable<Uuid>,
        vendor_name -> Nullable<Text>,
        vendor_category -> Nullable<Text>,
        department -> Nullable<Text>,
        currency -> Nullable<Bpchar>,
        amount -> Numeric,
        invoice_due_date -> Nullable<Date>,
        uploaded_by -> Nullable<Uuid>,
        last_corrected_by -> Nullable<Uuid>,
        matrix_rule_id -> Nullable<Uuid>,
        levels -> Jsonb,
        current_level -> Integer,
        status -> Text,
        created_at -> Timestamptz,
        closed_at -> Nullable<Timestamptz>,
        close_reason -> Nullable<Text>,
        barred_users -> Array<Uuid>,
    }
}

diesel::table! {
    approval.approval_tasks (id) {
        id -> Uuid,
        request_id -> Uuid,
        invoice_id -> Uuid,
        level -> Integer,
        slot -> Integer,
        assignee_id -> Nullable<Uuid>,
        assignee_email -> Nullable<Text>,
        status -> Text,
        assigned_at -> Timestamptz,
        due_at -> Timestamptz,
        reminder_sent_at -> Nullable<Timestamptz>,
        escalated_at -> Nullable<Timestamptz>,
        escalated_from -> Nullable<Uuid>,
        decided_by -> Nullable<Uuid>,
        decided_by_email -> Nullable<Text>,
        on_behalf_of -> Nullable<Uuid>,
        decided_at -> Nullable<Timestamptz>,
        channel -> Nullable<Text>,
        notes -> Nullable<Text>,
        client_ip -> Nullable<Text>,
        user_agent -> Nullable<Text>,
        cancel_reason -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    approval.delegations (id) {
        id -> Uuid,
        user_id -> Uuid,
        delegate_id -> Uuid,
        delegate_email -> Text,
        starts_at -> Timestamptz,
        ends_at -> Timestamptz,
        reason -> Nullable<Text>,
        created_by -> Uuid,
        created_at -> Timestamptz,
        ended_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    approval.notifications (id) {
        id -> Uuid,
        user_id -> Uuid,
        kind -> Text,
        title -> Text,
        body -> Text,
        invoice_id -> Nullable<Uuid>,
        task_id -> Nullable<Uuid>,
        created_at -> Timestamptz,
        read_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    approval.email_tokens (id) {
        id -> Uuid,
        task_id -> Uuid,
        action -> Text,
        assignee_id -> Uuid,
        amount -> Numeric,
        currency -> Nullable<Bpchar>,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    approval.mail_outbox (id) {
        id -> Uuid,
        to_address -> Text,
        subject -> Text,
        body_text -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamptz,
        last_error -> Nullable<Text>,
        created_at -> Timestamptz,
        sent_at -> Nullable<Timestamptz>,
        to_user_id -> Nullable<Uuid>,
    }
}

diesel::joinable!(approval_tasks -> approval_requests (request_id));
diesel::allow_tables_to_appear_in_same_query!(approval_requests, approval_tasks);
