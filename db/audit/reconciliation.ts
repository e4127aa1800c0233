/**
 * The daily reconciliation's database side: checks the invariants seller batch by seller batch
 * (so that no query spans the whole ledger at once), compares each seller's movements with the
 * provider's books as the provider's statement gives them (`ProviderBooks`, never its tables),
 * stores the report once per run, and pages the reports for auditors.
 */
import type { EntityManager } from '@mikro-orm/mysql';
import { findLedgerDisagreements, type Finding } from '../ledger/invariants';
import { PROVIDER_PAIRS, compareProviderBooks, type ProviderBooks } from './provider-books';
import { ReconciliationReport } from './entities';
import { SellerAccount } from '../reserve/entities';
import { findPage, type Keyset, type Page, type PageRequest } from '../pagination';

/** Sellers checked per round of queries. */
export const RECONCILIATION_SELLER_BATCH = 200;
/** A stop for the batch loop: 20,000 batches are four million sellers. */
export const RECONCILIATION_BATCHES_MAX = 20_000;
/** A scoped run names at most this many sellers (workflows/reconciliation.ts enforces it). */
export const RECONCILIATION_SCOPE_MAX = 1_000;
/** A report keeps this many findings; `findingsCount` counts them all. */
export const FINDINGS_STORED_MAX = 200;

export interface ReconciliationScope {
  /** The sellers to check; every seller when absent. */
  sellerIds: string[] | null;
  /** Movements created at or after this are left for the next run (work in flight). */
  settledBefore: Date;
}

export interface ReconciliationOutcome {
  sellersChecked: number;
  findingsCount: number;
  findings: Finding[];
  /** False when a bound stopped the run before the last seller, or before a seller's last movement. */
  complete: boolean;
}

/** Checks every seller in scope; `onBatch` lets the activity heartbeat between batches. */
export async function reconcileLedger(em: EntityManager, books: ProviderBooks, scope: ReconciliationScope, onBatch: (checked: number) => void = () => {}): Promise<ReconciliationOutcome> {
  const outcome: ReconciliationOutcome = { sellersChecked: 0, findingsCount: 0, findings: [], complete: false };
  let booksComplete = true;
  let after = '';
  for (let batch = 0; batch < RECONCILIATION_BATCHES_MAX; batch++) {
    const sellerIds = scope.sellerIds ? scope.sellerIds.slice(batch * RECONCILIATION_SELLER_BATCH, (batch + 1) * RECONCILIATION_SELLER_BATCH) : await nextSellers(em, after);
    if (sellerIds.length === 0) return { ...outcome, complete: booksComplete };
    const found = await findLedgerDisagreements(em, sellerIds);
    for (const sellerId of sellerIds) {
      const compared = await compareProviderBooks(em, books, sellerId, Object.values(PROVIDER_PAIRS), scope.settledBefore);
      found.push(...compared.findings);
      booksComplete &&= compared.complete;
    }
    outcome.sellersChecked += sellerIds.length;
    outcome.findingsCount += found.length;
    outcome.findings.push(...found.slice(0, FINDINGS_STORED_MAX - outcome.findings.length));
    after = sellerIds[sellerIds.length - 1];
    onBatch(outcome.sellersChecked);
  }
  return outcome;
}

/** The next batch of sellers by id (keyset), read fresh each time. */
async function nextSellers(em: EntityManager, after: string): Promise<string[]> {
  const rows = await em.find(SellerAccount, { sellerId: { $gt: after } }, {
    fields: ['sellerId'], orderBy: { sellerId: 'asc' }, limit: RECONCILIATION_SELLER_BATCH, disableIdentityMap: true,
  });
  return rows.map((r) => r.sellerId);
}

/** Stores the report once: a retried activity finds its run's report already there. */
export async function storeReport(em: EntityManager, report: ReconciliationReport): Promise<ReconciliationReport> {
  await em.upsert(ReconciliationReport, report, { onConflictFields: ['id'], onConflictAction: 'ignore' });
  return em.fork().findOneOrFail(ReconciliationReport, { id: report.id });
}

/** Reports are listed newest first. */
const REPORT_KEYSET: Keyset<ReconciliationReport> = { columns: [{ name: 'createdAt', kind: 'date' }, { name: 'id', kind: 'string' }], direction: 'desc' };

export function reportsPage(em: EntityManager, page: PageRequest): Promise<Page<ReconciliationReport>> {
  return findPage(em, ReconciliationReport, {}, REPORT_KEYSET, page);
}
