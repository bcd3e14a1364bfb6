import { randomBytes } from 'node:crypto';
import { Router } from 'express';
import type { Redis } from '@careloop/store';

/**
 * Calendar files served by link: an unguessable token (192 random bits) that expires, and a
 * file name without PHI. WhatsApp fetches the document from the link when it delivers it.
 */
export class CalendarLinks {
  constructor(
    private readonly redis: Redis,
    private readonly baseUrl: string,
    private readonly ttlSeconds: number,
  ) {}

  get enabled(): boolean {
    return this.baseUrl !== '';
  }

  async publish(ics: string): Promise<string> {
    const token = randomBytes(24).toString('base64url');
    await this.redis.set(`ics:${token}`, ics, 'EX', this.ttlSeconds);
    return `${this.baseUrl.replace(/\/$/, '')}/ics/${token}.ics`;
  }

  router(): Router {
    const router = Router();
    router.get('/ics/:file', (req, res, next) => {
      const m = /^([A-Za-z0-9_-]{32})\.ics$/.exec(req.params.file);
      if (!m) {
        res.status(404).end();
        return;
      }
      this.redis
        .get(`ics:${m[1]}`)
        .then((ics) => {
          if (ics === null) {
            res.status(404).end();
            return;
          }
          res.setHeader('Content-Type', 'text/calendar; charset=utf-8');
          res.setHeader('Content-Disposition', 'attachment; filename="appointment.ics"');
          res.setHeader('Cache-Control', 'private, no-store');
          res.send(ics);
        })
        .catch(next);
    });
    return router;
  }
}
