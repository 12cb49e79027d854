import type { components } from '../../api/schema';

export type PurchaseOrder = components['schemas']['PurchaseOrderOut'] & { vendor?: { id: string; name: string } | null };
export type GoodsReceipt = components['schemas']['GoodsReceiptOut'] & { received_on?: string | null };

export const PO_STATUS_WORDS: Record<components['schemas']['PurchaseOrderStatus'], string> = {
  open: 'Open',
  closed: 'Closed',
  cancelled: 'Cancelled',
};

export function matchTypeWords(t: string): string {
  return t === '2way' ? '2-way' : t === '3way' ? '3-way' : t;
}

const DEC = /^(-)?(\d+)(?:\.(\d+))?$/;

/** a − b for decimal strings, exactly (BigInt); null when either is not a decimal. */
export function subtractDecimal(a: string, b: string): string | null {
  const ma = DEC.exec(a.trim());
  const mb = DEC.exec(b.trim());
  if (!ma || !mb) return null;
  const scale = Math.max(ma[3]?.length ?? 0, mb[3]?.length ?? 0);
  const units = (m: RegExpExecArray) => {
    const v = BigInt((m[2] ?? '0') + (m[3] ?? '').padEnd(scale, '0'));
    return m[1] ? -v : v;
  };
  const d = units(ma) - units(mb);
  const neg = d < 0n;
  let s = (neg ? -d : d).toString().padStart(scale + 1, '0');
  if (scale) s = `${s.slice(0, -scale)}.${s.slice(-scale)}`.replace(/\.?0+$/, '');
  return (neg ? '-' : '') + s;
}

/** True for a decimal string above zero. */
export function isPositiveDecimal(s: string | null): boolean {
  return s !== null && !s.startsWith('-') && /[1-9]/.test(s);
}
