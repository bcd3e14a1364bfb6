import type { Connection } from 'mongoose';
import type { Clock } from '../domain/clock';
import { DirectoryStore, type PractitionerRecord } from '../adapters/directory-store';
import { SlotDays } from '../adapters/slot-store';
import { ManageDirectory } from '../use-cases/manage-directory';
import type { Network } from './demo-network';

/** Writes a network and its slot days with bulk writes (the seed and the benchmark). */
export async function applyNetwork(connection: Connection, network: Network, clock: Clock, horizonDays: number): Promise<{ slotDays: number; slots: number }> {
  const directory = new DirectoryStore(connection);
  const days = new SlotDays(connection);
  await Promise.all([directory.init(), days.init()]);
  const t = network.tenantId;
  await directory.registerTenant(t);
  await directory.facilities.putMany(t, network.facilities.map((f) => ({ id: f.facilityId, value: f })));
  await directory.departments.putMany(t, network.departments.map((d) => ({ id: d.departmentId, value: d })));
  await directory.practitioners.putMany(t, network.practitioners.map((p) => ({ id: p.practitionerId, value: p })));
  await directory.schedules.putMany(t, network.schedules.map((s) => ({ id: s.scheduleId, value: s })));
  directory.invalidate(t);
  const manage = new ManageDirectory(directory, days, clock, horizonDays);
  const facilities = new Map(network.facilities.map((f) => [f.facilityId, f]));
  const practitioners = new Map<string, PractitionerRecord>(network.practitioners.map((p) => [p.practitionerId, p]));
  const departments = new Map(network.departments.map((d) => [d.departmentId, d]));
  const generated = network.schedules.flatMap((s) => {
    const facility = facilities.get(s.facilityId);
    const practitioner = practitioners.get(s.practitionerId);
    const minutes = s.slotMinutes || departments.get(s.departmentId)?.serviceTypes.find((x) => x.code === s.serviceType)?.minutes || 30;
    return facility && practitioner ? manage.generate(t, { ...s, slotMinutes: minutes }, facility, practitioner) : [];
  });
  await days.clearTenant(t);
  // In batches, each retried once on a dropped connection (a busy local FerretDB may restart).
  for (let i = 0; i < generated.length; i += 500) {
    const batch = generated.slice(i, i + 500);
    await days.insertMany(t, batch).catch(async () => {
      await days.deleteByIds(t, batch.map((d) => d._id));
      await days.insertMany(t, batch);
    });
  }
  return { slotDays: generated.length, slots: generated.reduce((n, d) => n + d.slots.length, 0) };
}
