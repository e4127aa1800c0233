/**
 * A transaction on one of the pool's connections, sent through the driver (mysql2) itself: no
 * EntityManager fork, no knex transaction, no ORM around each statement (issue 18). For a payout's
 * busiest writes only, whose statements are all hand-written already: its reservation, and the
 * common paths of its confirmation and posting (db/payouts/payouts.ts). The hot seller's profile
 * charged the ORM and knex around the reservation's two round trips about 2.5 real ms of the
 * worker's CPU a create (the fork, its transaction context, knex's transaction client made anew
 * each time, the query runner, the pool's bookkeeping), more than the statements' own trip through
 * mysql2; the ceiling has none of it.
 *
 * What stays the ORM's: the pool and its sessions (the writes' ORM, `openBeginlessOrm`: autocommit
 * off, multi-statement packets), each statement's values formatted as `em.execute` formats them
 * (`platform.formatQuery`), the rows as its raw queries answer them (the same connection, the same
 * driver options), and knex's `query` event for every packet sent, which the statement budget's
 * test reads (test/integration/statement-budget.test.ts). On another ORM's pool (autocommit on,
 * one statement a packet: the tests' stacks without a writes' ORM) the transaction begins with a
 * BEGIN and its statements go one by one, with the same results.
 *
 * The connection goes back to the pool only after its transaction ended: committed, or rolled back
 * when `work` or a statement threw; a connection whose ROLLBACK failed is destroyed, never handed on
 * with its locks.
 */
import type { QueryResult } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/mysql';
import { BeginlessDialect, packetOf, packetResults, resultOf, type Statement } from './beginless';

/** The driver's connection, as far as this module uses it. */
interface DriverConnection {
  query(sql: string, done: (err: Error | null, result: unknown) => void): void;
  destroy(): void;
}

/** Knex's client, as far as this module uses it: its pool and its event emitter. */
interface PoolClient {
  acquireConnection(): Promise<DriverConnection>;
  releaseConnection(connection: DriverConnection): Promise<unknown>;
  emit(event: 'query', query: { sql: string; bindings: unknown[] }): boolean;
}

/** A transaction's SELECT: its rows. Code that reads in both kinds of transaction takes one (`ormReader` for the ORM's). */
export type RowReader = (sql: string, params: readonly unknown[]) => Promise<Record<string, unknown>[]>;

/** The ORM transaction's reader. */
export const ormReader = (tx: EntityManager): RowReader => (sql, params) => tx.execute(sql, [...params]);

export interface DirectTransaction {
  /** Runs one statement; answers a SELECT's rows. */
  rows: RowReader;
  /**
   * Runs `statements` in order, in one packet on the writes' pool, and answers each one's result
   * (affected rows, insert id); the first that fails stops the packet and throws. `commit`: the
   * packet ends in the transaction's COMMIT (sendTogether's, db/beginless.ts: every statement must
   * either do its work or fail), and nothing may run after it.
   */
  sendTogether(statements: readonly Statement[], options?: { commit?: boolean }): Promise<QueryResult[]>;
}

/** Runs `work` in one transaction on one connection of `em`'s pool; commits it unless a packet did. */
export async function directTransaction<T>(em: EntityManager, work: (tx: DirectTransaction) => Promise<T>): Promise<T> {
  const client = em.getConnection().getKnex().client as unknown as PoolClient;
  const packets = client instanceof BeginlessDialect;
  const platform = em.getPlatform();
  const connection = await client.acquireConnection();
  let open = false;
  let committed = false;
  const send = (sql: string): Promise<unknown> => {
    if (committed) return Promise.reject(new Error('this transaction committed with its last packet: nothing runs after it'));
    open = true;
    client.emit('query', { sql, bindings: [] });
    return new Promise((resolve, reject) => connection.query(sql, (err, result) => (err ? reject(err) : resolve(result))));
  };
  const tx: DirectTransaction = {
    rows: async (sql, params) => (await send(platform.formatQuery(sql, [...params]))) as Record<string, unknown>[],
    async sendTogether(statements, { commit = false } = {}) {
      const format = ({ sql, params }: Statement) => platform.formatQuery(sql, [...params]);
      // As sendTogether (db/beginless.ts): one by one without packets, and a lone statement alone.
      if (!packets || (statements.length === 1 && !commit)) {
        const results: QueryResult[] = [];
        for (const statement of statements) results.push(resultOf(await send(format(statement))));
        return results;
      }
      const packet = packetOf(statements, commit, format);
      const results = packetResults(await send(packet.join(';\n')), packet.length, statements.length);
      committed = commit;
      return results;
    },
  };
  try {
    if (!packets) await send('begin');
    const result = await work(tx);
    if (open && !committed) await send('commit');
    committed = true;
    return result;
  } catch (err) {
    if (open && !committed) {
      client.emit('query', { sql: 'rollback', bindings: [] });
      await new Promise<void>((resolve) => connection.query('rollback', (failed) => {
        // Its locks must not go back to the pool with it.
        if (failed) connection.destroy();
        resolve();
      }));
    }
    throw err;
  } finally {
    await client.releaseConnection(connection);
  }
}
