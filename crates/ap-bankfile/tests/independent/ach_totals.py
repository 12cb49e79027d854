#!/usr/bin/env python3
"""Parses a NACHA file with the independent achkit package and prints, as JSON, its
validation verdict, entry count and credit/debit totals recomputed from the entries.

Usage: ach_totals.py FILE
"""
import json
import sys

import achkit


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: ach_totals.py FILE", file=sys.stderr)
        return 2
    with open(sys.argv[1], encoding="ascii", newline="") as f:
        text = f.read()
    verdict = achkit.validate(text)
    parsed = achkit.parse(text)
    entries = [e for b in parsed["batches"] for e in b["entries"]]
    # Second digit of the transaction code: 1-4 credits, 6-9 debits (NACHA rules).
    credits = sum(e["amount_cents"] for e in entries if e["txn_code"] % 10 in (1, 2, 3, 4))
    debits = sum(e["amount_cents"] for e in entries if e["txn_code"] % 10 in (6, 7, 8, 9))
    control = parsed.get("control") or {}
    print(json.dumps({
        "parser": "achkit " + achkit.__version__,
        "ok": verdict["ok"],
        "errors": verdict["errors"],
        "batch_count": len(parsed["batches"]),
        "entry_count": len(entries),
        "addenda_count": sum(len(e["addenda"]) for e in entries),
        "total_credit_cents": credits,
        "total_debit_cents": debits,
        "control_total_credit_cents": control.get("total_credit"),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
