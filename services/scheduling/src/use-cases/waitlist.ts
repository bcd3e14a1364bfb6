import { Topics, WaitlistChangeKind, WaitlistChanged } from '@careloop/contracts';
import { nameBasedId, type EventBus } from '@careloop/bus';
import type { Clock } from '../domain/clock';
import { parseSlotId } from '../domain/ids';
import type { Addressing } from '../adapters/appointment-store';
import type { DirectoryStore } from '../adapters/directory-store';
import type { WaitlistEntries, WaitlistEntry, WaitlistOffer, WaitlistOffers } from '../adapters/waitlist-store';
import type { SlotHolds } from '../adapters/slot-store';
import type { Appointments, BookResult, FreedSlot } from './appointments';
import { NotFoundError } from './appointments';

export interface JoinInput {
  readonly tenantId: string;
  readonly requestId: string;
  readonly departmentId: string;
  readonly practitionerId: string;
  readonly facilityId: string;
  readonly patientId: string;
  readonly contactId: string;
  readonly addressing?: Addressing | undefined;
  readonly language: string;
  readonly currentAppointmentId: string;
  readonly before?: Date | undefined;
}

/** Tells the patient of an offer (the booking dialogue sends the buttons). */
export type OfferNotifier = (entry: WaitlistEntry, offer: WaitlistOffer) => Promise<void>;

export type AcceptResult = { readonly outcome: 'gone' } | { readonly outcome: 'taken' } | { readonly outcome: 'booked'; readonly result: BookResult };

const KIND = {
  joined: WaitlistChangeKind.WAITLIST_CHANGE_KIND_JOINED,
  offered: WaitlistChangeKind.WAITLIST_CHANGE_KIND_OFFERED,
  accepted: WaitlistChangeKind.WAITLIST_CHANGE_KIND_ACCEPTED,
  declined: WaitlistChangeKind.WAITLIST_CHANGE_KIND_DECLINED,
  expired: WaitlistChangeKind.WAITLIST_CHANGE_KIND_EXPIRED,
  withdrawn: WaitlistChangeKind.WAITLIST_CHANGE_KIND_OFFER_WITHDRAWN,
  left: WaitlistChangeKind.WAITLIST_CHANGE_KIND_LEFT,
} as const;

/**
 * The waitlist: a freed slot is offered to waiting patients in the order they joined, a few at
 * a time; the first to accept books it (the slot hold decides), the others' offers are
 * withdrawn, and an unanswered offer expires so the next in line gets it.
 */
export class Waitlist {
  constructor(
    private readonly deps: {
      readonly entries: WaitlistEntries;
      readonly offers: WaitlistOffers;
      readonly holds: SlotHolds;
      readonly directory: DirectoryStore;
      readonly appointments: () => Appointments;
      readonly bus: EventBus;
      readonly clock: Clock;
      readonly offerMinutes: number;
      readonly parallelOffers: number;
      readonly notify: () => OfferNotifier;
    },
  ) {}

  async join(input: JoinInput): Promise<WaitlistEntry> {
    const now = this.deps.clock.now();
    const current = input.currentAppointmentId ? await this.deps.appointments().get(input.tenantId, input.currentAppointmentId) : undefined;
    const entry: WaitlistEntry = {
      entryId: nameBasedId(input.tenantId, 'waitlist', input.requestId),
      tenantId: input.tenantId,
      departmentId: input.departmentId || current?.departmentId || '',
      practitionerId: input.practitionerId,
      facilityId: input.facilityId,
      patientId: input.patientId || current?.patientId || '',
      contactId: input.contactId || current?.contactId || '',
      addressing: input.addressing ?? current?.addressing,
      language: input.language || current?.language || 'en',
      currentAppointmentId: current?.appointmentId ?? '',
      before: input.before ?? current?.start ?? new Date(now.getTime() + 30 * 86_400_000),
      createdAt: now,
      status: 'waiting',
      version: 1,
    };
    if (await this.deps.entries.add(entry)) await this.publish('joined', entry, entry.version);
    return (await this.deps.entries.get(input.tenantId, entry.entryId)) ?? entry;
  }

