ALTER TABLE match_rule_sets DROP COLUMN over_receipt_pct;
