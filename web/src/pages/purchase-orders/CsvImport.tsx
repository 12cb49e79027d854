import { useId, useRef, useState, type FormEvent } from 'react';
import type { components } from '../../api/schema';
import { authFetch } from '../../api/client';
import { errorFromResponse } from '../../api/errors';
import { ErrorMessage } from '../../components/ErrorMessage';

export type ImportReport = components['schemas']['ImportReportOut'];
export type ImportKind = 'purchase-orders' | 'goods-receipts';
export type ImportFn = (kind: ImportKind, file: File) => Promise<ImportReport>;

const KINDS: { value: ImportKind; label: string; columns: string }[] = [
  {
    value: 'purchase-orders',
    label: 'Purchase orders',
    columns:
      'po_number, vendor (id, tax id or name), currency, status, order_date, line_number, description, quantity, unit_price, unit, gl_account, cost_centre — one row per line',
  },
  {
    value: 'goods-receipts',
    label: 'Goods receipts',
    columns: 'receipt_number, po_number, received_on, po_line_number, quantity — one row per line',
  },
];

/** POST /api/v1/import/{kind} with the file as the raw text/csv body. */
export const importCsv: ImportFn = async (kind, file) => {
  const res = await authFetch(`/api/v1/import/${kind}`, {
    method: 'POST',
    headers: { 'Content-Type': 'text/csv' },
    body: file,
  });
  if (!res.ok) throw await errorFromResponse(res);
  return (await res.json()) as ImportReport;
};

/** CSV import of purchase orders or goods receipts; the report lists each refused row. */
export function CsvImport({ run = importCsv, onImported }: { run?: ImportFn; onImported?: (r: ImportReport) => void }) {
  const [kind, setKind] = useState<ImportKind>('purchase-orders');
  const [file, setFile] = useState<File | null>(null);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [report, setReport] = useState<{ kind: ImportKind; name: string; r: ImportReport } | null>(null);
  const inputRef = useRef<HTMLInputElement>(null);
  const hintId = useId();
  const current = KINDS.find((k) => k.value === kind) ?? KINDS[0];

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!file || pending) return;
    setPending(true);
    setError(null);
    setReport(null);
    try {
      const r = await run(kind, file);
      setReport({ kind, name: file.name, r });
      onImported?.(r);
    } catch (err) {
      setError(err);
    } finally {
      setPending(false);
    }
  }

  return (
    <section className="card" aria-labelledby="csv-import-h">
      <h2 id="csv-import-h">Import from CSV</h2>
      <form className="form" onSubmit={(e) => void submit(e)}>
        <div className="row">
          <label className="field inline">
            <span>Import</span>
            <select value={kind} onChange={(e) => setKind(e.target.value as ImportKind)}>
              {KINDS.map((k) => (
                <option key={k.value} value={k.value}>
                  {k.label}
                </option>
              ))}
            </select>
          </label>
          <label className="field inline">
            <span>CSV file</span>
            <input
              ref={inputRef}
              type="file"
              accept=".csv,text/csv"
              aria-describedby={hintId}
              onChange={(e) => setFile(e.target.files?.[0] ?? null)}
            />
          </label>
          <button type="submit" className="button primary" disabled={!file || pending} aria-busy={pending}>
            {pending ? 'Importing…' : 'Import'}
          </button>
        </div>
        <p id={hintId} className="muted small">
          Columns (with a header row): {current?.columns}. Rows already imported are left unchanged.
        </p>
      </form>
      {error ? <ErrorMessage error={error} title="The file was not imported" /> : null}
      {report ? <ImportResult name={report.name} kind={report.kind} report={report.r} /> : null}
    </section>
  );
}

function ImportResult({ name, kind, report: r }: { name: string; kind: ImportKind; report: ImportReport }) {
  const what = kind === 'purchase-orders' ? 'purchase order' : 'goods receipt';
  return (
    <div role="status" aria-live="polite">
      <p className={r.failed > 0 ? 'notice warn' : 'notice'}>
        {name}: {r.rows} {r.rows === 1 ? 'row' : 'rows'} read — {r.created} {what}
        {r.created === 1 ? '' : 's'} created, {r.updated} updated, {r.unchanged} unchanged
        {r.failed > 0 ? `, ${r.failed} ${r.failed === 1 ? 'row' : 'rows'} refused` : ''}.
      </p>
      {r.errors.length > 0 ? (
        <table className="table compact">
          <caption>Rows refused (row 1 is the first row after the header)</caption>
          <thead>
            <tr>
              <th scope="col" className="num">
                Row
              </th>
              <th scope="col">Column</th>
              <th scope="col">Problem</th>
            </tr>
          </thead>
          <tbody>
            {r.errors.map((e, i) => (
              <tr key={`${e.row}-${e.field}-${i}`}>
                <td className="num">{e.row}</td>
                <td>{e.field ? <code>{e.field}</code> : '—'}</td>
                <td>{e.message}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}
