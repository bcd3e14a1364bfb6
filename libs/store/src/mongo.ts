import mongoose, { type Connection, type Model, type Schema } from 'mongoose';

export interface MongoSettings {
  readonly uri: string;
  /** One database per service: "careloop_<service>". */
  readonly dbName: string;
  readonly serverSelectionTimeoutMs?: number;
  /** Concurrent operations per service replica (the driver's pool). */
  readonly maxPoolSize?: number;
}

/**
 * Opens the service's own connection (never the mongoose global, so tests can
 * hold several). Index builds are explicit (`syncIndexes`) at start, not
 * automatic, so that a missing unique index is an error at boot, not a race.
 */
export async function connectMongo(settings: MongoSettings): Promise<Connection> {
  // Mongoose captures a stack trace per query by default (about 5% of a busy service's CPU).
  mongoose.set('skipOriginalStackTraces', true);
  const connection = mongoose.createConnection(settings.uri, {
    dbName: settings.dbName,
    serverSelectionTimeoutMS: settings.serverSelectionTimeoutMs ?? 5_000,
    maxPoolSize: settings.maxPoolSize ?? 20,
    autoIndex: false,
    autoCreate: true,
  });
  await connection.asPromise();
  return connection;
}

export async function isMongoConnected(connection: Connection, timeoutMs = 2_000): Promise<boolean> {
  if (connection.readyState !== mongoose.ConnectionStates.connected || !connection.db) return false;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      connection.db.admin().ping().then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** The connection's model of that name, compiled once: repositories are cheap to construct twice. */
export function modelFor<T>(connection: Connection, name: string, schema: Schema<T>): Model<T> {
  return (connection.models[name] as Model<T> | undefined) ?? connection.model<T>(name, schema);
}

/**
 * Creates the collection and its declared indexes (autoIndex is off: a missing
 * unique index must fail at start, not race with the first writes).
 */
export async function ensureCollection<T>(model: Model<T>): Promise<void> {
  await model.createCollection().catch(() => undefined);
  await model.syncIndexes();
}
