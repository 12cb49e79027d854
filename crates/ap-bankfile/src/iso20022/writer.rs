//! Writes pain.001.001.09: validates the whole input first, groups transfers into
//! `PmtInf` blocks by execution date, currency and debtor, then renders the XML.

use std::collections::BTreeMap;

use super::PAIN001_NAMESPACE;
use super::spec::{AccountId, Agent, CreditTransfer, Pain001Error, Pain001Spec};
use super::xml::{Xml, clean_text, cut};
use crate::money::{Currency, ZeroPolicy, format_minor_units, to_minor_units};

const MAX_ID: usize = 35;
const MAX_TEXT: usize = 140;

struct Prepared<'a> {
    transfer: &'a CreditTransfer,
    minor: u64,
    creditor_name: String,
    remittance: String,
}

/// Renders the message. Amounts are written with exactly the currency's minor-unit
/// decimals; `GrpHdr/CtrlSum` and `PmtInf/CtrlSum` are exact decimal sums.
pub fn write_pain001(spec: &Pain001Spec) -> Result<String, Pain001Error> {
    if spec.transfers.is_empty() {
        return Err(Pain001Error::NoTransfers);
    }
    let message_id = id(&spec.message_id, 0, "message id")?;
    let initiating_party = required_text(&spec.initiating_party, 0, "initiating party name")?;

    let mut prepared = Vec::with_capacity(spec.transfers.len());
    for (i, t) in spec.transfers.iter().enumerate() {
        prepared.push(prepare(t, i + 1)?);
    }

    // Grouping by index keeps the original order inside each block, and BTreeMap keeps
    // block order deterministic.
    let mut groups: BTreeMap<(chrono::NaiveDate, Currency, usize), Vec<usize>> = BTreeMap::new();
    let mut debtors: Vec<&super::spec::Debtor> = Vec::new();
    for (i, p) in prepared.iter().enumerate() {
        let d = &p.transfer.debtor;
        let di = debtors.iter().position(|x| *x == d).unwrap_or_else(|| {
            debtors.push(d);
            debtors.len() - 1
        });
        groups
            .entry((p.transfer.execution_date, p.transfer.currency, di))
            .or_default()
            .push(i);
    }

    let mut xml = Xml::new(1024 + spec.transfers.len() * 900);
    xml.open_with("Document", &[("xmlns", PAIN001_NAMESPACE)]);
    xml.open("CstmrCdtTrfInitn");
    xml.open("GrpHdr");
    xml.leaf("MsgId", &message_id);
    xml.leaf(
        "CreDtTm",
        &spec.created_at.format("%Y-%m-%dT%H:%M:%S").to_string(),
    );
    xml.leaf("NbOfTxs", &prepared.len().to_string());
    xml.leaf("CtrlSum", &control_sum(prepared.iter())?);
    xml.open("InitgPty");
    xml.leaf("Nm", &initiating_party);
    xml.close("InitgPty");
    xml.close("GrpHdr");

    for (n, ((date, currency, di), members)) in groups.iter().enumerate() {
        let suffix = format!("-{}", n + 1);
        let base: String = message_id.chars().take(MAX_ID - suffix.len()).collect();
        let debtor = debtors[*di];
        let sepa = *currency == Currency::Eur;
        xml.open("PmtInf");
        xml.leaf("PmtInfId", &format!("{base}{suffix}"));
        xml.leaf("PmtMtd", "TRF");
        xml.leaf(
            "BtchBookg",
            if spec.batch_booking { "true" } else { "false" },
        );
        xml.leaf("NbOfTxs", &members.len().to_string());
        xml.leaf(
            "CtrlSum",
            &control_sum(members.iter().map(|&i| &prepared[i]))?,
        );
        if sepa {
            xml.open("PmtTpInf");
            xml.open("SvcLvl");
            xml.leaf("Cd", "SEPA");
            xml.close("SvcLvl");
            xml.close("PmtTpInf");
        }
        xml.open("ReqdExctnDt");
        xml.leaf("Dt", &date.format("%Y-%m-%d").to_string());
        xml.close("ReqdExctnDt");
        xml.open("Dbtr");
        xml.leaf("Nm", &cut(&clean_text(&debtor.name), MAX_TEXT));
        xml.close("Dbtr");
        account(&mut xml, "DbtrAcct", &debtor.account);
        agent(&mut xml, "DbtrAgt", &debtor.agent);
        // SEPA mandates SLEV; elsewhere each side pays its own bank's charges.
        xml.leaf("ChrgBr", if sepa { "SLEV" } else { "SHAR" });
        for &i in members {
            transaction(&mut xml, &prepared[i]);
        }
        xml.close("PmtInf");
    }
    xml.close("CstmrCdtTrfInitn");
    xml.close("Document");
    Ok(xml.finish())
}

