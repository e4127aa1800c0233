/**
 * Transactions that send no BEGIN (issue 18): the connections of this client run with autocommit
 * off, so a transaction begins with its first statement and ends with its COMMIT (or ROLLBACK),
 * as JDBC drivers run transactions on MySQL (Connector/J with autocommit off never sends one
 * either). A payout's reservation, confirmation and posting are a statement shorter each, and
 * commit the same.
 *
 * The one risk of autocommit off is a statement outside a transaction: it would open one that
 * nothing commits, and the pool would hand the connection on with its locks. So this client runs
 * statements inside a transaction only, and refuses every other one before it is sent.
 *
 * A transaction on this client may also send several of its statements in one packet
 * (`sendTogether`): its connections take multi-statement packets, so the writes a transaction has
 * decided on go to the server in one round trip, not one each (issue 18: a reservation held the
 * seller's lock over six of them, and a hot seller's creates queue on that lock). A packet may end
 * in the transaction's COMMIT (`{ commit: true }`), when none of its writes can find nothing to do
 * without failing: the server stops a packet at its first error, so the COMMIT runs only after every
 * write before it did, and knex's own COMMIT is then not sent.
 *
 * Knex is the ORM's driver underneath: the dialect is MikroORM's own MySQL one, with knex's MySQL2
 * transaction, whose BEGIN is the one thing changed. Knex exports neither class's module by name,
 * hence the require of its file (pinned by package-lock.json; the test of the ORM built on it,
 * test/integration/beginless.test.ts, fails if a new knex moves or renames it).
 */
import type { QueryResult } from '@mikro-orm/core';
import { MySqlKnexDialect } from '@mikro-orm/knex';
import type { EntityManager } from '@mikro-orm/mysql';

interface KnexTransaction {
  isolationLevel?: string;
  readOnly?: boolean;
  /** Knex's: the transaction is over, and takes no more statements. */
  _completed: boolean;
  /** Knex's: resolves the transaction's promise, which hands its connection back to the pool. */
  _resolver(value: unknown): void;
  begin(connection: unknown): Promise<unknown>;
  commit(connection: unknown, value: unknown): Promise<unknown>;
}

type KnexTransactionClass = new (client: unknown, container: unknown, config: unknown, outerTx: unknown) => KnexTransaction;

// eslint-disable-next-line @typescript-eslint/no-require-imports
const MySql2Transaction: KnexTransactionClass = require('knex/lib/dialects/mysql2/transaction');

/**
 * The connections whose last statement was a packet that ended in its transaction's COMMIT
 * (sendTogether `{ commit: true }`): their transaction is over. Any statement sent after it takes
 * the connection out again, since on autocommit off it opens a transaction that knex's COMMIT
 * must then end.
 */
const committedByPacket = new WeakSet<object>();

/** sendTogether's packet that ends in the COMMIT; knex's own is `COMMIT;`, and no statement of a packet holds a `;`. */
const ENDS_IN_COMMIT = /;\s*commit$/i;

/** Knex's MySQL2 transaction without its BEGIN: on a connection with autocommit off, the first statement begins it. */
class BeginlessTransaction extends MySql2Transaction {
  override begin(): Promise<void> {
    // A level or READ ONLY would have been set by the statements BEGIN stands for; none is asked for here.
    if (this.isolationLevel || this.readOnly) return Promise.reject(new Error('a beginless transaction takes no isolation level and no READ ONLY: the session sets them'));
    return Promise.resolve();
  }

  /** The COMMIT, unless the transaction's last packet committed it: then what knex does once its COMMIT is answered. */
  override commit(connection: object, value: unknown): Promise<unknown> {
    if (!committedByPacket.delete(connection)) return super.commit(connection, value);
    this._completed = true;
    return Promise.resolve().then(() => this._resolver(value));
  }
}

/** MikroORM's MySQL dialect whose transactions send no BEGIN, and which runs nothing outside a transaction. */
export class BeginlessDialect extends MySqlKnexDialect {
  /** Set by knex on the client of a transaction (its `makeTxClient`), never on the pool's own. */
  declare transacting?: boolean;

  transaction(container: unknown, config: unknown, outerTx: unknown): KnexTransaction {
    return new BeginlessTransaction(this, container, config, outerTx);
  }

