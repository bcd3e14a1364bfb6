import { randomBytes } from 'node:crypto';
import { Router } from 'express';
import type { FieldCipher, Redis } from '@careloop/store';

const FIELD = 'ehr.result_document';

/**
 * Result PDFs behind links that expire. WhatsApp fetches a document from its link, so the
 * link is an unguessable token (128 bits) whose PDF lives in Redis, sealed with the PHI key
 * ring, for `ttlMs`; afterwards the link answers 404. The file name never carries PHI.
 */
export class ResultDocuments {
  constructor(
    private readonly redis: Redis,
    private readonly cipher: FieldCipher,
    private readonly baseUrl: string,
    private readonly ttlMs: number,
  ) {}

  /** Whether links can be given out at all (a public base URL is configured). */
  get enabled(): boolean {
    return this.baseUrl !== '';
  }

  /** Stores the PDF; returns its link. */
  async put(tenantId: string, pdf: Buffer): Promise<string> {
    const token = randomBytes(16).toString('base64url');
    const sealed = this.cipher.encrypt(pdf.toString('base64'), { tenantId, field: FIELD });
    await this.redis.set(`ehr:doc:${token}`, JSON.stringify({ tenantId, sealed }), 'PX', this.ttlMs);
    return `${this.baseUrl.replace(/\/+$/, '')}/ehr/documents/${token}`;
  }

  async get(token: string): Promise<Buffer | undefined> {
    if (!/^[A-Za-z0-9_-]{22}$/.test(token)) return undefined;
    const raw = await this.redis.get(`ehr:doc:${token}`);
    if (!raw) return undefined;
    const { tenantId, sealed } = JSON.parse(raw) as { tenantId: string; sealed: string };
    return Buffer.from(this.cipher.decrypt(sealed, { tenantId, field: FIELD }), 'base64');
  }

  router(): Router {
    const router = Router();
    router.get('/ehr/documents/:token', (req, res, next) => {
      this.get(req.params.token)
        .then((pdf) => {
          if (!pdf) {
            res.status(404).json({ error: 'not_found' });
            return;
          }
          res.set({ 'content-type': 'application/pdf', 'content-disposition': 'attachment; filename="result.pdf"', 'cache-control': 'no-store' }).send(pdf);
        })
        .catch(next);
    });
    return router;
  }
}
