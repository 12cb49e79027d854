import type { APIRequestContext, Page } from '@playwright/test';

/** One step of the story: a user does one thing in the browser. */
export type Step = (args: { page: Page; request: APIRequestContext }) => Promise<void>;

/** What the steps hand on to later ones (one worker runs the story in order). */
export const story: { einvoiceId?: string; pdfId?: string; approvedId?: string } = {};
