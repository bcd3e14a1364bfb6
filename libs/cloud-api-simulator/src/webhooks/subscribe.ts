import { newChallenge } from '../ids';

export interface SubscriptionResult {
  readonly ok: boolean;
  readonly url: string;
  readonly challenge: string;
  readonly statusCode?: number;
  readonly responseBody?: string;
  readonly error?: string;
}

/**
 * Meta's verification request when a webhook URL is configured: `GET <url>?hub.mode=subscribe&
 * hub.challenge=<int>&hub.verify_token=<token>`; the endpoint must answer 200 with the challenge as
 * its body (Graph API "Webhooks: Getting started" → Verification requests).
 */
export async function verifySubscription(url: string, verifyToken: string, timeoutMs = 10_000): Promise<SubscriptionResult> {
  const challenge = newChallenge();
  const target = new URL(url);
  target.searchParams.set('hub.mode', 'subscribe');
  target.searchParams.set('hub.challenge', challenge);
  target.searchParams.set('hub.verify_token', verifyToken);
  try {
    const response = await fetch(target, { method: 'GET', headers: { 'user-agent': 'facebookplatform/1.0' }, signal: AbortSignal.timeout(timeoutMs) });
    const responseBody = await response.text();
    return { ok: response.status === 200 && responseBody.trim() === challenge, url, challenge, statusCode: response.status, responseBody };
  } catch (error) {
    return { ok: false, url, challenge, error: error instanceof Error ? error.message : String(error) };
  }
}
