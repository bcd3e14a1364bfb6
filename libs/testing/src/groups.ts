import { randomBytes } from 'node:crypto';

/**
 * The consumer-group prefix of this test process. Services started by tests
 * name fixed groups (`routing.turns`); without a prefix a test run beside
 * `npm start`, or two runs at once, would split each other's partitions and
 * one would never see its own events. Fixed for the life of the process, so a
 * service restarted within a test finds its committed offsets again.
 */
export const TEST_GROUP_PREFIX = `test-${process.pid}-${randomBytes(3).toString('hex')}.`;
