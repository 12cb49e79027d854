// Money is shown from the API's decimal strings without ever passing through a float:
// the string is rounded to the currency's minor digits with BigInt arithmetic and handed to
// Intl.NumberFormat as a string, which formats decimal strings exactly (ECMA-402 2023).

const DECIMAL = /^([+-])?(\d+)(?:\.(\d*))?$/;

const formatters = new Map<string, Intl.NumberFormat>();

function currencyFormatter(locale: string | undefined, currency: string): Intl.NumberFormat | null {
  const key = `${locale ?? ''}|${currency}`;
  let f = formatters.get(key);
  if (!f) {
    try {
      f = new Intl.NumberFormat(locale, { style: 'currency', currency });
    } catch {
      return null;
    }
    formatters.set(key, f);
  }
  return f;
}

/** The number of minor digits the currency uses (USD 2, JPY 0, BHD 3). */
export function minorDigits(currency: string): number {
  return currencyFormatter('en', currency)?.resolvedOptions().maximumFractionDigits ?? 2;
}

/**
 * Rounds a decimal string to `digits` fraction digits, half away from zero, exactly.
 * Returns null for anything that is not a plain decimal.
 */
export function roundDecimal(value: string, digits: number): string | null {
  const m = DECIMAL.exec(value.trim());
  if (!m) return null;
  const negative = m[1] === '-';
  const int = m[2] ?? '0';
  const frac = m[3] ?? '';
  const scaled = BigInt(int + frac.padEnd(digits, '0').slice(0, digits));
  const rest = frac.slice(digits);
  const roundUp = rest.length > 0 && rest.charCodeAt(0) >= 53; /* '5' */
  const units = scaled + (roundUp ? 1n : 0n);
  let text = units.toString().padStart(digits + 1, '0');
  if (digits > 0) text = `${text.slice(0, -digits)}.${text.slice(-digits)}`;
  return negative && units !== 0n ? `-${text}` : text;
}

/**
 * Formats a decimal amount string in its currency, e.g. ("1234.5", "USD") → "$1,234.50".
 * An unknown currency or an unparsable amount falls back to the plain text.
 */
export function formatMoney(
  amount: string | null | undefined,
  currency: string | null | undefined,
  locale?: string,
  options: { keepPrecision?: boolean } = {},
): string {
  if (amount == null || amount === '') return '—';
  if (!currency) return amount;
  let f = currencyFormatter(locale, currency.toUpperCase());
  if (!f) return `${amount} ${currency}`;
  let digits = f.resolvedOptions().maximumFractionDigits ?? 2;
  // Unit prices may carry more digits than the currency's minor unit (0.0052 EUR per kWh):
  // keep them all rather than round a price.
  const given = (DECIMAL.exec(amount.trim())?.[3] ?? '').replace(/0+$/, '').length;
  if (options.keepPrecision && given > digits) {
    digits = Math.min(given, 20);
    f = new Intl.NumberFormat(locale, { style: 'currency', currency: currency.toUpperCase(), minimumFractionDigits: digits, maximumFractionDigits: digits });
  }
  const rounded = roundDecimal(amount, digits);
  if (rounded === null) return `${amount} ${currency}`;
  return f.format(rounded as `${number}`);
}