  /** A slot came free: offer it to the next waiting patients who have not been offered it. */
  async onSlotFreed(slot: FreedSlot): Promise<void> {
    const appointments = this.deps.appointments();
    const resolved = await appointments.resolveSlot(slot.tenantId, slot.slotId);
    if (!resolved) return;
    const now = this.deps.clock.now();
    const start = new Date(resolved.startMinute * 60_000);
    if (start.getTime() <= now.getTime()) return;
    if (await this.isFull(slot.tenantId, resolved.practitionerId, resolved.startMinute, resolved.capacity)) return;
    const previous = await this.deps.offers.forSlot(slot.tenantId, slot.slotId);
    const offeredTo = new Set(previous.map((o) => o.entryId));
    const open = previous.filter((o) => o.status === 'open' && o.expiresAt.getTime() > now.getTime()).length;
    let room = this.deps.parallelOffers - open;
    if (room <= 0) return;
    const waiting = await this.deps.entries.waiting(slot.tenantId, resolved.departmentId);
    let position = 0;
    for (const entry of waiting) {
      position++;
      if (room <= 0) break;
      if (offeredTo.has(entry.entryId)) continue;
      if (entry.currentAppointmentId === slot.freedBy) continue;
      if (entry.practitionerId && entry.practitionerId !== resolved.practitionerId) continue;
      if (entry.facilityId && entry.facilityId !== resolved.facilityId) continue;
      if (start.getTime() >= entry.before.getTime()) continue;
      const offer: WaitlistOffer = {
        offerId: nameBasedId(slot.tenantId, 'offer', entry.entryId, slot.slotId),
        tenantId: slot.tenantId,
        entryId: entry.entryId,
        slotId: slot.slotId,
        departmentId: resolved.departmentId,
        practitionerId: resolved.practitionerId,
        start,
        end: new Date((resolved.startMinute + resolved.minutes) * 60_000),
        expiresAt: new Date(now.getTime() + this.deps.offerMinutes * 60_000),
        freedBy: slot.freedBy,
        position,
        status: 'open',
        createdAt: now,
      };
      if (!(await this.deps.offers.create(offer))) continue;
      room--;
      await this.publish('offered', entry, await this.deps.entries.bumpVersion(slot.tenantId, entry.entryId), offer);
      await this.deps.notify()(entry, offer);
    }
  }

  /** The patient pressed "take it": book the slot (or move their appointment to it), if still free. */
  async accept(tenantId: string, offerId: string, requestId: string): Promise<AcceptResult> {
    const offer = await this.deps.offers.get(tenantId, offerId);
    if (!offer) throw new NotFoundError('offer not found');
    const entry = await this.deps.entries.get(tenantId, offer.entryId);
    const now = this.deps.clock.now();
    if (!entry || offer.status !== 'open' || offer.expiresAt.getTime() <= now.getTime() || entry.status !== 'waiting') return { outcome: 'gone' };
    const appointments = this.deps.appointments();
    const result = entry.currentAppointmentId
      ? await appointments.reschedule(tenantId, entry.currentAppointmentId, offer.slotId, requestId, 'patient')
      : await appointments.book({
          tenantId,
          requestId,
          slotId: offer.slotId,
          patientId: entry.patientId,
          contactId: entry.contactId,
          bookingChannel: 'chat',
          addressing: entry.addressing,
          language: entry.language,
          source: 'patient',
          waitlistEntryId: entry.entryId,
        });
    if (result.outcome !== 'booked') {
      if (await this.deps.offers.transition(tenantId, offerId, 'open', 'withdrawn')) await this.publish('withdrawn', entry, await this.deps.entries.bumpVersion(tenantId, entry.entryId), offer);
      return { outcome: 'taken' };
    }
    await this.deps.offers.transition(tenantId, offerId, 'open', 'accepted');
    if (await this.deps.entries.transition(tenantId, entry.entryId, 'waiting', 'accepted')) await this.publish('accepted', entry, entry.version + 1, offer);
    for (const other of await this.deps.offers.forSlot(tenantId, offer.slotId)) {
      if (other.offerId === offerId || other.status !== 'open') continue;
      const otherEntry = await this.deps.entries.get(tenantId, other.entryId);
      if (otherEntry && (await this.deps.offers.transition(tenantId, other.offerId, 'open', 'withdrawn'))) await this.publish('withdrawn', otherEntry, await this.deps.entries.bumpVersion(tenantId, otherEntry.entryId), other);
    }
    return { outcome: 'booked', result };
  }

