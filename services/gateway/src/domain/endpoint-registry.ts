import { z } from 'zod';

export const endpointSchema = z.object({
  channel: z.enum(['whatsapp', 'messenger']),
  /** WhatsApp phone_number_id, Messenger page id. */
  endpointId: z.string().min(1),
  tenantId: z.string().min(1),
  facilityId: z.string().default(''),
});

export type EndpointBinding = z.infer<typeof endpointSchema>;

/** Which hospital network (and facility) each business number or page belongs to. */
export class EndpointRegistry {
  private readonly bindings: ReadonlyMap<string, EndpointBinding>;

  constructor(bindings: readonly EndpointBinding[]) {
    this.bindings = new Map(bindings.map((b) => [`${b.channel}:${b.endpointId}`, b]));
  }

  resolve(channel: string, endpointId: string): EndpointBinding | undefined {
    return this.bindings.get(`${channel}:${endpointId}`);
  }
}
