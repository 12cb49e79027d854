// The story of issue 16, one user at a time, in order. Each step lives in e2e/steps/ and
// hands on what later steps need through `story`; a new step is one import and one line.
import { test } from './fixtures';
import { clerkUploads } from './steps/clerk-uploads';
import { analystResolves } from './steps/analyst-resolves';
import { approverApproves } from './steps/approver-approves';
import { adminPays } from './steps/admin-pays';

test.describe.serial('invoice to payment', () => {
  test('a clerk uploads an e-invoice and a PDF', clerkUploads);
  test('an analyst resolves an exception', analystResolves);
  test('an approver approves ACME-1002 from the inbox with the keyboard', approverApproves);
  test('an admin records the payment; a double click pays once', adminPays);
});
