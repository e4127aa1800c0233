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
 * Knex is the ORM's driver underneath: the dialect is MikroORM's own MySQL one, with knex's MySQL2
 * transaction, whose BEGIN is the one thing changed. Knex exports neither class's module by name,
 * hence the require of its file (pinned by package-lock.json; the test of the ORM built on it,
 * test/integration/beginless.test.ts, fails if a new knex moves or renames it).
 */
import { MySqlKnexDialect } from '@mikro-orm/knex';

interface KnexTransaction {
  isolationLevel?: string;
  readOnly?: boolean;
  begin(connection: unknown): Promise<unknown>;
}

type KnexTransactionClass = new (client: unknown, container: unknown, config: unknown, outerTx: unknown) => KnexTransaction;

// eslint-disable-next-line @typescript-eslint/no-require-imports
const MySql2Transaction: KnexTransactionClass = require('knex/lib/dialects/mysql2/transaction');

/** Knex's MySQL2 transaction without its BEGIN: on a connection with autocommit off, the first statement begins it. */
class BeginlessTransaction extends MySql2Transaction {
  override begin(): Promise<void> {
    // A level or READ ONLY would have been set by the statements BEGIN stands for; none is asked for here.
    if (this.isolationLevel || this.readOnly) return Promise.reject(new Error('a beginless transaction takes no isolation level and no READ ONLY: the session sets them'));
    return Promise.resolve();
  }
}

/** MikroORM's MySQL dialect whose transactions send no BEGIN, and which runs nothing outside a transaction. */
export class BeginlessDialect extends MySqlKnexDialect {
  /** Set by knex on the client of a transaction (its `makeTxClient`), never on the pool's own. */
  declare transacting?: boolean;

  transaction(container: unknown, config: unknown, outerTx: unknown): KnexTransaction {
    return new BeginlessTransaction(this, container, config, outerTx);
  }

  query(connection: unknown, query: unknown): Promise<unknown> {
    if (!this.transacting) return Promise.reject(new Error('this connection pool runs statements inside a transaction only (autocommit is off): use em.transactional'));
    return super.query(connection, query);
  }
}
