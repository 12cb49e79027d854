//! Multilingual field labels (EN/DE/FR/ES/IT/NL) and their matching with longest-label-wins overlap resolution.

use std::sync::LazyLock;

use regex::{Regex, RegexSet};

/// What a label announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    InvoiceNumber,
    InvoiceDate,
    DueDate,
    PoNumber,
    Currency,
    Net,
    Tax,
    Total,
    AmountDue,
    VatId,
    Seller,
    /// Labels that must win against shorter generic ones but feed no field (e.g. "Montant déjà payé").
    Other,
}

use Kind::*;

/// `(kind, pattern, weight)`; a leading `~` lets the label start inside a word (German compounds).
const LABELS: &[(Kind, &str, f32)] = &[
    (
        InvoiceNumber,
        r"invoice\s*(?:no\.?|number|nr\.?|num\.?|#|id)",
        1.0,
    ),
    (
        InvoiceNumber,
        r"~rechnungs?\s*-?\s*(?:nummer|nr\.?|no\.?)",
        1.0,
    ),
    (
        InvoiceNumber,
        r"~rechnung(?:\s*\(\d+\))?\s*(?:nr\.?|no\.?|nummer)",
        0.95,
    ),
    (
        InvoiceNumber,
        r"(?:n°|nº|no\.?|num[ée]ro)\s*(?:de\s+)?(?:la\s+)?facture",
        1.0,
    ),
    (InvoiceNumber, r"facture\s*(?:n°|nº|no\.?|num[ée]ro|#)", 1.0),
    (
        InvoiceNumber,
        r"factura\s*(?:n[º°o]\.?|núm\.?|num\.?|número|#)",
        1.0,
    ),
    (InvoiceNumber, r"n[úu]mero\s+(?:de\s+)?factura", 1.0),
    (InvoiceNumber, r"fattura\s*(?:n\.|nr\.?|n°|numero|#)", 1.0),
    (InvoiceNumber, r"numero\s+(?:della\s+|di\s+)?fattura", 1.0),
    (InvoiceNumber, r"factuur\s*-?\s*(?:nummer|nr\.?|no\.?)", 1.0),
    (InvoiceNumber, r"credit\s+note\s*(?:no\.?|number|#)", 1.0),
    (InvoiceNumber, r"gutschrift\s*(?:nr\.?|nummer)", 1.0),
    (InvoiceNumber, r"avoir\s*(?:n°|nº|no\.?)", 1.0),
    (InvoiceNumber, r"belegnummer", 0.8),
    (
        InvoiceDate,
        r"invoice\s+date|date\s+of\s+invoice|date\s+of\s+issue|issue\s+date|invoice\s+dated",
        1.0,
    ),
    (
        InvoiceDate,
        r"~rechnungsdatum|belegdatum|ausstellungsdatum",
        1.0,
    ),
    (
        InvoiceDate,
        r"date\s+(?:de\s+(?:la\s+)?)?facture|date\s+d['’]\s?[ée]mission|date\s+de\s+facturation",
        1.0,
    ),
    (
        InvoiceDate,
        r"fecha\s+(?:de\s+)?(?:la\s+)?factura|fecha\s+(?:de\s+)?emisi[oó]n|fecha\s+de\s+expedici[oó]n",
        1.0,
    ),
    (
        InvoiceDate,
        r"data\s+(?:della\s+)?fattura|data\s+(?:di\s+)?emissione|data\s+documento",
        1.0,
    ),
    (InvoiceDate, r"factuurdatum|datum\s+factuur", 1.0),
    (InvoiceDate, r"date|datum|fecha|data|dated", 0.7),
    (
        DueDate,
        r"due\s+date|payment\s+due(?:\s+date)?|due\s+on|due\s+by|pay\s+by",
        1.0,
    ),
    (
        DueDate,
        r"f[äa]llig(?:keitsdatum|\s+am|\s+bis|keit)?|zahlbar\s+bis|zahlungsziel|netto\s+bis",
        0.95,
    ),
    (
        DueDate,
        r"date\s+d['’]\s?[ée]ch[ée]ance|[ée]ch[ée]ance|[àa]\s+payer\s+avant\s+le",
        1.0,
    ),
    (DueDate, r"fecha\s+(?:de\s+)?vencimiento|vencimiento", 1.0),
    (
        DueDate,
        r"(?:data\s+(?:di\s+)?)?scadenza(?:\s+pagamento)?",
        1.0,
    ),
    (
        DueDate,
        r"vervaldatum|vervaldag|uiterste\s+betaaldatum|te\s+betalen\s+voor",
        1.0,
    ),
    (
        PoNumber,
        r"(?:purchase\s+)?order\s*(?:no\.?|number|nr\.?|ref(?:erence)?\.?|#)|purchase\s+order|your\s+order|p\.?\s?o\.?\s*(?:no\.?|number|#)|po",
        0.95,
    ),
    (
        PoNumber,
        r"~bestell(?:nummer|nr\.?|ung(?:\s*(?:nr\.?|nummer))?)|ihre\s+bestellung(?:\s*nr\.?)?|auftragsnummer|auftrag\s*nr\.?",
        0.95,
    ),
    (
        PoNumber,
        r"(?:n°\s*(?:de\s+)?)?bon\s+de\s+commande|commande\s*(?:n°|nº|no\.?)|r[ée]f[ée]rence\s+commande",
        0.95,
    ),
    (
        PoNumber,
        r"(?:n[úu]mero\s+de\s+)?pedido(?:\s*n[º°o]\.?)?|orden\s+de\s+compra",
        0.95,
    ),
    (
        PoNumber,
        r"(?:numero\s+)?ordine(?:\s*(?:n\.|nr\.?|n°))?|ordine\s+d['’]acquisto",
        0.95,
    ),
    (
        PoNumber,
        r"bestelnummer|inkoopordernummer|uw\s+bestelling|ordernummer",
        0.95,
    ),
    (
        Currency,
        r"currency|w[äa]hrung|devise|moneda|divisa|valuta|munteenheid",
        1.0,
    ),
    (
        Net,
        r"sub\s*-?\s*total|net\s+(?:amount|total)|total\s+net|total\s+(?:excl\.?|excluding|before|w/o)\s*(?:vat|tax)|amount\s+excl\.?\s*(?:vat|tax)",
        1.0,
    ),
    (
        Net,
        r"nettobetrag|netto\s*summe|summe\s+netto|gesamt\s+netto|zwischensumme|nettosumme|warenwert\s+netto|netto",
        0.95,
    ),
    (
        Net,
        r"~rechnungssumme\s+ohne\s+(?:ust|mwst)\.?|~summe\s+ohne\s+(?:ust|mwst)\.?",
        1.0,
    ),
    (
        Net,
        r"total\s+ht|montant\s+ht|sous-total|total\s+hors\s+taxes?",
        1.0,
    ),
    (Net, r"base\s+imponible|subtotal|importe\s+neto", 1.0),
    (Net, r"(?:totale\s+)?imponibile", 1.0),
    (Net, r"subtotaal|totaal\s+excl\.?\s*btw|netto\s*bedrag", 1.0),
    (
        Tax,
        r"(?:total\s+)?vat(?:\s+amount|\s+total)?|(?:total\s+|sales\s+)?tax(?:\s+amount)?",
        0.9,
    ),
    (
        Tax,
        r"(?:zzgl\.?\s+)?(?:mwst|ust)\.?(?:\s*-?\s*betrag)?|umsatzsteuer(?:betrag)?|mehrwertsteuer|steuerbetrag",
        0.9,
    ),
    (Tax, r"~steuer\s*summe", 0.9),
    (Tax, r"(?:total|montant)\s+(?:de\s+la\s+)?tva|tva", 0.9),
    (
        Tax,
        r"(?:total|cuota|importe|totale|imposta)\s+iva|iva",
        0.9,
    ),
    (Tax, r"(?:totaal\s+)?btw(?:\s*-?\s*bedrag)?", 0.9),
    (
        Total,
        r"grand\s+total|invoice\s+total|total\s+amount|total\s+(?:incl\.?|including)\s*(?:vat|tax)|amount\s+incl\.?\s*(?:vat|tax)|total",
        0.85,
    ),
    (
        Total,
        r"gesamtbetrag|rechnungsbetrag|bruttobetrag|bruttosumme|gesamtsumme|endbetrag|rechnungsendbetrag|summe\s+brutto|gesamt\s+brutto",
        1.0,
    ),
    (Total, r"~rechnungssumme", 1.0),
    (Total, r"total\s+ttc|montant\s+ttc|montant\s+total", 1.0),
    (
        Total,
        r"total\s+(?:de\s+la\s+)?factura|importe\s+total|total\s+factura",
        1.0,
    ),
    (
        Total,
        r"totale(?:\s+fattura|\s+documento)?|importo\s+totale",
        1.0,
    ),
    (
        Total,
        r"totaal(?:bedrag)?(?:\s+incl\.?\s*btw)?|factuurbedrag",
        1.0,
    ),
    (
        AmountDue,
        r"amount\s+due|balance\s+due|total\s+due|amount\s+payable|please\s+pay|amount\s+to\s+pay",
        1.0,
    ),
    (
        AmountDue,
        r"zahlbetrag|zu\s+zahlen(?:der\s+betrag)?|offener\s+betrag|zahlungsbetrag|restbetrag",
        1.0,
    ),
    (
        AmountDue,
        r"net\s+[àa]\s+payer|montant\s+[àa]\s+payer|reste\s+[àa]\s+payer|total\s+[àa]\s+payer",
        1.0,
    ),
    (
        AmountDue,
        r"importe\s+a\s+pagar|total\s+a\s+pagar|l[ií]quido\s+a\s+pagar",
        1.0,
    ),
    (
        AmountDue,
        r"totale\s+da\s+pagare|importo\s+da\s+pagare|netto\s+a\s+pagare",
        1.0,
    ),
    (AmountDue, r"(?:totaal\s+)?te\s+betalen(?:\s+bedrag)?", 1.0),
    (
        VatId,
        r"vat\s*(?:reg(?:istration)?\.?\s*)?(?:no\.?|number|id|#)|tax\s+id|vat\s+registration",
        1.0,
    ),
    (
        VatId,
        r"ust\.?\s*-?\s*id\.?\s*-?\s*(?:nr\.?)?|ust-?idnr\.?|umsatzsteuer-?\s*id(?:entifikationsnummer)?|uid(?:-?nr\.?)?",
        1.0,
    ),
    (
        VatId,
        r"(?:n°|nº|no\.?|num[ée]ro\s+(?:de\s+)?)\s*(?:de\s+)?tva(?:\s+intra(?:communautaire)?)?|tva\s+intra(?:communautaire)?|identifiant\s+tva",
        1.0,
    ),
    (
        VatId,
        r"nif(?:\s*/\s*cif)?|cif(?:\s*/\s*nif)?|n\.i\.f\.|c\.i\.f\.|n[úu]m(?:ero|\.)\s+iva",
        1.0,
    ),
    (VatId, r"p\.?\s?iva|partita\s+iva|codice\s+fiscale", 1.0),
    (
        VatId,
        r"btw\s*-?\s*(?:nr\.?|nummer|id(?:entificatienummer)?)|btw-?nummer",
        1.0,
    ),
    (Seller, r"seller|supplier|vendor|sold\s+by|bill\s+from", 1.0),
    (
        Seller,
        r"verk[äa]ufer|lieferant|rechnungssteller|leistungserbringer",
        1.0,
    ),
    (Seller, r"fournisseur|vendeur|[ée]metteur", 1.0),
    (Seller, r"emisor|proveedor|vendedor", 1.0),
    (
        Seller,
        r"fornitore|cedente(?:\s+prestatore)?|venditore",
        1.0,
    ),
    (Seller, r"leverancier|verkoper", 1.0),
    (
        Other,
        r"montant\s+d[ée]j[àa]\s+pay[ée]|already\s+paid|erhaltene\s+anzahlungen?|acompte|gesamtbetrag\s+der\s+(?:zuschl[äa]ge|abschl[äa]ge)|total\s+(?:qty|quantity|weight)|payment\s+terms|zahlungsbedingungen",
        1.0,
    ),
];

