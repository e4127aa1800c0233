/**
 * The sandbox provider's statement, read from its own books: what provider/sandbox.ts answers to
 * the port's `statement`. Lines come in booking order (the row id), and the cursor is the last id
 * sent.
 */
import type { EntityManager } from '@mikro-orm/mysql';
import { STATEMENT_PAGE_MAX, type StatementPage, type StatementQuery } from '../../domain/provider-statement';
import { SandboxTransaction } from './entities';

export async function sandboxStatement(em: EntityManager, query: StatementQuery): Promise<StatementPage> {
  if (!Number.isSafeInteger(query.limit) || query.limit < 1 || query.limit > STATEMENT_PAGE_MAX) {
    throw new RangeError(`a statement page holds 1 to ${STATEMENT_PAGE_MAX} lines, not ${query.limit}`);
  }
  const afterId = query.cursor === null ? 0 : Number(query.cursor);
  if (!Number.isSafeInteger(afterId) || afterId < 0) throw new RangeError(`not a sandbox statement cursor: ${query.cursor}`);
  const rows = await em.find(
    SandboxTransaction,
    { ...(query.sellerId === null ? {} : { sellerId: query.sellerId }), id: { $gt: afterId } },
    { orderBy: { id: 'asc' }, limit: query.limit, disableIdentityMap: true },
  );
  return {
    lines: rows.map((r) => ({ key: r.idempotencyKey, sellerId: r.sellerId, kind: r.kind, amountFen: r.amountFen, status: r.status, at: r.createdAt })),
    nextCursor: rows.length === query.limit ? String(rows[rows.length - 1].id) : null,
  };
}
