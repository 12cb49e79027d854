import { describe, expect, it } from 'vitest';
import { isPositiveDecimal, subtractDecimal } from './model';
import { lineTotal } from './PoForm';

describe('quantities and line totals are exact', () => {
  it('subtracts received from ordered without floats', () => {
    expect(subtractDecimal('200', '200')).toBe('0');
    expect(subtractDecimal('20', '5.0000')).toBe('15');
    expect(subtractDecimal('0.3', '0.1')).toBe('0.2'); // 0.3 - 0.1 in floats is 0.19999999999999998
    expect(subtractDecimal('1', '1.5')).toBe('-0.5');
    expect(subtractDecimal('lots', '1')).toBeNull();
  });

  it('tells what is still open', () => {
    expect(isPositiveDecimal(subtractDecimal('40', '0'))).toBe(true);
    expect(isPositiveDecimal(subtractDecimal('40', '40.000'))).toBe(false);
    expect(isPositiveDecimal(subtractDecimal('40', '41'))).toBe(false);
    expect(isPositiveDecimal(null)).toBe(false);
  });

  it('multiplies quantity by unit price exactly', () => {
    expect(lineTotal('20', '12.35')).toBe('247.00');
    expect(lineTotal('3', '0.1')).toBe('0.3'); // 3 × 0.1 in floats is 0.30000000000000004
    expect(lineTotal('1.5', '74.50')).toBe('111.750');
    expect(lineTotal('', '1')).toBeNull();
    expect(lineTotal('1e3', '1')).toBeNull();
  });
});
