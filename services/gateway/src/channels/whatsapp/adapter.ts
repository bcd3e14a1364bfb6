import { Channel, type OutboundMessageCommand } from '@careloop/contracts';
import type { ChannelAdapter, ParsedDelivery, SendableContent, SendOutcome } from '../channel-adapter';
import type { HttpTransport, SendSlot } from '../http-transport';
import { postToGraph } from '../meta-graph';
import { validateWhatsappContent } from './limits';
import { toCloudApiMessage } from './payload';
import { parseWhatsappWebhook } from './webhook';

export interface WhatsappSettings {
  readonly appSecrets: readonly string[];
  readonly verifyToken: string;
  readonly accessToken: string;
  /** https://graph.facebook.com in production; the simulator's URL locally. */
  readonly graphBaseUrl: string;
  readonly apiVersion: string;
  readonly sendTimeoutMs: number;
  /** How requests leave (the gateway's send clock). */
  readonly transport: HttpTransport;
}

export class WhatsappAdapter implements ChannelAdapter {
  readonly channel = Channel.CHANNEL_WHATSAPP;
  readonly name = 'whatsapp';

  constructor(private readonly settings: WhatsappSettings) {}

  get appSecrets(): readonly string[] {
    return this.settings.appSecrets;
  }

  get verifyToken(): string {
    return this.settings.verifyToken;
  }

  parseWebhook(body: unknown, receivedAt: Date): ParsedDelivery {
    return parseWhatsappWebhook(body, receivedAt);
  }

  validate(command: OutboundMessageCommand): string[] {
    const problems = validateWhatsappContent(command.content);
    if (command.templateFallback) problems.push(...validateWhatsappContent({ $case: 'template', value: command.templateFallback }).map((p) => `template fallback: ${p}`));
    if (command.content?.$case !== 'markRead' && !command.to?.channelUserId) problems.push('recipient channel_user_id is required');
    return problems;
  }

  send(command: OutboundMessageCommand, content: SendableContent, slot?: SendSlot): Promise<SendOutcome> {
    const { graphBaseUrl, apiVersion, accessToken, sendTimeoutMs } = this.settings;
    const phoneNumberId = command.from?.endpointId ?? '';
    return postToGraph({
      url: `${graphBaseUrl.replace(/\/$/, '')}/${apiVersion}/${encodeURIComponent(phoneNumberId)}/messages`,
      accessToken,
      body: toCloudApiMessage(command, content),
      timeoutMs: sendTimeoutMs,
      messageIdOf: (json) => {
        const body = json as { messages?: { id?: string }[]; success?: boolean } | undefined;
        if (content.$case === 'markRead') return body?.success ? `read:${content.value.messageId}` : undefined;
        return body?.messages?.[0]?.id;
      },
    }, this.settings.transport, slot);
  }
}
