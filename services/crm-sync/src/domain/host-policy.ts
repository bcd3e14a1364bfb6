import { BlockList, isIP } from 'node:net';
import { UnsafeUrlError } from './errors';

/** Ranges no tenant-configured URL may reach unless the operator allowed the host explicitly. */
const PRIVATE = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24],
  ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) PRIVATE.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['64:ff9b::', 96], ['2001:db8::', 32]] as const) {
  PRIVATE.addSubnet(net, bits, 'ipv6');
}

export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return PRIVATE.check(address, 'ipv4');
  if (family === 6) {
    // ::ffff:10.0.0.1 is 10.0.0.1
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped?.[1]) return PRIVATE.check(mapped[1], 'ipv4');
    return PRIVATE.check(address, 'ipv6');
  }
  return true; // not an address at all: refuse
}

export interface HostPolicySettings {
  /** host, host:port or *.domain */
  readonly allowedHosts: readonly string[];
  /** Allowed hosts that may resolve to private ranges. */
  readonly privateHostsAllowed: readonly string[];
  readonly allowPlainHttp: boolean;
}

/**
 * The SSRF guard for every URL crm-sync calls on a tenant's behalf: base URLs, token URLs and
 * the `next` links a server hands back. A URL passes when its scheme is https (http only in
 * local runs), it carries no credentials, and its host is on the operator's allow-list; the
 * addresses it resolves to are checked again at connect time (`checkAddress`), so a DNS answer
 * that changes to a private address after the check is refused too.
 */
export class HostPolicy {
  constructor(private readonly settings: HostPolicySettings) {}

  /** The URL, parsed, or UnsafeUrlError saying which rule it breaks (the URL itself is not echoed). */
  checkUrl(raw: string): URL {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new UnsafeUrlError('not an absolute URL');
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && this.settings.allowPlainHttp)) throw new UnsafeUrlError(`scheme ${url.protocol} not allowed (https only)`);
    if (url.username || url.password) throw new UnsafeUrlError('credentials in the URL are not allowed');
    const host = url.hostname.toLowerCase();
    const port = url.port || (url.protocol === 'https:' ? '443' : '80');
    if (!matches(this.settings.allowedHosts, host, port)) throw new UnsafeUrlError(`host ${host} is not on CRM_ALLOWED_HOSTS`);
    // A literal address is checked now; names are checked when they resolve.
    const literal = host.startsWith('[') ? host.slice(1, -1) : host;
    if (isIP(literal)) this.checkAddress(host, port, literal);
    return url;
  }

  /** Called with every address a host resolves to, before connecting. */
  checkAddress(host: string, port: string, address: string): void {
    if (isPrivateAddress(address) && !matches(this.settings.privateHostsAllowed, host.toLowerCase(), port)) {
      throw new UnsafeUrlError(`host ${host.toLowerCase()} resolves to a private or loopback address and is not on CRM_PRIVATE_HOSTS_ALLOWED`);
    }
  }
}

function matches(patterns: readonly string[], host: string, port: string): boolean {
  return patterns.some((p) => {
    const bracketed = p.startsWith('[');
    const sep = bracketed ? p.indexOf(']:') + 1 : p.lastIndexOf(':');
    const [pHost, pPort] = sep > 0 ? [p.slice(0, sep), p.slice(sep + 1)] : [p, undefined];
    if (pPort !== undefined && pPort !== port) return false;
    if (pHost.startsWith('*.')) return host.endsWith(pHost.slice(1));
    return pHost === host;
  });
}