  query(connection: object, query: string | { sql: string }): Promise<unknown> {
    if (!this.transacting) return Promise.reject(new Error('this connection pool runs statements inside a transaction only (autocommit is off): use em.transactional'));
    committedByPacket.delete(connection);
    const sent = super.query(connection, query);
    if (!ENDS_IN_COMMIT.test(typeof query === 'string' ? query : query.sql)) return sent;
    // Answered without an error: the server ran every statement of the packet, its COMMIT last.
    return sent.then((result: unknown) => {
      committedByPacket.add(connection);
      return result;
    });
  }
}

/** One statement and its parameters (`?` placeholders, formatted by the ORM as any `execute`'s). */
export interface Statement {
  sql: string;
  params: readonly unknown[];
}

/** Runs one statement on `em`, in its transaction if it has one, and answers its result (affected rows, insert id). */
export function runStatement(em: EntityManager, { sql, params }: Statement): Promise<QueryResult> {
  return em.execute<QueryResult>(sql, [...params], 'run');
}

/**
 * Runs `statements` in order in `tx`'s transaction and answers each one's result (affected rows,
 * insert id). On the writes' ORM (openBeginlessOrm, db/orm.ts) they go in one packet, one round
 * trip; the server runs them in order and stops at the first that fails, whose error this throws
 * (the caller's transaction then rolls back what the others did). On any other ORM they run one
 * after another, with the same results, so that code written for the one runs on the other (the
 * tests' stacks that have no writes' ORM). Writes only: a SELECT's rows are not answered.
 *
 * `commit`: the packet ends in the transaction's COMMIT, a round trip fewer, and every lock the
 * transaction took is held a round trip shorter. The transaction's changes the EntityManager
 * has not flushed are flushed first. Only for writes that each either do their work or fail: a
 * result the caller finds wrong can no longer roll back. Anything the transaction runs after it is
 * a transaction of its own, which `transactional` commits as usual. On any other ORM the COMMIT is
 * `transactional`'s, as always.
 */
export async function sendTogether(tx: EntityManager, statements: readonly Statement[], { commit = false }: { commit?: boolean } = {}): Promise<QueryResult[]> {
  if (statements.length === 0) return [];
  const context = tx.getTransactionContext();
  if (!context) throw new Error('sendTogether runs inside a transaction (em.transactional)');
  if (commit) await tx.flush();
  const connection = tx.getConnection();
  const packets = connection.getKnex().client instanceof BeginlessDialect;
  if (!packets || (statements.length === 1 && !commit)) {
    const results: QueryResult[] = [];
    for (const statement of statements) results.push(await runStatement(tx, statement));
    return results;
  }
  const packet = packetOf(statements, commit, ({ sql }) => sql);
  const answered = await connection.execute(packet.join(';\n'), statements.flatMap(({ params }) => params), 'all', context);
  return packetResults(answered, packet.length, statements.length);
}

/**
 * A packet's statements, each as `text` gives it, then the COMMIT when asked (sendTogether, and
 * db/direct.ts's). A statement's own `;` would shift every result after it, and end the packet's
 * statement early: refused.
 */
export function packetOf(statements: readonly Statement[], commit: boolean, text: (statement: Statement) => string): string[] {
  for (const { sql } of statements) {
    if (sql.includes(';')) throw new TypeError(`sendTogether takes statements without ';': ${sql.slice(0, 80)}`);
  }
  return [...statements.map(text), ...(commit ? ['commit'] : [])];
}

/** The results of a packet's first `count` statements (not its COMMIT's), from the server's answer to all `length`. */
export function packetResults(answered: unknown, length: number, count: number): QueryResult[] {
  if (!Array.isArray(answered) || answered.length !== length) throw new Error(`a packet of ${length} statements answered ${Array.isArray(answered) ? answered.length : 'no'} results`);
  return answered.slice(0, count).map(resultOf);
}

/** A write's result as `em.execute(…, 'run')` answers it, from the driver's. */
export function resultOf(answered: unknown): QueryResult {
  const { affectedRows, insertId } = answered as { affectedRows: unknown; insertId: unknown };
  return { affectedRows: Number(affectedRows), insertId: Number(insertId), rows: [] } as QueryResult;
}
