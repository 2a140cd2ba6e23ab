import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { Agent, fetch, type RequestInit, type Response } from 'undici';

/**
 * The one way the server reaches a URL someone gave it (today: the CRM's webhook endpoint). Outside development it
 * goes only to public addresses over https. A name is judged by what it resolves to when the connection is made,
 * and the socket connects to exactly the addresses judged (a custom lookup on the undici Agent), so a name that
 * resolves publicly when stored and privately later (DNS rebinding) is still refused. WHATWG `URL` has already
 * turned decimal, octal and hex IPv4 (`http://2130706433/`, `http://0x7f.1/`) into dotted form, and `ipaddr.js`
 * reads IPv4-mapped IPv6 as the IPv4 it carries.
 */
export interface OutboundPolicy {
  /** Also allows loopback, private and other non-public addresses, and plain http: local development and tests. */
  allowPrivateNetworks: boolean;
}

/** A refused URL, and why, in words for the account (`body.url: <message>`). */
export class OutboundUrlRefused extends Error {
  override name = 'OutboundUrlRefused';
}

/** Every address a name resolves to, as the operating system's resolver answers (hosts file included). */
export type Resolve = (hostname: string) => Promise<LookupAddress[]>;

const resolveAll: Resolve = (hostname) =>
  new Promise((resolve, reject) =>
    dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses) =>
      error ? reject(error) : resolve(addresses),
    ),
  );

const rangeNames: Record<string, string> = {
  unspecified: 'the unspecified address',
  loopback: 'a loopback address',
  private: 'a private-network address',
  uniqueLocal: 'a private-network address',
  linkLocal: 'a link-local address (where cloud metadata services live)',
  carrierGradeNat: 'a carrier-grade NAT address',
  multicast: 'a multicast address',
  broadcast: 'the broadcast address',
  reserved: 'a reserved address',
};

/** Why `address` is not a public unicast address, e.g. `127.0.0.1, a loopback address`; undefined when it is. */
export function nonPublicAddress(address: string): string | undefined {
  // `process` reads an IPv4-mapped IPv6 address as its IPv4 address, so ::ffff:127.0.0.1 is loopback.
  const parsed = ipaddr.process(address);
  const range = parsed.range();
  if (range === 'unicast') return undefined;
  return `${parsed.toString()}, ${rangeNames[range] ?? `an address in the ${range} range`}`;
}

/**
 * What can be judged without the network: an http(s) URL (https only unless private networks are allowed), with no
 * user-info, and a literal IP host that is public. Returns the parsed URL.
 */
export function checkOutboundUrl(raw: string, policy: OutboundPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new OutboundUrlRefused('is not a URL');
  }
  const schemes = policy.allowPrivateNetworks ? ['https:', 'http:'] : ['https:'];
  if (!schemes.includes(url.protocol))
    throw new OutboundUrlRefused(
      `must be an ${policy.allowPrivateNetworks ? 'http or https' : 'https'} URL (this one is ${url.protocol})`,
    );
  if (url.username !== '' || url.password !== '')
    throw new OutboundUrlRefused(
      'must not carry a user name or password (user@host); deliveries are authenticated by their signature',
    );
  const literal = hostAddress(url.hostname);
  if (literal !== undefined && !policy.allowPrivateNetworks) {
    const reason = nonPublicAddress(literal);
    if (reason) throw new OutboundUrlRefused(`must point to a public address: its host is ${reason}`);
  }
  return url;
}

/** The IP address a URL's host names literally (IPv6 without its brackets), or undefined for a name. */
function hostAddress(hostname: string): string | undefined {
  const bare = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  return isIP(bare) ? bare : undefined;
}

function refuseResolved(hostname: string, addresses: readonly LookupAddress[]): void {
  for (const { address } of addresses) {
    const reason = nonPublicAddress(address);
    if (reason)
      throw new OutboundUrlRefused(
        `must point to a public address: its host ${hostname} resolves to ${reason}`,
      );
  }
}

export class OutboundGuard {
  private readonly agent: Agent;

  constructor(
    readonly policy: OutboundPolicy,
    private readonly resolve: Resolve = resolveAll,
  ) {
    this.agent = new Agent({ connect: { lookup: this.lookup } });
  }

  /**
   * Judges a URL before it is stored, its name resolved now as well (within `timeoutMs`). A name that does not
   * resolve yet is let through: every delivery judges it again.
   */
  async check(raw: string, timeoutMs: number): Promise<URL> {
    const url = checkOutboundUrl(raw, this.policy);
    if (this.policy.allowPrivateNetworks || hostAddress(url.hostname) !== undefined) return url;
    let timer: NodeJS.Timeout | undefined;
    const addresses = await Promise.race([
      this.resolve(url.hostname).catch(() => []),
      new Promise<LookupAddress[]>((resolve) => (timer = setTimeout(() => resolve([]), timeoutMs))),
    ]).finally(() => clearTimeout(timer));
    refuseResolved(url.hostname, addresses);
    return url;
  }

  /**
   * A request to a URL the policy allows. Redirects are never followed: a 3xx is the answer. A refusal rejects
   * with an OutboundUrlRefused, directly or as the `cause` of fetch's error.
   */
  fetch(raw: string, init: Omit<RequestInit, 'redirect' | 'dispatcher'>): Promise<Response> {
    checkOutboundUrl(raw, this.policy);
    return fetch(raw, { ...init, redirect: 'manual', dispatcher: this.agent });
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  /** net.connect's lookup: the addresses it answers are the ones the socket connects to, so each is judged here. */
  private readonly lookup: LookupFunction = (hostname, options, callback) => {
    this.resolve(hostname).then(
      (resolved) => {
        const family = { IPv4: 4, IPv6: 6 }[String(options.family)] ?? options.family;
        const addresses = family
          ? resolved.filter((resolvedAddress) => resolvedAddress.family === family)
          : resolved;
        const first = addresses[0];
        if (!first) {
          const error = new Error(`${hostname} has no address`) as NodeJS.ErrnoException;
          error.code = 'ENOTFOUND';
          return callback(error, '', 0);
        }
        if (!this.policy.allowPrivateNetworks) {
          try {
            refuseResolved(hostname, addresses);
          } catch (refusal) {
            return callback(refusal as Error, '', 0);
          }
        }
        if (options.all) callback(null, addresses);
        else callback(null, first.address, first.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };
}
