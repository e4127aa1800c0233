/**
 * The SDK's logger over pino (worker/logging.ts): the SDK's metadata become the line's fields and
 * its `error` pino's `err`; a line below the logger's level is dropped before its metadata is read
 * (the SDK traces every workflow activation with the whole activation). Against an in-memory stream.
 */
import { sdkLogger } from '../../worker/logging';
import { loggedLines } from '../support/log-lines';

describe('sdkLogger', () => {
  it("writes the SDK's metadata as the line's fields and its error as err", () => {
    const { lines, logger } = loggedLines('info');
    const log = sdkLogger(logger);
    log.info('Worker state changed', { taskQueue: 'payouts', state: 'RUNNING' });
    log.error('Activity failed', { activityType: 'reservePayout', error: new Error('the database is down') });
    expect(lines).toEqual([
      expect.objectContaining({ level: 30, msg: 'Worker state changed', taskQueue: 'payouts', state: 'RUNNING' }),
      expect.objectContaining({ level: 50, msg: 'Activity failed', activityType: 'reservePayout', err: expect.objectContaining({ message: 'the database is down' }) }),
    ]);
  });

  it("drops a line below the logger's level without reading its metadata", () => {
    const { lines, logger } = loggedLines('info');
    const activation = new Proxy({}, {
      ownKeys() {
        throw new Error('the metadata was read');
      },
    });
    const log = sdkLogger(logger);
    log.trace('Got workflow activation', activation);
    log.debug('Activity started', activation);
    log.log('TRACE', 'Completed activation', activation);
    expect(lines).toEqual([]);
  });

  it('drops a line below its own least level whatever the logger writes', () => {
    const { lines, logger } = loggedLines('trace');
    const log = sdkLogger(logger, 'WARN');
    log.info('bundling');
    log.warn('a large bundle');
    expect(lines.map((line) => line.msg)).toEqual(['a large bundle']);
  });
});