/// A label occurrence; `start`/`end` are byte offsets within its line.
#[derive(Debug, Clone, Copy)]
pub struct LabelHit {
    pub kind: Kind,
    pub line: usize,
    pub start: usize,
    pub end: usize,
    pub weight: f32,
}

struct Compiled {
    set: RegexSet,
    each: Vec<(Kind, Regex, bool, f32)>,
}

static COMPILED: LazyLock<Compiled> = LazyLock::new(|| {
    let bodies: Vec<String> = LABELS
        .iter()
        // Words of one label sit close together; wider gaps separate layout columns.
        .map(|(_, p, _)| {
            format!(
                "(?i)(?:{})",
                p.trim_start_matches('~')
                    .replace(r"\s+", " {1,2}")
                    .replace(r"\s*", " ?")
            )
        })
        .collect();
    Compiled {
        set: RegexSet::new(&bodies).expect("label set compiles"),
        each: LABELS
            .iter()
            .zip(&bodies)
            .map(|((k, p, w), body)| {
                (
                    *k,
                    Regex::new(body).expect("label compiles"),
                    p.starts_with('~'),
                    *w,
                )
            })
            .collect(),
    }
});

// A label that refers to another document is not this invoice's field.
static DISQUALIFIER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*(?:associ|d['’]origine|original|pr[ée]c[ée]dente|corrig|référence|related|ursprüngl|bezug)")
        .expect("disqualifier compiles")
});

