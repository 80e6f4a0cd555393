import ipaddr from "ipaddr.js";

/**
 * Which addresses an image URL may make the proxy connect to: public unicast only. Decided on the
 * address itself (what the socket connects to), never on how the URL spelled the host.
 *
 * IPv4: everything ipaddr.js does not place in a special range (loopback, RFC 1918, link-local and
 * with it the 169.254.169.254 metadata address, CGNAT, multicast, broadcast, 0/8, the documentation,
 * benchmarking and reserved blocks, AS112, AMT).
 * IPv6: global unicast (2000::/3) outside every special range (6to4, Teredo, documentation, ORCHID…),
 * so loopback, unspecified, link-local, unique-local (fd00:ec2::254 too), multicast and the
 * deprecated IPv4-compatible ::a.b.c.d are refused by construction. The two forms that carry an
 * IPv4 address a connection really reaches are judged by that address: IPv4-mapped ::ffff:a.b.c.d
 * and the well-known NAT64 prefix 64:ff9b::/96 (so DNS64 networks keep working). The local-use
 * NAT64 prefix 64:ff9b:1::/48 is refused: where it embeds the address is the operator's choice.
 */
export function isPublicAddress(address: string): boolean {
  const canonical = canonicalAddress(address);
  if (canonical === undefined || !ipaddr.isValid(canonical)) return false;
  const parsed = ipaddr.parse(canonical);
  if (parsed instanceof ipaddr.IPv4) return parsed.range() === "unicast";
  const embedded = embeddedIpv4(parsed);
  if (embedded) return embedded.range() === "unicast";
  return parsed.match(globalUnicast) && parsed.range() === "unicast";
}

/**
 * IPv6 in the URL standard's canonical form: ipaddr.js reads the deprecated IPv4-compatible
 * `::8.8.8.8` as if it were IPv4-mapped, which the canonical `::808:808` avoids. A zone id fails here,
 * and only link-local addresses carry one.
 */
function canonicalAddress(address: string): string | undefined {
  if (!address.includes(":")) return address;
  return URL.parse(`http://[${address}]/`)?.hostname.slice(1, -1);
}

const globalUnicast = ipaddr.IPv6.parseCIDR("2000::/3");
const nat64WellKnown = ipaddr.IPv6.parseCIDR("64:ff9b::/96");

function embeddedIpv4(address: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  if (address.isIPv4MappedAddress() || address.match(nat64WellKnown)) {
    return ipaddr.IPv4.parse(address.toByteArray().slice(12).join("."));
  }
  return undefined;
}
