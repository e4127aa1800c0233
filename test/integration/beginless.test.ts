/**
 * The ORM of the payout's writes (openBeginlessOrm, db/beginless.ts), on the real MariaDB: its
 * transactions send no BEGIN and still commit and roll back whole, it runs nothing outside a
 * transaction, and it never hands a connection on with a transaction open.
 */
import { randomUUID } from 'node:crypto';
import { IdempotencyRecord } from '../../db/common/entities';
import { sendTogether } from '../../db/beginless';
import { directTransaction } from '../../db/direct';
import { LedgerEntry } from '../../db/ledger/entities';
import { balancesStatement, entryStatement } from '../../db/ledger/ledger';
import { openBeginlessOrm, openOrm, type Orm } from '../../db/orm';

let orm: Orm;
let writes: Orm;
/** What the ORM logs as sent, and what knex sends on the wire (its `query` event, a transaction's own statements included). */
const sent: string[] = [];
const wire: string[] = [];

beforeAll(async () => {
  orm = await openOrm(process.env.TEST_DATABASE_URL!);
  // One connection, so that every transaction here runs on the connection the one before it left.
  writes = await openBeginlessOrm(process.env.TEST_DATABASE_URL!, 1);
  const logger = writes.config.getLogger();
  const logQuery = logger.logQuery.bind(logger);
  logger.logQuery = (context) => {
    sent.push((context.query ?? '').trim().toLowerCase());
    logQuery(context);
  };
  writes.em.getKnex().on('query', (query: { sql: string }) => wire.push(query.sql.trim().toLowerCase()));
});

afterAll(async () => {
  await writes.close();
  await orm.close();
});

beforeEach(() => {
  sent.length = 0;
  wire.length = 0;
});

const record = (principal: string) => ({
  principal, operation: 'beginless-test', idemKey: 'k', requestHash: 'h', statusCode: 201, responseBody: { ok: true }, createdAt: new Date(),
});

/** The server's own word on the connection's session: autocommit, and whether a transaction is open on it. */
async function session(tx: Orm['em']): Promise<{ autocommit: number; connectionId: number; inTransaction: number }> {
  const [row]: Record<string, unknown>[] = await tx.execute('select @@autocommit as autocommit, connection_id() as connection_id, @@in_transaction as in_transaction');
  return { autocommit: Number(row.autocommit), connectionId: Number(row.connection_id), inTransaction: Number(row.in_transaction) };
}

/**
 * How the pool's one connection comes to the next transaction: its first statement, which reads
 * no table and so opens nothing itself, sees whether the last one left a transaction open.
 */
function handedOn(): Promise<{ autocommit: number; connectionId: number; inTransaction: number }> {
  return writes.em.fork().transactional((tx) => session(tx));
}

test('a transaction commits what it wrote, and sends a COMMIT but no BEGIN', async () => {
  const principal = `beginless-${randomUUID()}`;
  const inside = await writes.em.fork().transactional(async (tx) => {
    tx.create(IdempotencyRecord, record(principal));
    await tx.flush();
    return session(tx);
  });
  expect(inside.autocommit).toBe(0);
  // The insert opened the transaction that the COMMIT closed.
  expect(inside.inTransaction).toBe(1);
  for (const statements of [sent, wire]) {
    expect(statements.some((sql) => sql.startsWith('begin') || sql.startsWith('start transaction'))).toBe(false);
    expect(statements.filter((sql) => sql.startsWith('commit'))).toHaveLength(1);
  }
  expect(await orm.em.fork().findOne(IdempotencyRecord, { principal })).not.toBeNull();
  expect(await handedOn()).toEqual({ autocommit: 0, connectionId: inside.connectionId, inTransaction: 0 });
});

test('a transaction that throws rolls back all it wrote, and leaves no transaction open', async () => {
  const principal = `beginless-${randomUUID()}`;
  let inside: Awaited<ReturnType<typeof session>> | undefined;
  await expect(writes.em.fork().transactional(async (tx) => {
    tx.create(IdempotencyRecord, record(principal));
    await tx.flush();
    inside = await session(tx);
    throw new Error('refused');
  })).rejects.toThrow('refused');
  expect(sent.filter((sql) => sql.startsWith('rollback'))).toHaveLength(1);
  expect(inside?.inTransaction).toBe(1);
  expect(await orm.em.fork().findOne(IdempotencyRecord, { principal })).toBeNull();
  expect(await handedOn()).toEqual({ autocommit: 0, connectionId: inside?.connectionId, inTransaction: 0 });
});

