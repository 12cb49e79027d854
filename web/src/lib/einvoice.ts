// A readable summary of a UBL or CII e-invoice, read namespace-agnostically with DOMParser.

export interface EInvoiceSummary {
  syntax: 'UBL' | 'CII' | 'XML';
  number: string | null;
  issueDate: string | null;
  dueDate: string | null;
  currency: string | null;
  seller: string | null;
  buyer: string | null;
  orderReference: string | null;
  taxExclusive: string | null;
  tax: string | null;
  payable: string | null;
  lines: { id: string | null; name: string | null; quantity: string | null; unit: string | null; amount: string | null }[];
}

function all(root: Element | Document, local: string): Element[] {
  return Array.from(root.getElementsByTagNameNS('*', local));
}
function first(root: Element | Document | null | undefined, ...path: string[]): Element | null {
  let cur: Element | Document | null | undefined = root;
  for (const p of path) {
    if (!cur) return null;
    cur = all(cur, p)[0] ?? null;
  }
  return (cur as Element | null) ?? null;
}
function text(el: Element | null): string | null {
  const t = el?.textContent?.trim();
  return t ? t : null;
}
/** CII dates are `YYYYMMDD` (format 102). */
function ciiDate(s: string | null): string | null {
  return s && /^\d{8}$/.test(s) ? `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6)}` : s;
}

export function summarizeEInvoice(xml: string): EInvoiceSummary | null {
  const doc = new DOMParser().parseFromString(xml, 'application/xml');
  if (doc.getElementsByTagName('parsererror').length > 0) return null;
  const root = doc.documentElement;
  const name = root.localName;
  if (name === 'Invoice' || name === 'CreditNote') {
    const children = (local: string) => Array.from(root.children).find((c) => c.localName === local) ?? null;
    const totals = first(doc, 'LegalMonetaryTotal');
    return {
      syntax: 'UBL',
      number: text(children('ID')),
      issueDate: text(children('IssueDate')),
      dueDate: text(children('DueDate')) ?? text(first(doc, 'PaymentMeans', 'PaymentDueDate')),
      currency: text(children('DocumentCurrencyCode')),
      seller:
        text(first(first(doc, 'AccountingSupplierParty'), 'RegistrationName')) ??
        text(first(first(doc, 'AccountingSupplierParty'), 'PartyName', 'Name')),
      buyer:
        text(first(first(doc, 'AccountingCustomerParty'), 'RegistrationName')) ??
        text(first(first(doc, 'AccountingCustomerParty'), 'PartyName', 'Name')),
      orderReference: text(first(first(doc, 'OrderReference'), 'ID')),
      taxExclusive: text(first(totals, 'TaxExclusiveAmount')),
      tax: text(first(first(doc, 'TaxTotal'), 'TaxAmount')),
      payable: text(first(totals, 'PayableAmount')),
      lines: [...all(doc, 'InvoiceLine'), ...all(doc, 'CreditNoteLine')].map((l) => {
        const qty = Array.from(l.children).find((c) => c.localName === 'InvoicedQuantity' || c.localName === 'CreditedQuantity') ?? null;
        return {
          id: text(Array.from(l.children).find((c) => c.localName === 'ID') ?? null),
          name: text(first(l, 'Item', 'Name')),
          quantity: text(qty),
          unit: qty?.getAttribute('unitCode') ?? null,
          amount: text(Array.from(l.children).find((c) => c.localName === 'LineExtensionAmount') ?? null),
        };
      }),
    };
  }
  if (name === 'CrossIndustryInvoice' || name === 'CrossIndustryDocument') {
    const settlement = first(doc, 'ApplicableHeaderTradeSettlement') ?? first(doc, 'ApplicableSupplyChainTradeSettlement');
    const summation =
      first(settlement, 'SpecifiedTradeSettlementHeaderMonetarySummation') ??
      first(settlement, 'SpecifiedTradeSettlementMonetarySummation');
    return {
      syntax: 'CII',
      number: text(first(first(doc, 'ExchangedDocument') ?? first(doc, 'HeaderExchangedDocument'), 'ID')),
      issueDate: ciiDate(text(first(first(doc, 'ExchangedDocument') ?? first(doc, 'HeaderExchangedDocument'), 'IssueDateTime'))),
      dueDate: ciiDate(text(first(first(doc, 'SpecifiedTradePaymentTerms'), 'DueDateDateTime'))),
      currency: text(first(settlement, 'InvoiceCurrencyCode')),
      seller: text(first(first(doc, 'SellerTradeParty'), 'Name')),
      buyer: text(first(first(doc, 'BuyerTradeParty'), 'Name')),
      orderReference: text(first(first(doc, 'BuyerOrderReferencedDocument'), 'IssuerAssignedID')),
      taxExclusive: text(first(summation, 'TaxBasisTotalAmount')),
      tax: text(first(summation, 'TaxTotalAmount')),
      payable: text(first(summation, 'DuePayableAmount')) ?? text(first(summation, 'GrandTotalAmount')),
      lines: all(doc, 'IncludedSupplyChainTradeLineItem').map((l) => {
        const qty = first(l, 'BilledQuantity');
        return {
          id: text(first(first(l, 'AssociatedDocumentLineDocument'), 'LineID')),
          name: text(first(first(l, 'SpecifiedTradeProduct'), 'Name')),
          quantity: text(qty),
          unit: qty?.getAttribute('unitCode') ?? null,
          amount: text(first(l, 'LineTotalAmount')),
        };
      }),
    };
  }
  return {
    syntax: 'XML',
    number: null,
    issueDate: null,
    dueDate: null,
    currency: null,
    seller: null,
    buyer: null,
    orderReference: null,
    taxExclusive: null,
    tax: null,
    payable: null,
    lines: [],
  };
}