  async decline(tenantId: string, offerId: string): Promise<void> {
    const offer = await this.deps.offers.get(tenantId, offerId);
    if (!offer) throw new NotFoundError('offer not found');
    const entry = await this.deps.entries.get(tenantId, offer.entryId);
    if (!entry) return;
    if (await this.deps.offers.transition(tenantId, offerId, 'open', 'declined')) await this.publish('declined', entry, await this.deps.entries.bumpVersion(tenantId, entry.entryId), offer);
    else if (offer.status !== 'declined') return;
    // Also when the decline was recorded by an earlier attempt that failed before this point:
    // offering is idempotent (one offer per entry and slot), and the slot must not stay unoffered.
    await this.onSlotFreed({ tenantId, slotId: offer.slotId, departmentId: offer.departmentId, freedBy: offer.freedBy });
  }

  /**
   * Expires unanswered offers and offers their slots to the next in line — in that order of
   * work, the next offer first: an offer past its time no longer counts as open, and one that
   * stays `open` until the next patient has theirs is swept again if anything fails between.
   */
  async sweep(tenantId: string): Promise<number> {
    const now = this.deps.clock.now();
    let expired = 0;
    for (const offer of await this.deps.offers.open(tenantId)) {
      if (offer.expiresAt.getTime() > now.getTime()) continue;
      await this.onSlotFreed({ tenantId, slotId: offer.slotId, departmentId: offer.departmentId, freedBy: offer.freedBy });
      if (!(await this.deps.offers.transition(tenantId, offer.offerId, 'open', 'expired'))) continue;
      expired++;
      const entry = await this.deps.entries.get(tenantId, offer.entryId);
      if (entry) await this.publish('expired', entry, await this.deps.entries.bumpVersion(tenantId, entry.entryId), offer);
    }
    return expired;
  }

  private async isFull(tenantId: string, practitionerId: string, startMinute: number, capacity: number): Promise<boolean> {
    for (let seat = 0; seat < capacity; seat++) {
      if (!(await this.deps.holds.get(tenantId, `${tenantId}|${practitionerId}|${startMinute}|${seat}`))) return false;
    }
    return true;
  }

  private async publish(kind: keyof typeof KIND, entry: WaitlistEntry, version: number, offer?: WaitlistOffer): Promise<void> {
    const facilityId = entry.facilityId || '';
    const d = await this.deps.directory.directory(entry.tenantId);
    const offerFacility = offer ? (parseSlotId(offer.slotId)?.facilityId ?? '') : '';
    const facility = d.facilities.get(offerFacility || facilityId);
    const event = WaitlistChanged.fromPartial({
      kind: KIND[kind],
      waitlistEntryId: entry.entryId,
      tenantId: entry.tenantId,
      facilityId: offerFacility || facilityId,
      facilityTimeZone: facility?.timeZone ?? '',
      departmentId: entry.departmentId,
      practitionerId: entry.practitionerId,
      serviceType: '',
      patientId: entry.patientId,
      contactId: entry.contactId,
      ...(entry.addressing
        ? {
            endpoint: { channel: entry.addressing.channel, endpointId: entry.addressing.endpointId, displayAddress: entry.addressing.displayAddress, accountId: entry.addressing.accountId },
            recipient: { channel: entry.addressing.channel, channelUserId: entry.addressing.channelUserId },
          }
        : {}),
      language: entry.language,
      currentAppointmentId: entry.currentAppointmentId,
      changedAt: this.deps.clock.now(),
      version,
      ...(offer
        ? { offerId: offer.offerId, offeredSlotId: offer.slotId, offeredPractitionerId: offer.practitionerId, offeredStart: offer.start, offeredEnd: offer.end, offerExpiresAt: offer.expiresAt, freedByAppointmentId: offer.freedBy, position: offer.position }
        : {}),
    });
    await this.deps.bus.publish(Topics.waitlistChanged, event, {
      key: entry.entryId,
      tenantId: entry.tenantId,
      facilityId: event.facilityId,
      id: nameBasedId(entry.tenantId, 'waitlist', entry.entryId, kind, offer?.offerId ?? '', String(version)),
    });
  }
}
