import { describe, expect, it } from 'vitest';
import { formatMoney, minorDigits, roundDecimal } from './money';

// Intl inserts narrow/no-break spaces in some locales; compare with plain spaces.
const plain = (s: string) => s.replace(/[\u00a0\u202f]/g, ' ');

describe('formatMoney', () => {
  it('formats USD with two minor digits', () => {
    expect(formatMoney('1234.5', 'USD', 'en-US')).toBe('$1,234.50');
    expect(formatMoney('0.1', 'USD', 'en-US')).toBe('$0.10');
    expect(formatMoney('7400.00', 'USD', 'en-US')).toBe('$7,400.00');
  });

  it('formats JPY with no minor digits', () => {
    expect(minorDigits('JPY')).toBe(0);
    expect(formatMoney('1234', 'JPY', 'en-US')).toBe('¥1,234');
    expect(formatMoney('1234.5', 'JPY', 'en-US')).toBe('¥1,235');
  });

  it('formats BHD with three minor digits', () => {
    expect(minorDigits('BHD')).toBe(3);
    expect(plain(formatMoney('1234.5678', 'BHD', 'en-US'))).toBe('BHD 1,234.568');
    expect(plain(formatMoney('0.005', 'BHD', 'en-US'))).toBe('BHD 0.005');
  });

  it('formats negative amounts', () => {
    expect(formatMoney('-42.10', 'USD', 'en-US')).toBe('-$42.10');
    expect(formatMoney('-0.004', 'USD', 'en-US')).toBe('$0.00');
    expect(plain(formatMoney('-1500', 'EUR', 'de-DE'))).toBe('-1.500,00 €');
  });

  it('formats large amounts exactly, without float rounding', () => {
    // 2^53 + 1 and 17 significant digits: a float would print ...992 / ...888.
    expect(formatMoney('9007199254740993.00', 'USD', 'en-US')).toBe('$9,007,199,254,740,993.00');
    expect(formatMoney('12345678901234567.89', 'USD', 'en-US')).toBe('$12,345,678,901,234,567.89');
    expect(formatMoney('0.145', 'USD', 'en-US')).toBe('$0.15'); // 0.145 is 0.14499… as a float
    expect(formatMoney('1.005', 'USD', 'en-US')).toBe('$1.01');
  });

  it('uses the invoice currency and the locale separators', () => {
    expect(plain(formatMoney('1234.56', 'EUR', 'de-DE'))).toBe('1.234,56 €');
    expect(formatMoney('1234.56', 'GBP', 'en-GB')).toBe('£1,234.56');
  });

  it('keeps a unit price\'s extra digits when asked, never rounding a price', () => {
    expect(formatMoney('0.0052', 'EUR', 'en-US', { keepPrecision: true })).toBe('€0.0052');
    expect(formatMoney('0.0052', 'EUR', 'en-US')).toBe('€0.01');
    expect(formatMoney('74.00', 'USD', 'en-US', { keepPrecision: true })).toBe('$74.00');
    expect(formatMoney('74.5000', 'USD', 'en-US', { keepPrecision: true })).toBe('$74.50');
    expect(formatMoney('120', 'JPY', 'en-US', { keepPrecision: true })).toBe('¥120');
  });

  it('falls back to the text for what it cannot format', () => {
    expect(formatMoney(null, 'USD')).toBe('—');
    expect(formatMoney('12.00', null)).toBe('12.00');
    expect(formatMoney('abc', 'USD')).toBe('abc USD');
    expect(formatMoney('12.00', 'NOT-A-CURRENCY')).toBe('12.00 NOT-A-CURRENCY');
  });
});

describe('roundDecimal', () => {
  it('rounds half away from zero at the given scale', () => {
    expect(roundDecimal('2.5', 0)).toBe('3');
    expect(roundDecimal('-2.5', 0)).toBe('-3');
    expect(roundDecimal('2.449', 1)).toBe('2.4');
    expect(roundDecimal('99.995', 2)).toBe('100.00');
    expect(roundDecimal('7', 3)).toBe('7.000');
    expect(roundDecimal('1e5', 2)).toBeNull();
  });
});
