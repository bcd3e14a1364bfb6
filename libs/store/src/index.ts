export { MissingTenantError, FieldDecryptionError, StoreUnavailableError } from './errors';
export { FieldCipher, generateKey, type FieldContext, type KeyMaterial } from './field-encryption';
export { connectMongo, ensureCollection, isMongoConnected, modelFor, type MongoSettings } from './mongo';
export { TenantRepository, tenantGuard, type TenantOwned } from './tenant-repository';
export { MongoProcessedEvents, type EventToCheck, type RecentMarks } from './processed-events';
export { duplicateKeyIndexes, GroupCommit, GroupCommitWithResults, GroupCommittedInserts, onlyDuplicateKeys } from './group-commit';
export { connectRedis, isRedisConnected, redisKeyPrefix, Redis, type RedisSettings } from './redis';
