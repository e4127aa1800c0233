/** The payout's timeline (db/payouts/queries.ts `timelineOf`): the events stored and the moments the payout's cards and columns hold. */
import type { Payout } from '../../db/payouts/entities';
import { timelineOf, type TimelineEntry } from '../../db/payouts/queries';

const at = (s: number) => new Date(Date.UTC(2026, 11, 1, 8, 0, s));

function payout(columns: Partial<Payout>): Payout {
  return { id: 'p-1', sellerId: 'seller-1', buyerId: 'buyer-1', initiatedBy: 'sub-1', createdAt: at(0), confirmedAt: null, paidAt: null, ...columns } as Payout;
}

const shown = (timeline: TimelineEntry[]) => timeline.map((e) => [e.type, e.at.getUTCSeconds(), e.actor]);

describe('timelineOf', () => {
  test('a paid payout: INITIATED by its initiator, CONFIRMED by its buyer and PAID from its columns, between the events stored', () => {
    const stored: TimelineEntry[] = [{ type: 'NOTIFIED', at: at(1), actor: null }, { type: 'REMINDED', at: at(5), actor: null }];
    expect(shown(timelineOf(payout({ confirmedAt: at(7), paidAt: at(8) }), stored))).toEqual([
      ['INITIATED', 0, 'sub-1'], ['NOTIFIED', 1, null], ['REMINDED', 5, null], ['CONFIRMED', 7, 'buyer-1'], ['PAID', 8, null],
    ]);
  });

  test('a payout not yet confirmed shows only its creation from its columns; a released one keeps its stored end', () => {
    expect(shown(timelineOf(payout({}), []))).toEqual([['INITIATED', 0, 'sub-1']]);
    const stored: TimelineEntry[] = [{ type: 'NOTIFIED', at: at(1), actor: null }, { type: 'EXPIRED', at: at(9), actor: null }];
    expect(shown(timelineOf(payout({}), stored))).toEqual([['INITIATED', 0, 'sub-1'], ['NOTIFIED', 1, null], ['EXPIRED', 9, null]]);
  });

  test('rows stored before issue 18 (or a confirmation by someone else) are shown as stored, never twice', () => {
    const stored: TimelineEntry[] = [
      { type: 'INITIATED', at: at(0), actor: 'seller-1' }, { type: 'CONFIRMED', at: at(7), actor: 'support-1' }, { type: 'PAID', at: at(8), actor: null },
    ];
    expect(shown(timelineOf(payout({ confirmedAt: at(7), paidAt: at(8) }), stored))).toEqual([['INITIATED', 0, 'seller-1'], ['CONFIRMED', 7, 'support-1'], ['PAID', 8, null]]);
  });

  test('NOTIFIED and REMINDED from the buyer\'s cards; a payout from before, with their rows stored too, shows the rows only', () => {
    const carded: TimelineEntry[] = [{ type: 'NOTIFIED', at: at(1), actor: null }, { type: 'REMINDED', at: at(5), actor: null }];
    expect(shown(timelineOf(payout({ confirmedAt: at(7) }), [], carded))).toEqual([
      ['INITIATED', 0, 'sub-1'], ['NOTIFIED', 1, null], ['REMINDED', 5, null], ['CONFIRMED', 7, 'buyer-1'],
    ]);
    const stored: TimelineEntry[] = [{ type: 'NOTIFIED', at: at(2), actor: null }];
    expect(shown(timelineOf(payout({}), stored, carded))).toEqual([['INITIATED', 0, 'sub-1'], ['NOTIFIED', 2, null], ['REMINDED', 5, null]]);
  });

  test('moments of the same millisecond follow the order of a payout\'s life', () => {
    const stored: TimelineEntry[] = [{ type: 'NOTIFIED', at: at(0), actor: null }];
    expect(shown(timelineOf(payout({ confirmedAt: at(3), paidAt: at(3) }), stored)).map(([type]) => type)).toEqual(['INITIATED', 'NOTIFIED', 'CONFIRMED', 'PAID']);
  });
});
