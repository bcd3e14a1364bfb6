import { ConfigError, loadConfig, setting, z } from '@careloop/config';

const schema = z.object({
  KAFKA_BROKERS: setting.hostPortList(),
  HTTP_PORT: setting.port(8080),
  FEATURE_X: setting.boolean(false),
  PHI_ENCRYPTION_KEYS: setting.keyRing(),
});

const key = Buffer.alloc(32, 7).toString('base64');

describe('loadConfig', () => {
  it('returns typed settings with defaults applied', () => {
    const config = loadConfig('svc', schema, { KAFKA_BROKERS: 'a:1, b:2', PHI_ENCRYPTION_KEYS: `k2:${key},k1:${key}`, FEATURE_X: 'yes' });
    expect(config.KAFKA_BROKERS).toEqual(['a:1', 'b:2']);
    expect(config.HTTP_PORT).toBe(8080);
    expect(config.FEATURE_X).toBe(true);
    expect(config.PHI_ENCRYPTION_KEYS.map((k) => k.id)).toEqual(['k2', 'k1']);
  });

  it('names every missing or malformed setting and never echoes values', () => {
    let error: unknown;
    try {
      loadConfig('svc', schema, { KAFKA_BROKERS: 'no-port', HTTP_PORT: '99999', PHI_ENCRYPTION_KEYS: 'k1:c2hvcnQ=' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const configError = error as ConfigError;
    expect(configError.issues.map((i) => i.setting).sort()).toEqual(['HTTP_PORT', 'KAFKA_BROKERS.0', 'PHI_ENCRYPTION_KEYS']);
    expect(configError.message).toContain('Invalid configuration for svc');
    expect(configError.message).not.toContain('c2hvcnQ=');
  });

  it('treats an empty value as unset', () => {
    expect(() => loadConfig('svc', schema, { KAFKA_BROKERS: '  ', PHI_ENCRYPTION_KEYS: `k1:${key}` })).toThrow(/KAFKA_BROKERS: is required but not set/);
  });
});
