/**
 * The ledger's invariants (SPEC §7), checked from the entries themselves:
 * - every seller's stored balances equal what the entries add up to, and none is negative;
 * - per seller, recharged = available + held + paid out + withdrawn;
 * - the held balance equals the payouts still holding money (awaiting confirmation or confirmed);
 * - every entry debits and credits the accounts its kind calls for (double entry: with one amount
 *   per entry, Σ debits = Σ credits holds by construction, so what can go wrong is the accounts).
 * The provider's books are compared with the ledger in db/audit/provider-books.ts, through the
 * provider's statement. Used by the tests, the chaos run and the daily reconciliation
 * (db/audit/reconciliation.ts).
 */
import type { EntityManager } from '@mikro-orm/mysql';
import type { MovementKind } from './entities';
import { MOVES, externalAccount } from './ledger';
import { PROVIDER_PAIRS, compareProviderBooks } from '../audit/provider-books';
import { sandboxStatement } from '../sandbox/statement';

export interface InvariantReport {
  ledgerBalanced: boolean;
  providerMatchesLedger: boolean;
  problems: string[];
}

export const FINDING_CHECKS = [
  'NON_NEGATIVE_BALANCE', 'BALANCE_MATCHES_ENTRIES', 'RECHARGES_ACCOUNTED', 'HELD_MATCHES_PAYOUTS', 'ENTRY_ACCOUNTS_MATCH_KIND', 'PROVIDER_MATCHES_LEDGER',
] as const;
export type FindingCheck = (typeof FINDING_CHECKS)[number];

/** One disagreement, named by the check that found it and the seller (and movement) it concerns. */
export interface Finding {
  check: FindingCheck;
  sellerId: string;
  movementKey: string | null;
  message: string;
}

/** Each query returns at most this many disagreements; a report says how many it found, not every one. */
export const FINDINGS_PER_QUERY_MAX = 1_000;

type Row = Record<string, string | number | null>;
type Connection = ReturnType<EntityManager['getConnection']>;
const n = (v: unknown) => Number(v ?? 0);
const placeholders = (values: readonly unknown[]) => values.map(() => '?').join(',');

/**
 * The tests' and the chaos run's check: the ledger's own invariants, and its payouts against the
 * sandbox provider's transfers. Those runs always pay through the sandbox, so its statement is read
 * from its books here; reconciliation reads whatever provider is plugged in, through the port.
 */
export async function checkInvariants(em: EntityManager, sellerIds?: string[]): Promise<InvariantReport> {
  const connection = em.getConnection();
  const scope = sellerIds?.length ? sellerIds : undefined;
  const balances = await balanceFindings(connection, scope);
  const sandbox = { statement: sandboxStatement.bind(null, em) };
  const provider: Finding[] = [];
  let complete = true;
  for (const sellerId of scope ?? [null]) {
    const compared = await compareProviderBooks(em, sandbox, sellerId, [PROVIDER_PAIRS.PAYOUT]);
    provider.push(...compared.findings);
    complete &&= compared.complete;
  }
  return {
    ledgerBalanced: balances.length === 0,
    providerMatchesLedger: provider.length === 0 && complete,
    problems: [...balances, ...provider].map((f) => `${f.sellerId}: ${f.message}`).concat(complete ? [] : ['the provider\'s books were too long to compare']),
  };
}

/** The ledger's own checks for a batch of sellers (the provider's books are compared apart). */
export async function findLedgerDisagreements(em: EntityManager, sellerIds: string[]): Promise<Finding[]> {
  if (sellerIds.length === 0) return [];
  const connection = em.getConnection();
  return [...(await balanceFindings(connection, sellerIds)), ...(await entryFindings(connection, sellerIds))];
}

