import { BlockList, isIP } from 'node:net';

/** One allowlist entry: an address family, the network address and the prefix length. */
export interface Cidr {
  family: 'ipv4' | 'ipv6';
  address: string;
  prefix: number;
}

/**
 * Reads `203.0.113.0/24`, `2001:db8::/32` or a bare address (a /32 or /128).
 * @returns undefined when it is neither.
 */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  const address = slash === -1 ? text : text.slice(0, slash);
  const version = isIP(address);
  if (version === 0) return undefined;
  const max = version === 4 ? 32 : 128;
  const prefixText = slash === -1 ? String(max) : text.slice(slash + 1);
  if (!/^[0-9]{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > max) return undefined;
  return { family: version === 4 ? 'ipv4' : 'ipv6', address, prefix };
}

function blockListOf(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const cidr = parseCidr(entry);
    // Config validation refuses anything parseCidr does not read.
    if (cidr === undefined) throw new Error(`not an address or CIDR block: ${entry}`);
    list.addSubnet(cidr.address, cidr.prefix, cidr.family);
  }
  return list;
}

/** `::ffff:203.0.113.7` (an IPv4 client on a dual-stack socket) → `203.0.113.7`. */
function unmapped(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

function contains(list: BlockList, address: string): boolean {
  const plain = unmapped(address.trim());
  const version = isIP(plain);
  if (version === 0) return false;
  return list.check(plain, version === 4 ? 'ipv4' : 'ipv6');
}

export interface SourceAllowlist {
  /** Whether any CIDR is configured (off otherwise: every source passes). */
  readonly enabled: boolean;
  /**
   * The client address of a request: the direct peer, or, when the peer is a trusted proxy, the
   * right-most `X-Forwarded-For` entry that is not itself a trusted proxy (entries further left
   * are whatever the client claimed). Undefined when a trusted proxy's header is malformed.
   */
  clientAddress(peer: string, forwardedFor: string | undefined): string | undefined;
  /** Whether a request from `peer` with this `X-Forwarded-For` may call. */
  allows(peer: string, forwardedFor: string | undefined): boolean;
}

/**
 * The webhook's source allowlist (issue 14). Tencent's `Sign` covers only the token and the
 * time and travels in the query string, which access logs keep: with the allowlist on, a leaked
 * signed URL is useless from outside Tencent's callback egress addresses.
 */
export function createSourceAllowlist(options: {
  cidrs: readonly string[];
  trustedProxies: readonly string[];
}): SourceAllowlist {
  const allowed = blockListOf(options.cidrs);
  const proxies = blockListOf(options.trustedProxies);
  const clientAddress = (peer: string, forwardedFor: string | undefined): string | undefined => {
    if (forwardedFor === undefined || !contains(proxies, peer)) return peer;
    const hops = forwardedFor.split(',');
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hops[i]!.trim();
      if (isIP(unmapped(hop)) === 0) return undefined;
      if (!contains(proxies, hop)) return hop;
    }
    // Every hop is a trusted proxy: the left-most one is the closest we know to the client.
    return hops[0]!.trim();
  };
  return {
    enabled: options.cidrs.length > 0,
    clientAddress,
    allows(peer, forwardedFor) {
      if (options.cidrs.length === 0) return true;
      const client = clientAddress(peer, forwardedFor);
      return client !== undefined && contains(allowed, client);
    },
  };
}
