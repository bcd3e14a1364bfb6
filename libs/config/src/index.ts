export { z } from 'zod';
export { ConfigError, type ConfigIssue } from './config-error';
export { loadConfig, type Env } from './load-config';
export * as setting from './settings';
export type { KeyRingSetting } from './settings';
