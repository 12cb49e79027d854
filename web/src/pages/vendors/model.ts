import type { components } from '../../api/schema';
import type { PersonRef } from '../exceptions/model';

type BankGenerated = components['schemas']['BankAccountOut'];

/** Bank details as the API shows them (last four characters only), with the people named when sent. */
export type BankAccount = BankGenerated & { entered_by?: PersonRef | null; verifier?: PersonRef | null };
export type Vendor = Omit<components['schemas']['VendorOut'], 'bank_account'> & { bank_account?: BankAccount | null };
export type VendorIn = components['schemas']['VendorIn'];
export type VendorPatch = components['schemas']['VendorPatch'];
export type BankAccountIn = components['schemas']['BankAccountIn'];

export function person(p: PersonRef | null | undefined, id: string | null | undefined, me: string): string {
  if (id && id === me) return 'you';
  if (p) return p.name || p.email || 'another user';
  return id ? 'another user' : 'unknown';
}
