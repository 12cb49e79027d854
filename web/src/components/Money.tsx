import { formatMoney } from '../lib/money';

/** An amount in its currency; `unitPrice` keeps digits beyond the minor unit (0.0052 EUR). */
export function Money({
  amount,
  currency,
  unitPrice = false,
}: {
  amount: string | null | undefined;
  currency: string | null | undefined;
  unitPrice?: boolean;
}) {
  return <span className="money">{formatMoney(amount, currency, undefined, { keepPrecision: unitPrice })}</span>;
}
