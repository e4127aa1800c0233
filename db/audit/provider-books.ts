/**
 * The provider's books against the ledger (SPEC §7), movement by movement: a payout with a
 * transfer, a recharge with a withholding, a withdrawal (unless voided) with a pay-back, under the
 * same key and for the same amount, and no succeeded provider movement without its entry.
 *
 * The provider's side is read only through `ProviderBooks`, the statement of the payment-provider
 * port (`PaymentProvider.statement` in provider/provider.ts is one), never from the provider's
 * tables: the sandbox and a real provider are read alike. The comparison goes seller by seller, so
 * that one seller's statement and entries are all it holds in memory.
 */
import type { EntityManager } from '@mikro-orm/mysql';
import { STATEMENT_PAGE_MAX, type ProviderMovementKind, type StatementLine, type StatementPage, type StatementQuery } from '../../domain/provider-statement';
import { LedgerEntry, type MovementKind } from '../ledger/entities';
import type { Finding } from '../ledger/invariants';

/** What reconciliation reads of the provider: its statement, page by page. */
export interface ProviderBooks {
  statement(query: StatementQuery): Promise<StatementPage>;
}

interface ProviderPair {
  ledgerKind: MovementKind;
  providerKind: ProviderMovementKind;
  /** The movement that voids this one (a refused pay-back), found by its key. */
  voided?: { kind: MovementKind; prefix: string; voidPrefix: string };
}

/** Which provider movement each kind of ledger movement must have, under the movement's own key. */
export const PROVIDER_PAIRS = {
  PAYOUT: { ledgerKind: 'PAYOUT', providerKind: 'TRANSFER' },
  RECHARGE: { ledgerKind: 'RECHARGE', providerKind: 'WITHHOLD' },
  WITHDRAWAL: { ledgerKind: 'WITHDRAWAL', providerKind: 'PAYBACK', voided: { kind: 'WITHDRAWAL_VOID', prefix: 'withdrawal:', voidPrefix: 'withdrawal-void:' } },
} as const satisfies Record<string, ProviderPair>;

/**
 * A seller's statement and entries are read whole, at most this many of each; a seller with more
 * is left unchecked and the comparison says it is incomplete (a run then reports `complete: false`).
 */
export const SELLER_MOVEMENTS_MAX = 200_000;
const STATEMENT_PAGES_MAX = Math.ceil(SELLER_MOVEMENTS_MAX / STATEMENT_PAGE_MAX);
const ENTRY_PAGE_SIZE = 1_000;
/** Each pair reports at most this many disagreements, like each of the ledger's checks (FINDINGS_PER_QUERY_MAX). */
const FINDINGS_PER_PAIR_MAX = 1_000;

export interface ProviderComparison {
  findings: Finding[];
  /** False when a bound stopped the reading before the last movement. */
  complete: boolean;
}

type Entry = Pick<LedgerEntry, 'id' | 'movementKey' | 'sellerId' | 'kind' | 'amountFen' | 'createdAt'>;

/**
 * Compares one seller's provider movements (every seller's when `sellerId` is null: the tests'
 * small databases) with the ledger. Movements created at or after `settledBefore` are not reported
 * missing, so that work in flight (a transfer made, its entry not yet posted) is left for the next run.
 */
export async function compareProviderBooks(
  em: EntityManager, books: ProviderBooks, sellerId: string | null, pairs: readonly ProviderPair[], settledBefore?: Date,
): Promise<ProviderComparison> {
  const incomplete = { findings: [], complete: false };
  const lines = await succeededLines(books, sellerId, new Set(pairs.map((p) => p.providerKind)));
  if (!lines) return incomplete;
  const entries = await entriesOf(em, sellerId, pairs.flatMap((p): MovementKind[] => (p.voided ? [p.ledgerKind, p.voided.kind] : [p.ledgerKind])));
  if (!entries) return incomplete;
  const entryByKey = new Map(entries.map((e) => [e.movementKey, e]));
  const settled = (at: Date) => !settledBefore || at < settledBefore;
  const findings: Finding[] = [];
  for (const pair of pairs) {
    const found: Finding[] = [];
    const mismatch = (owner: string, key: string, ledgerFen: number | null, providerFen: number | null) => found.push({
      check: 'PROVIDER_MATCHES_LEDGER', sellerId: owner, movementKey: key,
      message: `provider/ledger mismatch on ${key}: ledger ${ledgerFen}, provider ${providerFen} (${pair.providerKind})`,
    });
    for (const entry of entries) {
      if (entry.kind !== pair.ledgerKind || !settled(entry.createdAt)) continue;
      const line = lines.get(entry.movementKey);
      const paired = line?.kind === pair.providerKind ? line : undefined;
      // A voided movement (a withdrawal the provider refused) must have no succeeded movement.
      const voided = pair.voided !== undefined && entryByKey.has(pair.voided.voidPrefix + entry.movementKey.slice(pair.voided.prefix.length));
      if (paired ? paired.amountFen !== entry.amountFen || voided : !voided) mismatch(entry.sellerId, entry.movementKey, entry.amountFen, paired?.amountFen ?? null);
    }
    for (const line of lines.values()) {
      if (line.kind !== pair.providerKind || !settled(line.at) || entryByKey.get(line.key)?.kind === pair.ledgerKind) continue;
      mismatch(line.sellerId, line.key, null, line.amountFen);
    }
    findings.push(...found.slice(0, FINDINGS_PER_PAIR_MAX));
  }
  return { findings, complete: true };
}

/** The succeeded lines of the kinds compared, by key; null past the bound. */
async function succeededLines(books: ProviderBooks, sellerId: string | null, kinds: Set<ProviderMovementKind>): Promise<Map<string, StatementLine> | null> {
  const lines = new Map<string, StatementLine>();
  let cursor: string | null = null;
  for (let page = 0; page < STATEMENT_PAGES_MAX; page++) {
    const read: StatementPage = await books.statement({ sellerId, cursor, limit: STATEMENT_PAGE_MAX });
    for (const line of read.lines) if (line.status === 'SUCCEEDED' && kinds.has(line.kind)) lines.set(line.key, line);
    if (read.nextCursor === null) return lines;
    cursor = read.nextCursor;
  }
  return null;
}

/** The seller's entries of these kinds, in pages by id; null past the bound. */
async function entriesOf(em: EntityManager, sellerId: string | null, kinds: MovementKind[]): Promise<Entry[] | null> {
  const entries: Entry[] = [];
  for (let afterId = 0; entries.length <= SELLER_MOVEMENTS_MAX;) {
    const page: Entry[] = await em.find(
      LedgerEntry,
      { ...(sellerId === null ? {} : { sellerId }), kind: { $in: kinds }, id: { $gt: afterId } },
      { fields: ['id', 'movementKey', 'sellerId', 'kind', 'amountFen', 'createdAt'], orderBy: { id: 'asc' }, limit: ENTRY_PAGE_SIZE, disableIdentityMap: true },
    );
    entries.push(...page);
    if (page.length < ENTRY_PAGE_SIZE) return entries;
    afterId = page[page.length - 1].id;
  }
  return null;
}