async function balanceFindings(connection: Connection, sellerIds: string[] | undefined): Promise<Finding[]> {
  const scope = sellerIds ? `where a.seller_id in (${placeholders(sellerIds)})` : '';
  // One statement, so that balances, entries and payouts are read from one consistent snapshot.
  const balances: Row[] = await connection.execute(
    `select a.seller_id, a.available_fen, a.held_fen,
       coalesce(sum(case when e.credit_account = concat('seller:', a.seller_id, ':available') then e.amount_fen end), 0)
         - coalesce(sum(case when e.debit_account = concat('seller:', a.seller_id, ':available') then e.amount_fen end), 0) as available_from_entries,
       coalesce(sum(case when e.credit_account = concat('seller:', a.seller_id, ':held') then e.amount_fen end), 0)
         - coalesce(sum(case when e.debit_account = concat('seller:', a.seller_id, ':held') then e.amount_fen end), 0) as held_from_entries,
       coalesce(sum(case when e.kind = 'RECHARGE' then e.amount_fen end), 0) as recharged,
       coalesce(sum(case when e.kind = 'PAYOUT' then e.amount_fen end), 0) as paid,
       coalesce(sum(case when e.kind = 'WITHDRAWAL' then e.amount_fen end), 0)
         - coalesce(sum(case when e.kind = 'WITHDRAWAL_VOID' then e.amount_fen end), 0) as withdrawn,
       (select coalesce(sum(p.amount_fen), 0) from payouts p
         where p.seller_id = a.seller_id and p.status in ('PENDING_APPROVAL', 'AWAITING_CONFIRMATION', 'CONFIRMED')) as held_by_payouts
     from seller_accounts a left join ledger_entries e on e.seller_id = a.seller_id
     ${scope} group by a.seller_id, a.available_fen, a.held_fen`,
    sellerIds ?? [],
  );
  return balances.flatMap(balanceFindingsOf);
}

function balanceFindingsOf(b: Row): Finding[] {
  const sellerId = String(b.seller_id);
  const found: Finding[] = [];
  const add = (check: FindingCheck, message: string) => found.push({ check, sellerId, movementKey: null, message });
  if (n(b.available_fen) < 0 || n(b.held_fen) < 0) add('NON_NEGATIVE_BALANCE', `negative balance: available ${b.available_fen}, held ${b.held_fen}`);
  if (n(b.available_fen) !== n(b.available_from_entries)) add('BALANCE_MATCHES_ENTRIES', `available ${b.available_fen} but entries say ${b.available_from_entries}`);
  if (n(b.held_fen) !== n(b.held_from_entries)) add('BALANCE_MATCHES_ENTRIES', `held ${b.held_fen} but entries say ${b.held_from_entries}`);
  if (n(b.recharged) !== n(b.available_fen) + n(b.held_fen) + n(b.paid) + n(b.withdrawn)) {
    add('RECHARGES_ACCOUNTED', `recharged ${b.recharged} != available ${b.available_fen} + held ${b.held_fen} + paid ${b.paid} + withdrawn ${b.withdrawn}`);
  }
  if (n(b.held_fen) !== n(b.held_by_payouts)) add('HELD_MATCHES_PAYOUTS', `held ${b.held_fen} but pending payouts hold ${b.held_by_payouts}`);
  return found;
}

/** The SQL for the account a movement's side names, as MOVES in ledger.ts defines it. */
function accountSql(side: 'external' | 'available' | 'held', kind: MovementKind): { sql: string; params: string[] } {
  if (side === 'external') return { sql: '?', params: [externalAccount(kind)] };
  return { sql: `concat('seller:', e.seller_id, ':${side}')`, params: [] };
}

async function entryFindings(connection: Connection, sellerIds: string[]): Promise<Finding[]> {
  const expected = (Object.keys(MOVES) as MovementKind[]).map((kind) => {
    const debit = accountSql(MOVES[kind].from, kind);
    const credit = accountSql(MOVES[kind].to, kind);
    return { sql: `(e.kind = ? and e.debit_account = ${debit.sql} and e.credit_account = ${credit.sql})`, params: [kind, ...debit.params, ...credit.params] };
  });
  const rows: Row[] = await connection.execute(
    `select e.seller_id, e.movement_key, e.kind, e.debit_account, e.credit_account from ledger_entries e
     where e.seller_id in (${placeholders(sellerIds)}) and not (${expected.map((x) => x.sql).join(' or ')})
     limit ${FINDINGS_PER_QUERY_MAX}`,
    [...sellerIds, ...expected.flatMap((x) => x.params)],
  );
  return rows.map((r) => ({
    check: 'ENTRY_ACCOUNTS_MATCH_KIND',
    sellerId: String(r.seller_id),
    movementKey: String(r.movement_key),
    message: `${r.kind} debits ${r.debit_account} and credits ${r.credit_account}`,
  }));
}
