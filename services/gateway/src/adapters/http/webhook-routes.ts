import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from '@careloop/observability';
import type { ChannelAdapter } from '../../channels/channel-adapter';
import type { ReceiveWebhook } from '../../use-cases/receive-webhook';
import type { GatewayMetrics } from '../gateway-metrics';

/**
 * `GET /webhooks/<channel>`: Meta's subscription handshake.
 * `POST /webhooks/<channel>`: deliveries, kept as raw bytes for the signature.
 * Bad input is always a 4xx with a reason; only our own unavailability is a 503.
 */
export function webhookRouter(adapters: readonly ChannelAdapter[], receive: ReceiveWebhook, metrics: GatewayMetrics, logger: Logger, maxBytes: number): express.Router {
  const router = express.Router();
  for (const adapter of adapters) {
    const path = `/webhooks/${adapter.name}`;

    router.get(path, (req, res) => {
      const mode = req.query['hub.mode'];
      const token = req.query['hub.verify_token'];
      const challenge = req.query['hub.challenge'];
      if (mode === 'subscribe' && typeof token === 'string' && token === adapter.verifyToken && typeof challenge === 'string') {
        res.status(200).type('text/plain').send(challenge);
        return;
      }
      res.status(403).json({ result: 'rejected', reason: 'verify token mismatch' });
    });

    router.post(path, express.raw({ type: () => true, limit: maxBytes }), (req: Request, res: Response, next: NextFunction) => {
      const started = performance.now();
      const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      receive
        .execute(adapter, { rawBody, signature: req.get('x-hub-signature-256') })
        .then((answer) => {
          metrics.webhookDuration(adapter.name, (performance.now() - started) / 1000);
          res.status(answer.status).json(answer.body);
        })
        .catch(next);
    });
  }

  // Errors of the body reader (too large, aborted, bad encoding) are the sender's: 4xx.
  router.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const channel = req.path.split('/')[2] ?? 'unknown';
    const status = typeof error === 'object' && error !== null && 'status' in error && typeof error.status === 'number' ? error.status : 500;
    if (status === 413) {
      metrics.webhookRejected(channel, 'too_large');
      res.status(413).json({ result: 'rejected', reason: `body exceeds ${maxBytes} bytes` });
      return;
    }
    if (status >= 400 && status < 500) {
      metrics.webhookRejected(channel, 'bad_request');
      res.status(status).json({ result: 'rejected', reason: 'unreadable request body' });
      return;
    }
    logger.error({ err: { name: error instanceof Error ? error.name : 'Error', message: error instanceof Error ? error.message : '' }, channel }, 'webhook handling failed');
    metrics.webhookRejected(channel, 'unavailable');
    res.status(503).json({ result: 'retry', reason: 'temporarily unavailable' });
  });
  return router;
}
