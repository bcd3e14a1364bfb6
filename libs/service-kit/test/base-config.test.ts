import { baseSettings } from '@careloop/service-kit';

describe('baseSettings', () => {
  const settings = baseSettings('probe', { kafka: true }, { ops: 9999 });
  const parse = (env: Record<string, string>) => settings.safeParse({ KAFKA_BROKERS: '127.0.0.1:19092', ...env });

  it('reads KAFKA_NEW_GROUPS_START_AT as earliest (default), latest or a point in time', () => {
    expect(parse({}).data?.KAFKA_NEW_GROUPS_START_AT).toBe('earliest');
    expect(parse({ KAFKA_NEW_GROUPS_START_AT: 'latest' }).data?.KAFKA_NEW_GROUPS_START_AT).toBe('latest');
    const at = parse({ KAFKA_NEW_GROUPS_START_AT: '2026-12-02T07:00:00+01:00' }).data?.KAFKA_NEW_GROUPS_START_AT;
    expect(at instanceof Date ? at.toISOString() : at).toBe('2026-12-02T06:00:00.000Z');
  });

  it('refuses anything else, naming the setting', () => {
    const result = parse({ KAFKA_NEW_GROUPS_START_AT: 'yesterday' });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['KAFKA_NEW_GROUPS_START_AT']);
    expect(parse({ KAFKA_CONSUMER_GROUP_PREFIX: 'a b' }).error?.issues[0]?.path).toEqual(['KAFKA_CONSUMER_GROUP_PREFIX']);
  });
});
