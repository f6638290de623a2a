// Which `Host` headers the server answers. A page on another site can make a browser talk to a server on loopback
// through DNS rebinding (its own name, re-pointed at 127.0.0.1): the requests are then same-origin for the browser,
// but they carry the attacker's name in `Host`. So only names that cannot be an attacker's are accepted: loopback
// names, the address the server is bound to, IP literals when it listens on every interface (a name that resolves
// somewhere never arrives as an IP literal), and whatever --allowed-hosts adds.
import { isIP } from 'node:net';
import { hostname } from 'node:os';

/** Names every server accepts in `Host`, whatever it is bound to. */
export const LOOPBACK_HOST_NAMES: readonly string[] = ['localhost', '127.0.0.1', '::1'];

/** The host part of a `Host` header or a --host value: lower case, without port, brackets or a trailing dot. */
export function hostPart(value: string): string {
  let host = value.trim().toLowerCase();
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    host = end > 0 ? host.slice(1, end) : host.slice(1);
  } else if (/^[^:]*:\d*$/.test(host)) {
    // name:port or v4:port (a bare IPv6 address has more than one colon and no port).
    host = host.slice(0, host.indexOf(':'));
  }
  return host.endsWith('.') ? host.slice(0, -1) : host;
}

/** True for an address or name that only this machine can reach (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  const h = hostPart(host);
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h) || h === '::ffff:127.0.0.1';
}

/** True for a bind address meaning every interface. */
export function isWildcardHost(host: string): boolean {
  const h = hostPart(host);
  return h === '' || h === '0.0.0.0' || h === '::';
}

/**
 * The warning `serve` and `studio` print for a --host that is not loopback (undefined for loopback): the server is
 * then reachable from the network and has no authentication.
 */
export function networkExposureWarning(host: string, allowRoot?: string): string | undefined {
  if (isLoopbackHost(host)) return undefined;
  const where = isWildcardHost(host) ? 'every network interface of this machine' : host;
  return (
    `warning: --host ${host} listens on ${where}: the server is reachable from the network and has no ` +
    `authentication; anyone who can reach the port can run the model${allowRoot ? ` and read images under ${allowRoot}` : ''}. ` +
    'Put it behind a proxy that authenticates, or keep the default --host 127.0.0.1.'
  );
}

/** Decides whether a request's `Host` header names this server. */
export interface HostCheck {
  /** True when the header (undefined: an HTTP/1.0 client that sent none) is accepted. */
  allows(header: string | undefined): boolean;
  /** The accepted names, for error messages. */
  describe(): string;
}

/**
 * The Host check for a server bound to `bindHost`: loopback names and the bound address (any port); when bound to
 * every interface also any IP literal and this machine's host name; plus `allowedHosts` (exact names, `.example.org`
 * for a domain and its subdomains, `*` for any).
 */
export function createHostCheck(bindHost: string, allowedHosts: readonly string[] = []): HostCheck {
  const extra = allowedHosts.map((h) => h.trim().toLowerCase()).filter((h) => h !== '');
  const any = extra.includes('*');
  const wildcard = isWildcardHost(bindHost);
  const names = new Set([...LOOPBACK_HOST_NAMES, ...(wildcard ? [hostname().toLowerCase()] : [hostPart(bindHost)])]);
  const exact = extra.filter((h) => !h.startsWith('.')).map(hostPart);
  const domains = extra.filter((h) => h.startsWith('.'));
  for (const h of exact) names.add(h);
  return {
    allows(header) {
      if (any || header === undefined) return true;
      const host = hostPart(header);
      if (host === '') return false;
      if (names.has(host)) return true;
      if (wildcard && isIP(host) !== 0) return true;
      return domains.some((d) => host === d.slice(1) || host.endsWith(d));
    },
    describe() {
      if (any) return 'any host';
      const shown = [...names].map((n) => (n.includes(':') ? `[${n}]` : n));
      if (wildcard) shown.push('any IP address');
      return [...shown, ...domains.map((d) => `*${d}`)].join(', ');
    },
  };
}
