import { describe, expect, it } from 'vitest';
import { codeWords, matchesSla, slaState, type ExceptionItem } from './model';

const now = Date.parse('2026-12-07T12:00:00Z');
const exc = (due_at: string | null, status: ExceptionItem['status'] = 'open') => ({ due_at, status }) as ExceptionItem;

describe('exception queue helpers', () => {
  it('places an exception against its SLA', () => {
    expect(slaState(exc('2026-12-07T11:00:00Z'), now)).toBe('overdue');
    expect(slaState(exc('2026-12-08T06:00:00Z'), now)).toBe('day');
    expect(slaState(exc('2026-12-10T06:00:00Z'), now)).toBe('later');
    // Closed exceptions and those without an SLA are never overdue.
    expect(slaState(exc('2026-12-07T11:00:00Z', 'resolved'), now)).toBe('none');
    expect(slaState(exc(null), now)).toBe('none');
  });

  it('filters by SLA: overdue only, or due within a day including overdue', () => {
    const late = exc('2026-12-07T11:00:00Z');
    const soon = exc('2026-12-08T06:00:00Z');
    const later = exc('2026-12-10T06:00:00Z');
    expect([late, soon, later].filter((e) => matchesSla(e, 'overdue', now))).toEqual([late]);
    expect([late, soon, later].filter((e) => matchesSla(e, 'day', now))).toEqual([late, soon]);
    expect([late, soon, later].filter((e) => matchesSla(e, '', now))).toHaveLength(3);
  });

  it('says codes in words, unknown ones too', () => {
    expect(codeWords('GRN_NOT_FOUND')).toBe('Goods not received');
    expect(codeWords('SOMETHING_NEW')).toBe('Something new');
  });
});
