import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { HostPolicy } from '../../domain/host-policy';
import { UnsafeUrlError } from '../../domain/errors';

export interface HttpRequest {
  readonly method: 'GET' | 'POST' | 'PUT';
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** No answer in time (connect to last byte). */
export class HttpTimeoutError extends Error {
  override readonly name = 'HttpTimeoutError';
}

const MAX_BODY_BYTES = 16 * 1024 * 1024;

/**
 * HTTP for tenant-configured URLs. Every URL passes the HostPolicy; every address a name resolves
 * to is checked again in the socket's own DNS lookup, so the address connected to is the address
 * checked (no rebinding between check and connect). Redirects are never followed: a 3xx comes
 * back as a response, and the caller does not chase its Location.
 */
export class GuardedHttp {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;

  constructor(
    private readonly policy: HostPolicy,
    private readonly timeoutMs: number,
  ) {
    this.httpAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });
    this.httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 64 });
  }

  request(req: HttpRequest): Promise<HttpResponse> {
    const url = this.policy.checkUrl(req.url);
    const secure = url.protocol === 'https:';
    const port = url.port || (secure ? '443' : '80');
    const lookup = this.guardedLookup(url.hostname, port);
    const options: https.RequestOptions = {
      method: req.method,
      headers: { ...req.headers, ...(req.body !== undefined ? { 'content-length': String(Buffer.byteLength(req.body)) } : {}) },
      agent: secure ? this.httpsAgent : this.httpAgent,
      lookup,
    };
    return new Promise<HttpResponse>((resolve, reject) => {
      const request = (secure ? https : http).request(url, options, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY_BYTES) request.destroy(new Error('response larger than 16 MiB'));
          else chunks.push(chunk);
        });
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', (error) => {
          clearTimeout(timer);
          reject(error);
        });
      });
      const timer = setTimeout(() => request.destroy(new HttpTimeoutError(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
      request.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      if (req.body !== undefined) request.write(req.body);
      request.end();
    });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private guardedLookup(host: string, port: string): LookupFunction {
    return (hostname, options, callback) => {
      dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
        if (error) {
          callback(error, '', 0);
          return;
        }
        try {
          for (const a of addresses) this.policy.checkAddress(host, port, a.address);
        } catch (refused) {
          callback(refused as UnsafeUrlError, '', 0);
          return;
        }
        if (options.all) (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
        else {
          const first = addresses[0];
          if (!first) callback(new UnsafeUrlError('no address'), '', 0);
          else callback(null, first.address, first.family);
        }
      });
    };
  }
}