fn prepare(t: &CreditTransfer, index: usize) -> Result<Prepared<'_>, Pain001Error> {
    let minor = to_minor_units(t.amount, t.currency, ZeroPolicy::Refuse)
        .map_err(|source| Pain001Error::Amount { index, source })?;
    id(&t.instruction_id, index, "instruction id")?;
    id(&t.end_to_end_id, index, "end-to-end id")?;
    required_text(&t.debtor.name, index, "debtor name")?;
    let creditor_name = cut(
        &required_text(&t.creditor.name, index, "creditor name")?,
        MAX_TEXT,
    );
    let remittance = clean_text(&t.remittance);
    let len = remittance.chars().count();
    if len > MAX_TEXT {
        return Err(Pain001Error::TooLong {
            index,
            field: "remittance",
            len,
            max: MAX_TEXT,
        });
    }
    let ibans = matches!(t.debtor.account, AccountId::Iban(_))
        && matches!(t.creditor.account, AccountId::Iban(_));
    if t.currency == Currency::Eur && !ibans {
        return Err(Pain001Error::SepaNeedsIban { index });
    }
    Ok(Prepared {
        transfer: t,
        minor,
        creditor_name,
        remittance,
    })
}

fn id(value: &str, index: usize, field: &'static str) -> Result<String, Pain001Error> {
    let v = required_text(value, index, field)?;
    let len = v.chars().count();
    if len > MAX_ID {
        return Err(Pain001Error::TooLong {
            index,
            field,
            len,
            max: MAX_ID,
        });
    }
    Ok(v)
}

fn required_text(value: &str, index: usize, field: &'static str) -> Result<String, Pain001Error> {
    let v = clean_text(value);
    if v.is_empty() {
        return Err(Pain001Error::Empty { index, field });
    }
    Ok(v)
}

/// Sums amounts exactly. Mixed-currency sums are meaningless money but are what the
/// schema defines `CtrlSum` to be: a hash total of the amounts as written.
fn control_sum<'a>(items: impl Iterator<Item = &'a Prepared<'a>>) -> Result<String, Pain001Error> {
    let mut total = rust_decimal::Decimal::ZERO;
    let mut max_places = 0;
    for p in items {
        let amount = crate::money::from_minor_units(p.minor, p.transfer.currency);
        total = total.checked_add(amount).ok_or(Pain001Error::Overflow)?;
        max_places = max_places.max(p.transfer.currency.minor_units());
    }
    total.rescale(max_places);
    Ok(total.to_string())
}

fn account(xml: &mut Xml, name: &str, id: &AccountId) {
    xml.open(name);
    xml.open("Id");
    match id {
        AccountId::Iban(iban) => xml.leaf("IBAN", iban.as_str()),
        AccountId::Other(number) => {
            xml.open("Othr");
            xml.leaf("Id", number.expose());
            xml.close("Othr");
        }
    }
    xml.close("Id");
    xml.close(name);
}

fn agent(xml: &mut Xml, name: &str, agent: &Agent) {
    xml.open(name);
    xml.open("FinInstnId");
    if let Some(bic) = &agent.bic {
        xml.leaf("BICFI", bic.as_str());
    }
    if let Some(aba) = &agent.aba_routing {
        xml.open("ClrSysMmbId");
        xml.open("ClrSysId");
        xml.leaf("Cd", "USABA");
        xml.close("ClrSysId");
        xml.leaf("MmbId", aba.as_str());
        xml.close("ClrSysMmbId");
    }
    if agent.is_empty() {
        // The debtor agent is mandatory; this is the EPC convention for "not known".
        xml.open("Othr");
        xml.leaf("Id", "NOTPROVIDED");
        xml.close("Othr");
    }
    xml.close("FinInstnId");
    xml.close(name);
}

fn transaction(xml: &mut Xml, p: &Prepared<'_>) {
    let t = p.transfer;
    xml.open("CdtTrfTxInf");
    xml.open("PmtId");
    xml.leaf("InstrId", &clean_text(&t.instruction_id));
    xml.leaf("EndToEndId", &clean_text(&t.end_to_end_id));
    xml.close("PmtId");
    xml.open("Amt");
    xml.leaf_with(
        "InstdAmt",
        &[("Ccy", t.currency.code())],
        &format_minor_units(p.minor, t.currency),
    );
    xml.close("Amt");
    if let Some(a) = t.creditor.agent.as_ref().filter(|a| !a.is_empty()) {
        agent(xml, "CdtrAgt", a);
    }
    xml.open("Cdtr");
    xml.leaf("Nm", &p.creditor_name);
    xml.close("Cdtr");
    account(xml, "CdtrAcct", &t.creditor.account);
    if !p.remittance.is_empty() {
        xml.open("RmtInf");
        xml.leaf("Ustrd", &p.remittance);
        xml.close("RmtInf");
    }
    xml.close("CdtTrfTxInf");
}
