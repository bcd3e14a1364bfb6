import { randomBytes } from 'node:crypto';

/**
 * The consumer-group prefix of this test file. Services started by tests name fixed groups
 * (`routing.turns`); without a prefix a test run beside `npm start`, or two runs at once, would
 * split each other's partitions and one would never see its own events. Fixed while the file
 * runs (jest loads modules afresh per file), so a service restarted within a test finds its
 * committed offsets again.
 */
export const TEST_GROUP_PREFIX = `test-${process.pid}-${randomBytes(3).toString('hex')}.`;

/**
 * Where this file's new groups start (KAFKA_NEW_GROUPS_START_AT): at the records written from
 * a little before the file began, not at the start of a topic that holds every earlier test's
 * events, and not at its end, which would lose events published while a consumer was joining.
 */
export const TEST_GROUPS_START_AT = new Date(Date.now() - 2_000).toISOString();