test('a statement outside a transaction is refused before it is sent', async () => {
  await expect(writes.em.fork().findOne(IdempotencyRecord, { principal: 'nobody' })).rejects.toThrow(/inside a transaction only/);
  await expect(writes.em.fork().execute('select 1')).rejects.toThrow(/inside a transaction only/);
  // The pool's one connection is still fine, with nothing open on it.
  expect(await handedOn()).toMatchObject({ autocommit: 0, inTransaction: 0 });
});

test('a level or READ ONLY, which BEGIN would have set, is refused', async () => {
  await expect(writes.em.fork().transactional(async () => 1, { readOnly: true })).rejects.toThrow(/no isolation level and no READ ONLY/);
});

/** A key's row, as a statement for a packet; and how many rows a principal has, read apart. */
const insert = (principal: string, key: string) => ({
  sql: `insert into idempotency_keys (principal, operation, idem_key, request_hash, status_code, response_body, created_at) values (?, 'beginless-test', ?, 'h', 201, '{}', ?)`,
  params: [principal, key, new Date()],
});
const count = (principal: string) => orm.em.fork().count(IdempotencyRecord, { principal });

describe('sendTogether', () => {
  test('sends a transaction\'s statements in one packet, one round trip, and answers each one\'s result', async () => {
    const principal = `together-${randomUUID()}`;
    const results = await writes.em.fork().transactional((tx) => sendTogether(tx, [
      insert(principal, 'a'),
      insert(principal, 'b'),
      { sql: `update idempotency_keys set status_code = 200 where principal = ? and idem_key in ('a', 'b', 'c')`, params: [principal] },
      { sql: `delete from idempotency_keys where principal = ? and idem_key = 'nothing'`, params: [principal] },
    ]));
    expect(results.map((r) => r.affectedRows)).toEqual([1, 1, 2, 0]);
    // One write on the wire for the four, then the COMMIT.
    expect(wire).toHaveLength(2);
    expect(wire[1]).toMatch(/^commit/);
    expect(await count(principal)).toBe(2);
    expect((await handedOn()).inTransaction).toBe(0);
  });

  test('a statement that fails stops the packet, and the transaction rolls back what the ones before it did', async () => {
    const principal = `together-${randomUUID()}`;
    await expect(writes.em.fork().transactional((tx) => sendTogether(tx, [insert(principal, 'a'), insert(principal, 'a'), insert(principal, 'b')])))
      .rejects.toMatchObject({ code: 'ER_DUP_ENTRY' });
    expect(await count(principal)).toBe(0);
    expect((await handedOn()).inTransaction).toBe(0);
  });

  test('a packet may end in the COMMIT: no other is sent, and the connection is handed on with nothing open', async () => {
    const principal = `together-${randomUUID()}`;
    const results = await writes.em.fork().transactional(async (tx) => {
      // Not flushed yet: sent, and committed, before the packet.
      tx.create(IdempotencyRecord, record(principal));
      return sendTogether(tx, [insert(principal, 'a'), insert(principal, 'b')], { commit: true });
    });
    expect(results.map((r) => r.affectedRows)).toEqual([1, 1]);
    expect(wire).toHaveLength(2);
    expect(wire[0]).toMatch(/^insert into `idempotency_keys`/);
    expect(wire[1]).toMatch(/;\s*commit$/);
    expect(await count(principal)).toBe(3);
    expect(await handedOn()).toMatchObject({ autocommit: 0, inTransaction: 0 });
  });

  test('a statement that fails stops the packet before its COMMIT, and nothing is committed', async () => {
    const principal = `together-${randomUUID()}`;
    await expect(writes.em.fork().transactional((tx) => sendTogether(tx, [insert(principal, 'a'), insert(principal, 'a')], { commit: true })))
      .rejects.toMatchObject({ code: 'ER_DUP_ENTRY' });
    expect(wire.filter((sql) => sql.startsWith('rollback'))).toHaveLength(1);
    expect(await count(principal)).toBe(0);
    expect((await handedOn()).inTransaction).toBe(0);
  });

  test('a statement after a packet that committed opens a transaction, which is committed as usual', async () => {
    const principal = `together-${randomUUID()}`;
    await writes.em.fork().transactional(async (tx) => {
      await sendTogether(tx, [insert(principal, 'a'), insert(principal, 'b')], { commit: true });
      await sendTogether(tx, [insert(principal, 'c')]);
    });
    expect(wire.map((sql) => sql.slice(0, 6))).toEqual(['insert', 'insert', 'commit']);
    expect(await count(principal)).toBe(3);
    expect((await handedOn()).inTransaction).toBe(0);
  });

  test('after a packet that committed, the transaction\'s ROLLBACK undoes nothing', async () => {
    const principal = `together-${randomUUID()}`;
    await expect(writes.em.fork().transactional(async (tx) => {
      await sendTogether(tx, [insert(principal, 'a'), insert(principal, 'b')], { commit: true });
      throw new Error('too late');
    })).rejects.toThrow('too late');
    expect(await count(principal)).toBe(2);
    expect((await handedOn()).inTransaction).toBe(0);
  });

  test('a hold its balance cannot cover fails the table\'s check, which stops the packet before its COMMIT', async () => {
    const sellerId = `together-${randomUUID()}`.slice(0, 40);
    const now = new Date();
    await orm.em.fork().transactional((tx) => tx.execute(
      `insert into seller_accounts (seller_id, daily_count_limit, daily_amount_limit_fen, per_payout_limit_fen, available_fen, created_at, updated_at) values (?, 1, 1, 1, 500, ?, ?)`,
      [sellerId, now, now],
    ));
    const hold = (fen: number, key: string) => ({ key, kind: 'HOLD' as const, amountFen: fen, memo: 'beginless-test', at: now });
    const balances = () => orm.em.fork().execute(`select available_fen as available, held_fen as held from seller_accounts where seller_id = ?`, [sellerId]);
    // Guarded, a short balance moves no row; for a packet that commits, it fails instead.
    const [short] = await writes.em.fork().transactional((tx) => sendTogether(tx, [balancesStatement(sellerId, hold(501, 'a'))]));
    expect(short.affectedRows).toBe(0);
    await expect(writes.em.fork().transactional((tx) => sendTogether(tx, [
      entryStatement(sellerId, hold(501, `hold:${sellerId}`)),
      balancesStatement(sellerId, hold(501, `hold:${sellerId}`), { short: 'fails' }),
    ], { commit: true }))).rejects.toThrow(/seller_accounts_available_nonnegative/);
    expect(await balances()).toEqual([{ available: 500, held: 0 }]);
    expect(await orm.em.fork().count(LedgerEntry, { sellerId })).toBe(0);
    expect((await handedOn()).inTransaction).toBe(0);
    await writes.em.fork().transactional((tx) => sendTogether(tx, [balancesStatement(sellerId, hold(500, 'b'), { short: 'fails' })], { commit: true }));
    expect(await balances()).toEqual([{ available: 0, held: 500 }]);
  });

  test('on an ORM without packets the statements run one by one, with the same results', async () => {
    const principal = `together-${randomUUID()}`;
    const results = await orm.em.fork().transactional((tx) => sendTogether(tx, [insert(principal, 'a'), insert(principal, 'b'), insert(principal, 'c')]));
    expect(results.map((r) => r.affectedRows)).toEqual([1, 1, 1]);
    expect(await count(principal)).toBe(3);
    // The COMMIT asked of the packet is the transaction's own there: one that fails rolls back whole.
    await expect(orm.em.fork().transactional((tx) => sendTogether(tx, [insert(principal, 'd'), insert(principal, 'd')], { commit: true })))
      .rejects.toMatchObject({ code: 'ER_DUP_ENTRY' });
    expect(await count(principal)).toBe(3);
  });

  test('refuses a statement holding its own `;`, and runs nothing outside a transaction', async () => {
    const principal = `together-${randomUUID()}`;
    await expect(writes.em.fork().transactional((tx) => sendTogether(tx, [insert(principal, 'a'), { sql: 'select 1; select 2', params: [] }]))).rejects.toThrow(/without ';'/);
    await expect(sendTogether(writes.em.fork(), [insert(principal, 'a'), insert(principal, 'b')])).rejects.toThrow(/inside a transaction/);
    expect(await count(principal)).toBe(0);
  });
});

