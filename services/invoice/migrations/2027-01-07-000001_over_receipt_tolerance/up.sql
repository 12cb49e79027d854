-- How far cumulative goods receipts may exceed a PO line's ordered quantity, as a fraction of
-- it (0.05 = 5 %). Part of the published rule set, so raising it is a reviewed, versioned,
-- audited change like any other tolerance. Zero keeps the old rule: never beyond the order.
ALTER TABLE match_rule_sets
    ADD COLUMN over_receipt_pct NUMERIC(9, 6) NOT NULL DEFAULT 0
        CHECK (over_receipt_pct >= 0 AND over_receipt_pct <= 1);
