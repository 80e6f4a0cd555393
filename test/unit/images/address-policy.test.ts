import { describe, expect, test } from "bun:test";
import { isPublicAddress } from "../../../src/bedrock/images/address-policy.ts";

/** Which addresses an image URL may reach: public unicast, and nothing an attacker could aim inward. */

const refused: [string, string][] = [
  // IPv4 by range
  ["0.0.0.0", "unspecified"],
  ["0.1.2.3", "this network (0/8)"],
  ["127.0.0.1", "loopback"],
  ["127.255.255.254", "loopback, end of 127/8"],
  ["10.0.0.1", "RFC 1918"],
  ["172.16.0.1", "RFC 1918"],
  ["172.31.255.255", "RFC 1918"],
  ["192.168.1.1", "RFC 1918"],
  ["169.254.169.254", "link-local: the cloud metadata address"],
  ["169.254.0.1", "link-local"],
  ["100.64.0.1", "CGNAT"],
  ["100.127.255.254", "CGNAT"],
  ["224.0.0.1", "multicast"],
  ["239.255.255.250", "multicast"],
  ["255.255.255.255", "broadcast"],
  ["240.0.0.1", "reserved"],
  ["192.0.0.170", "IETF protocol assignments (NAT64 discovery)"],
  ["192.0.2.1", "documentation TEST-NET-1"],
  ["198.51.100.1", "documentation TEST-NET-2"],
  ["203.0.113.1", "documentation TEST-NET-3"],
  ["198.18.0.1", "benchmarking"],
  ["192.88.99.1", "6to4 relay anycast"],
  // IPv4 in numeric spellings (what inet_aton would connect to)
  ["2130706433", "127.0.0.1 as one decimal number"],
  ["0x7f000001", "127.0.0.1 as one hex number"],
  ["0177.0.0.1", "127.0.0.1 in octal"],
  ["127.1", "127.0.0.1 shortened"],
  // IPv6
  ["::", "unspecified"],
  ["::1", "loopback"],
  ["fe80::1", "link-local"],
  ["fe80::1%eth0", "link-local with a zone"],
  ["fc00::1", "unique local"],
  ["fd00:ec2::254", "unique local: the EC2 IPv6 metadata address"],
  ["fec0::1", "deprecated site-local"],
  ["ff02::1", "multicast"],
  ["2001:db8::1", "documentation"],
  ["3fff::1", "documentation (RFC 9637)"],
  ["2002:7f00:1::1", "6to4 (embeds 127.0.0.1)"],
  ["2001::1", "Teredo"],
  ["2001:2::1", "benchmarking"],
  ["2001:20::1", "ORCHIDv2"],
  ["100::1", "discard-only"],
  ["5f00::1", "segment routing"],
  ["4000::1", "outside global unicast 2000::/3"],
  // IPv4 inside IPv6
  ["::ffff:127.0.0.1", "IPv4-mapped loopback"],
  ["::ffff:7f00:1", "IPv4-mapped loopback in hex"],
  ["::ffff:169.254.169.254", "IPv4-mapped metadata address"],
  ["::ffff:10.0.0.1", "IPv4-mapped RFC 1918"],
  ["::127.0.0.1", "IPv4-compatible (deprecated) loopback"],
  ["::8.8.8.8", "IPv4-compatible (deprecated), even of a public address"],
  ["::ffff:0:8.8.8.8", "IPv4-translated (RFC 6145)"],
  ["64:ff9b::7f00:1", "NAT64 of loopback"],
  ["64:ff9b::169.254.169.254", "NAT64 of the metadata address"],
  ["64:ff9b::a00:1", "NAT64 of RFC 1918"],
  ["64:ff9b:1::8.8.8.8", "local-use NAT64 (RFC 8215)"],
  // Not addresses at all
  ["localhost", "a name"],
  ["", "empty"],
  ["1.2.3.4.5", "malformed"],
  ["[::1]", "bracketed"],
];

const allowed: [string, string][] = [
  ["8.8.8.8", "public IPv4"],
  ["1.1.1.1", "public IPv4"],
  ["93.184.215.14", "public IPv4"],
  ["100.63.255.255", "just below CGNAT"],
  ["100.128.0.0", "just above CGNAT"],
  ["172.32.0.1", "just above RFC 1918 172.16/12"],
  ["169.253.255.255", "just below link-local"],
  ["223.255.255.255", "just below multicast"],
  ["2606:4700:4700::1111", "public IPv6"],
  ["2a00:1450:4001::200e", "public IPv6"],
  ["::ffff:8.8.8.8", "IPv4-mapped public"],
  ["64:ff9b::8.8.8.8", "NAT64 of a public address (DNS64 networks)"],
];

describe("isPublicAddress", () => {
  test.each(refused)("%s is refused (%s)", (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  test.each(allowed)("%s is allowed (%s)", (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });

  test("every spelling of loopback the URL parser accepts lands on a refused address", () => {
    for (const host of ["127.0.0.1", "2130706433", "0x7f000001", "0177.0.0.1", "127.1", "0x7f.1", "[::1]", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[0:0:0:0:0:ffff:7f00:1]", "0.0.0.0", "0", "[::]"]) {
      const hostname = new URL(`http://${host}:8080/`).hostname.replace(/^\[(.*)\]$/, "$1");
      expect(isPublicAddress(hostname)).toBe(false);
    }
  });
});
