import { type IncomingMessage, request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { isIP, type LookupFunction } from "node:net";
import { userAgent } from "../client.ts";

/**
 * GET `url` over a connection to one of `addresses` and nowhere else: they were checked, and a second
 * resolution (DNS rebinding) must not choose another. They are tried in order. The URL's host stays the Host header, the TLS
 * server name and the name the certificate is verified against. Bun honours `lookup` (it asks with
 * `all: true`), `signal`, and verifies certificates by default.
 */
export function requestPinned(url: URL, addresses: readonly [string, ...string[]], signal: AbortSignal): Promise<IncomingMessage> {
  const all = addresses.map((address) => ({ address, family: isIP(address) }));
  const [first] = addresses;
  const lookup: LookupFunction = (_host, options, callback) => (options.all ? callback(null, all) : callback(null, first, isIP(first)));
  const send = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const request = send(url, { method: "GET", lookup, signal, agent: false, headers: { accept: "image/*", "accept-encoding": "identity", "user-agent": userAgent } }, resolve);
    request.on("error", reject);
    request.end();
  });
}
