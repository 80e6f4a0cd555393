import ipaddr from "ipaddr.js";

/**
 * `IMAGE_FETCH_ALLOW_HOSTS`: what an operator trusts although it is not public (an internal image
 * server). Comma-separated entries of three kinds:
 * - an address or CIDR block (`10.1.2.3`, `10.20.0.0/16`, `fd12::/48`): the address connected to is
 *   in it, whatever name led there;
 * - a host name (`images.internal`): the URL names exactly that host (case and a trailing dot aside);
 * - `*.` and a domain (`*.corp.example`): the URL names a host under that domain, not the domain itself.
 * A name entry trusts every address the name resolves to, so it trusts whoever controls its DNS:
 * prefer address entries. Nothing else is pattern-matched, so matching is linear in the name.
 */
export interface AllowHosts {
  /** Whether `address`, reached through the URL host `host`, is trusted although not public. */
  allows(host: string, address: string): boolean;
}

/** The default: only public addresses. */
export const noAllowedHosts: AllowHosts = { allows: () => false };

type Block = [ipaddr.IPv4 | ipaddr.IPv6, number];

export function parseAllowHosts(raw: string): { hosts: AllowHosts } | { invalid: string } {
  const blocks: Block[] = [];
  const names = new Set<string>();
  const domains: string[] = [];
  for (const entry of raw.split(",").map((e) => e.trim().toLowerCase()).filter((e) => e !== "")) {
    if (ipaddr.isValidCIDR(entry)) blocks.push(ipaddr.parseCIDR(entry));
    else if (ipaddr.isValid(entry)) blocks.push(hostBlock(ipaddr.parse(entry)));
    else if (entry.startsWith("*.") && isHostName(entry.slice(2))) domains.push(`.${bareName(entry.slice(2))}`);
    else if (isHostName(entry)) names.add(bareName(entry));
    else return { invalid: entry };
  }
  if (blocks.length + names.size + domains.length === 0) return { hosts: noAllowedHosts };
  return {
    hosts: {
      allows(host, address) {
        const name = bareName(host.toLowerCase());
        if (names.has(name) || domains.some((domain) => name.endsWith(domain))) return true;
        if (!ipaddr.isValid(address)) return false;
        // An IPv4-mapped IPv6 address is matched as the IPv4 address it reaches.
        const parsed = ipaddr.process(address);
        return blocks.some(([base, bits]) => base.kind() === parsed.kind() && parsed.match(base, bits));
      },
    },
  };
}

function hostBlock(address: ipaddr.IPv4 | ipaddr.IPv6): Block {
  return [address, address.kind() === "ipv4" ? 32 : 128];
}

const label = /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/;

function isHostName(name: string): boolean {
  const labels = bareName(name).split(".");
  return name.length <= 254 && labels.every((l) => label.test(l)) && !labels.every((l) => /^\d+$/.test(l));
}

/** DNS names are the same with or without the root's trailing dot. */
function bareName(name: string): string {
  return name.endsWith(".") ? name.slice(0, -1) : name;
}
