/**
 * The ledger's invariants (SPEC §7), checked from the entries themselves:
 * - every seller's stored balances equal what the entries add up to, and none is negative;
 * - per seller, recharged = available + held + paid out + withdrawn;
 * - the provider's books agree with the ledger, transfer by transfer: every PAYOUT entry has one
 *   succeeded transfer under the same key, and no succeeded transfer lacks its entry.
 * Used by the tests, the chaos run and (later) the daily reconciliation.
 */
import type { EntityManager } from '@mikro-orm/mysql';

export interface InvariantReport {
  ledgerBalanced: boolean;
  providerMatchesLedger: boolean;
  problems: string[];
}

type Row = Record<string, string | number | null>;
const n = (v: unknown) => Number(v ?? 0);

export async function checkInvariants(em: EntityManager, sellerIds?: string[]): Promise<InvariantReport> {
  const connection = em.getConnection();
  const scope = sellerIds?.length ? `where a.seller_id in (${sellerIds.map(() => '?').join(',')})` : '';
  const balances: Row[] = await connection.execute(
    `select a.seller_id, a.available_fen, a.held_fen,
       coalesce(sum(case when e.credit_account = concat('seller:', a.seller_id, ':available') then e.amount_fen end), 0)
         - coalesce(sum(case when e.debit_account = concat('seller:', a.seller_id, ':available') then e.amount_fen end), 0) as available_from_entries,
       coalesce(sum(case when e.credit_account = concat('seller:', a.seller_id, ':held') then e.amount_fen end), 0)
         - coalesce(sum(case when e.debit_account = concat('seller:', a.seller_id, ':held') then e.amount_fen end), 0) as held_from_entries,
       coalesce(sum(case when e.kind = 'RECHARGE' then e.amount_fen end), 0) as recharged,
       coalesce(sum(case when e.kind = 'PAYOUT' then e.amount_fen end), 0) as paid,
       coalesce(sum(case when e.kind = 'WITHDRAWAL' then e.amount_fen end), 0)
         - coalesce(sum(case when e.kind = 'WITHDRAWAL_VOID' then e.amount_fen end), 0) as withdrawn
     from seller_accounts a left join ledger_entries e on e.seller_id = a.seller_id
     ${scope} group by a.seller_id, a.available_fen, a.held_fen`,
    sellerIds ?? [],
  );
  const problems: string[] = [];
  for (const b of balances) {
    const seller = String(b.seller_id);
    if (n(b.available_fen) < 0 || n(b.held_fen) < 0) problems.push(`${seller}: negative balance`);
    if (n(b.available_fen) !== n(b.available_from_entries)) problems.push(`${seller}: available ${b.available_fen} but entries say ${b.available_from_entries}`);
    if (n(b.held_fen) !== n(b.held_from_entries)) problems.push(`${seller}: held ${b.held_fen} but entries say ${b.held_from_entries}`);
    if (n(b.recharged) !== n(b.available_fen) + n(b.held_fen) + n(b.paid) + n(b.withdrawn)) {
      problems.push(`${seller}: recharged ${b.recharged} != available ${b.available_fen} + held ${b.held_fen} + paid ${b.paid} + withdrawn ${b.withdrawn}`);
    }
  }
  const ledgerBalanced = problems.length === 0;
  const sellerFilter = sellerIds?.length ? `and seller_id in (${sellerIds.map(() => '?').join(',')})` : '';
  const mismatches: Row[] = await connection.execute(
    `select coalesce(e.movement_key, t.idempotency_key) as movement, e.amount_fen as ledger_fen, t.amount_fen as provider_fen
     from (select movement_key, amount_fen from ledger_entries where kind = 'PAYOUT' ${sellerFilter}) e
     left join sandbox_transactions t on t.idempotency_key = e.movement_key and t.status = 'SUCCEEDED'
     where t.id is null or t.amount_fen <> e.amount_fen
     union all
     select t.idempotency_key, null, t.amount_fen
     from (select idempotency_key, amount_fen, id from sandbox_transactions where kind = 'TRANSFER' and status = 'SUCCEEDED' ${sellerFilter}) t
     left join ledger_entries e on e.movement_key = t.idempotency_key
     where e.id is null`,
    [...(sellerIds ?? []), ...(sellerIds ?? [])],
  );
  for (const m of mismatches) problems.push(`provider/ledger mismatch on ${m.movement}: ledger ${m.ledger_fen}, provider ${m.provider_fen}`);
  return { ledgerBalanced, providerMatchesLedger: mismatches.length === 0, problems };
}
