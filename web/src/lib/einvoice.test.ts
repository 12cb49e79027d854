import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { summarizeEInvoice } from './einvoice';

const corpus = join(__dirname, '../../../../shared/corpus/einvoice');

describe('e-invoice summary', () => {
  it('reads a UBL invoice', () => {
    const s = summarizeEInvoice(readFileSync(join(corpus, 'ubl/ubl-tc434-example2.xml'), 'utf8'));
    expect(s?.syntax).toBe('UBL');
    expect(s?.number).toBe('TOSL108');
    expect(s?.currency).toBe('NOK');
    expect(s?.lines.length).toBeGreaterThan(0);
    expect(s?.payable).toMatch(/^\d+(\.\d+)?$/);
  });

  it('reads a CII invoice', () => {
    const s = summarizeEInvoice(readFileSync(join(corpus, 'cii/CII_example2.xml'), 'utf8'));
    expect(s?.syntax).toBe('CII');
    expect(s?.number).toBeTruthy();
    expect(s?.issueDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(s?.seller).toBeTruthy();
    expect(s?.lines.length).toBeGreaterThan(0);
  });

  it('refuses what is not XML', () => {
    expect(summarizeEInvoice('<Invoice><oops')).toBeNull();
  });
});