/** The payout's busiest transactions on the driver's connection (db/direct.ts), on the same pools. */
describe('directTransaction', () => {
  test('reads, then a packet that ends in the COMMIT: no BEGIN, no other COMMIT, every statement on the wire', async () => {
    const principal = `direct-${randomUUID()}`;
    const { rows, results } = await directTransaction(writes.em.fork(), async (tx) => ({
      rows: await tx.rows('select ? as principal, @@in_transaction as open', [principal]),
      results: await tx.sendTogether([insert(principal, 'a'), insert(principal, 'b')], { commit: true }),
    }));
    expect(rows).toEqual([{ principal, open: 0 }]);
    expect(results.map((r) => r.affectedRows)).toEqual([1, 1]);
    expect(wire).toHaveLength(2);
    expect(wire[0]).toMatch(/^select 'direct-/);
    expect(wire[1]).toMatch(/;\s*commit$/);
    // Not the ORM's: it logged nothing.
    expect(sent).toEqual([]);
    expect(await count(principal)).toBe(2);
    expect(await handedOn()).toMatchObject({ autocommit: 0, inTransaction: 0 });
  });

  test('a transaction that did not commit in a packet is committed after its work', async () => {
    const principal = `direct-${randomUUID()}`;
    await directTransaction(writes.em.fork(), (tx) => tx.sendTogether([insert(principal, 'a'), insert(principal, 'b')]));
    expect(wire.map((sql) => sql.slice(0, 6))).toEqual(['insert', 'commit']);
    expect(await count(principal)).toBe(2);
    expect((await handedOn()).inTransaction).toBe(0);
  });

  test('a statement that fails stops the packet before its COMMIT: rolled back, and the connection handed on with nothing open', async () => {
    const principal = `direct-${randomUUID()}`;
    await expect(directTransaction(writes.em.fork(), (tx) => tx.sendTogether([insert(principal, 'a'), insert(principal, 'a')], { commit: true })))
      .rejects.toMatchObject({ code: 'ER_DUP_ENTRY' });
    expect(wire.at(-1)).toBe('rollback');
    expect(await count(principal)).toBe(0);
    expect((await handedOn()).inTransaction).toBe(0);
  });

  test('work that throws rolls back what it wrote; after a committing packet, nothing more is sent', async () => {
    const principal = `direct-${randomUUID()}`;
    await expect(directTransaction(writes.em.fork(), async (tx) => {
      await tx.sendTogether([insert(principal, 'a'), insert(principal, 'b')]);
      throw new Error('changed my mind');
    })).rejects.toThrow('changed my mind');
    expect(await count(principal)).toBe(0);
    await expect(directTransaction(writes.em.fork(), async (tx) => {
      await tx.sendTogether([insert(principal, 'c'), insert(principal, 'd')], { commit: true });
      await tx.rows('select 1', []);
    })).rejects.toThrow(/committed with its last packet/);
    expect(await count(principal)).toBe(2);
    expect((await handedOn()).inTransaction).toBe(0);
  });

  test('on an ORM without packets: a BEGIN, the statements one by one, the COMMIT', async () => {
    const principal = `direct-${randomUUID()}`;
    const onOrm: string[] = [];
    const listen = (query: { sql: string }) => onOrm.push(query.sql.trim().toLowerCase().slice(0, 6));
    orm.em.getKnex().on('query', listen);
    try {
      const results = await directTransaction(orm.em.fork(), (tx) => tx.sendTogether([insert(principal, 'a'), insert(principal, 'b')], { commit: true }));
      expect(results.map((r) => r.affectedRows)).toEqual([1, 1]);
      await expect(directTransaction(orm.em.fork(), (tx) => tx.sendTogether([insert(principal, 'c'), insert(principal, 'c')], { commit: true })))
        .rejects.toMatchObject({ code: 'ER_DUP_ENTRY' });
    } finally {
      orm.em.getKnex().off('query', listen);
    }
    expect(onOrm).toEqual(['begin', 'insert', 'insert', 'commit', 'begin', 'insert', 'insert', 'rollba']);
    expect(await count(principal)).toBe(2);
  });
});