/// Finds labels in every line; overlapping matches keep the longest.
pub fn find_labels(lines: &[&str]) -> Vec<LabelHit> {
    let compiled = &*COMPILED;
    let mut hits = Vec::new();
    for (idx, line) in lines.iter().enumerate() {
        let mut found: Vec<LabelHit> = Vec::new();
        for pat in compiled.set.matches(line) {
            let (kind, re, inside_word, weight) = &compiled.each[pat];
            let mut pos = 0;
            // A match rejected for its boundaries is retried one character later, so a
            // shorter label inside it (e.g. "VAT" after "SUBTOTAL   ") is still found.
            while let Some(m) = re.find_at(line, pos) {
                let before = line[..m.start()].chars().next_back();
                let mut after_chars = line[m.end()..].chars();
                let after = after_chars.next();
                let last = m.as_str().chars().next_back();
                let starts_ok = *inside_word || !before.is_some_and(char::is_alphanumeric);
                let word_end = last.is_some_and(char::is_alphanumeric);
                let glued = word_end
                    && after == Some('-')
                    && after_chars.next().is_some_and(char::is_alphanumeric);
                let ends_ok = !(glued || word_end && after.is_some_and(char::is_alphanumeric));
                if starts_ok && ends_ok {
                    found.push(LabelHit {
                        kind: *kind,
                        line: idx,
                        start: m.start(),
                        end: m.end(),
                        weight: *weight,
                    });
                    pos = m.end();
                } else {
                    pos = m.start() + line[m.start()..].chars().next().map_or(1, char::len_utf8);
                }
                if pos >= line.len() {
                    break;
                }
            }
        }
        found.sort_by(|a, b| {
            (b.end - b.start)
                .cmp(&(a.end - a.start))
                .then(b.weight.total_cmp(&a.weight))
        });
        let mut kept: Vec<LabelHit> = Vec::new();
        for hit in found {
            if kept
                .iter()
                .all(|k| hit.end <= k.start || k.end <= hit.start)
            {
                kept.push(hit);
            }
        }
        // Disqualified labels are dropped only now so they still shadow shorter generic ones.
        kept.retain(|h| !DISQUALIFIER.is_match(&line[h.end..]));
        kept.sort_by_key(|h| h.start);
        hits.extend(kept);
    }
    hits
}
