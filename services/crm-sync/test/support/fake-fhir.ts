import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

type Json = Record<string, unknown> & { resourceType: string; id?: string; meta?: { versionId?: string; lastUpdated?: string }; identifier?: { system?: string; value?: string }[] | { system?: string; value?: string } };

export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/**
 * An in-process FHIR R4 server for unit tests: create (with If-None-Exist on identifier), read,
 * search by identifier, update with If-Match, and a hook to answer a request differently
 * (faults, rejections). The integration suite uses a real HAPI FHIR server instead.
 */
export class FakeFhir {
  readonly resources = new Map<string, Json>();
  readonly requests: SeenRequest[] = [];
  /** Answer a request before the fake does: return true when handled. */
  intercept: ((req: SeenRequest, res: ServerResponse) => boolean) | undefined;
  private readonly server: Server;
  private next = 1;
  baseUrl = '';

  private constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.handle({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') }, res));
    });
  }

  static async start(): Promise<FakeFhir> {
    const fake = new FakeFhir();
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    fake.baseUrl = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}/fhir`;
    return fake;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  ofType(type: string): Json[] {
    return [...this.resources.values()].filter((r) => r.resourceType === type);
  }

  private handle(req: SeenRequest, res: ServerResponse): void {
    this.requests.push(req);
    if (this.intercept?.(req, res)) return;
    const [status, body] = this.route(req);
    res.writeHead(status, { 'content-type': 'application/fhir+json' });
    res.end(body === undefined ? '' : JSON.stringify(body));
  }

  private route(req: SeenRequest): [number, unknown] {
    const url = new URL(req.url, 'http://fake');
    const [, , type, id] = url.pathname.split('/');
    if (!type) return [404, outcome('not-found')];
    if (req.method === 'GET' && !id) {
      const identifier = url.searchParams.get('identifier');
      const found = this.ofType(type).filter((r) => !identifier || matchesIdentifier(r, identifier));
      return [200, { resourceType: 'Bundle', type: 'searchset', total: found.length, entry: found.map((resource) => ({ resource })) }];
    }
    if (req.method === 'GET' && id) {
      const found = this.resources.get(`${type}/${id}`);
      return found ? [200, found] : [404, outcome('not-found')];
    }
    if (req.method === 'POST') {
      const condition = req.headers['if-none-exist'];
      const identifier = typeof condition === 'string' ? decodeURIComponent(condition.replace(/^identifier=/, '')) : undefined;
      const match = identifier ? this.ofType(type).find((r) => matchesIdentifier(r, identifier)) : undefined;
      if (match) return [200, match];
      const resource = { ...(JSON.parse(req.body) as Json), id: String(this.next++), meta: { versionId: '1', lastUpdated: new Date().toISOString() } };
      this.resources.set(`${type}/${resource.id}`, resource);
      return [201, resource];
    }
    if (req.method === 'PUT' && id) {
      const current = this.resources.get(`${type}/${id}`);
      const ifMatch = req.headers['if-match'];
      if (current && ifMatch && ifMatch !== `W/"${current.meta?.versionId}"`) return [412, outcome('conflict')];
      const version = String(Number(current?.meta?.versionId ?? '0') + 1);
      const resource = { ...(JSON.parse(req.body) as Json), id, meta: { versionId: version, lastUpdated: new Date().toISOString() } };
      this.resources.set(`${type}/${id}`, resource);
      return [current ? 200 : 201, resource];
    }
    return [405, outcome('not-supported')];
  }
}

function matchesIdentifier(r: Json, token: string): boolean {
  const [system, value] = token.split('|');
  // An array on most resources, one Identifier on QuestionnaireResponse.
  return [r.identifier ?? []].flat().some((i) => i.system === system && i.value === value);
}

export function outcome(code: string, diagnostics = ''): unknown {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, ...(diagnostics ? { diagnostics } : {}) }] };
}
