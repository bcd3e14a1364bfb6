import type { Connection } from '../adapters/connector-registry';
import { CircuitOpenError } from '../domain/errors';
import type { EventRef, SyncDeps } from './ports';

/**
 * One connector's write of a live event. When the connector's circuit is open the write is
 * parked (the payload is already in the journal) instead of failing the event, so the event is
 * acknowledged and the partition goes on with other tenants' events; the drainer applies parked
 * writes once the EHR answers. While a key has parked writes, its later writes park behind them:
 * order per key holds. Short failures with the circuit still closed are retried in place.
 */
export async function writeOrPark(deps: SyncDeps, connection: Connection, key: string, event: EventRef | undefined, write: () => Promise<void>): Promise<'written' | 'parked'> {
  const { parking } = deps;
  if (!parking || !event) {
    await write();
    return 'written';
  }
  const { tenantId, connectorId } = connection.connector;
  const park = async () => {
    await parking.park({ tenantId, connectorId, key, eventId: event.eventId, topic: event.topic });
    deps.logger.info({ tenantId, connectorId, eventId: event.eventId }, 'write parked until the connector answers');
    return 'parked' as const;
  };
  if (await parking.waiting(tenantId, connectorId, key)) return park();
  try {
    await write();
    return 'written';
  } catch (error) {
    if (error instanceof CircuitOpenError) return park();
    throw error;
  }
}
