import { useEffect, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { authFetch } from '../api/client';
import { errorFromResponse } from '../api/errors';
import { summarizeEInvoice } from '../lib/einvoice';
import { formatDate } from '../lib/format';
import { formatMoney } from '../lib/money';
import { QueryState } from './States';

interface Doc {
  id: string;
  filename: string;
  content_type: string;
}

function isXml(doc: Doc): boolean {
  return /xml/i.test(doc.content_type) || /\.xml$/i.test(doc.filename);
}

/**
 * The original document, fetched with the access token: a PDF or image shown from an object
 * URL, an e-invoice XML as a readable summary with a "View XML" toggle.
 */
export function DocumentViewer({ invoiceId, document: doc }: { invoiceId: string; document: Doc }) {
  const q = useQuery({
    queryKey: ['invoice-document', invoiceId, doc.id],
    queryFn: async () => {
      const res = await authFetch(`/api/v1/invoices/${invoiceId}/document`);
      if (!res.ok) throw await errorFromResponse(res);
      const blob = await res.blob();
      return { blob, type: res.headers.get('content-type') ?? doc.content_type };
    },
    staleTime: Infinity,
  });
  return (
    <section className="document" aria-label={`Document ${doc.filename}`}>
      <QueryState isPending={q.isPending} error={q.error} loadingLabel="Loading the document…">
        {q.data ? <DocumentBody doc={doc} blob={q.data.blob} type={q.data.type} /> : null}
      </QueryState>
    </section>
  );
}

function DocumentBody({ doc, blob, type }: { doc: Doc; blob: Blob; type: string }) {
  const xml = isXml(doc) || /xml/i.test(type);
  const [url, setUrl] = useState<string | null>(null);
  const [text, setText] = useState<string | null>(null);
  useEffect(() => {
    if (xml) {
      let alive = true;
      void blob.text().then((t) => alive && setText(t));
      return () => {
        alive = false;
      };
    }
    const typed = blob.type ? blob : new Blob([blob], { type });
    const u = URL.createObjectURL(typed);
    setUrl(u);
    return () => URL.revokeObjectURL(u);
  }, [blob, type, xml]);

  if (xml) return text === null ? null : <XmlDocument xml={text} filename={doc.filename} />;
  if (!url) return null;
  if (/^image\//.test(type)) return <img className="document-image" src={url} alt={`Scanned invoice ${doc.filename}`} />;
  return (
    <>
      <iframe className="document-frame" src={url} title={`Invoice document ${doc.filename}`} />
      <p className="small">
        <a href={url} download={doc.filename}>
          Download {doc.filename}
        </a>
      </p>
    </>
  );
}

function XmlDocument({ xml, filename }: { xml: string; filename: string }) {
  const [raw, setRaw] = useState(false);
  const s = summarizeEInvoice(xml);
  const money = (v: string | null) => (v ? formatMoney(v, s?.currency) : '—');
  return (
    <div className="xml-doc">
      <div className="row spread">
        <h3 className="h3">E-invoice{s && s.syntax !== 'XML' ? ` (${s.syntax})` : ''}: {filename}</h3>
        <button type="button" className="button small" aria-pressed={raw} onClick={() => setRaw((r) => !r)}>
          {raw ? 'View summary' : 'View XML'}
        </button>
      </div>
      {raw || !s ? (
        <pre className="xml-raw" tabIndex={0} aria-label="E-invoice XML">
          {xml}
        </pre>
      ) : (
        <>
          <dl className="kv">
            <dt>Number</dt>
            <dd>{s.number ?? '—'}</dd>
            <dt>Seller</dt>
            <dd>{s.seller ?? '—'}</dd>
            <dt>Buyer</dt>
            <dd>{s.buyer ?? '—'}</dd>
            <dt>Issued</dt>
            <dd>{formatDate(s.issueDate)}</dd>
            <dt>Due</dt>
            <dd>{formatDate(s.dueDate)}</dd>
            <dt>Order reference</dt>
            <dd>{s.orderReference ?? '—'}</dd>
            <dt>Net</dt>
            <dd>{money(s.taxExclusive)}</dd>
            <dt>Tax</dt>
            <dd>{money(s.tax)}</dd>
            <dt>Payable</dt>
            <dd>{money(s.payable)}</dd>
          </dl>
          {s.lines.length > 0 ? (
            <table className="table compact">
              <caption className="visually-hidden">Lines as written in the e-invoice</caption>
              <thead>
                <tr>
                  <th scope="col">#</th>
                  <th scope="col">Item</th>
                  <th scope="col" className="num">
                    Quantity
                  </th>
                  <th scope="col" className="num">
                    Amount
                  </th>
                </tr>
              </thead>
              <tbody>
                {s.lines.map((l, i) => (
                  <tr key={i}>
                    <td>{l.id ?? i + 1}</td>
                    <td>{l.name ?? '—'}</td>
                    <td className="num">
                      {l.quantity ?? '—'} {l.unit ?? ''}
                    </td>
                    <td className="num">{money(l.amount)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
        </>
      )}
    </div>
  );
}
