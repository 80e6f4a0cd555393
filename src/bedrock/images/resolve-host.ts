import { lookup } from "node:dns/promises";

/** Every address a host name resolves to. Injectable, so tests never ask a real DNS server. */
export type HostResolver = (host: string) => Promise<string[]>;

/** The system's resolver (getaddrinfo: /etc/hosts, then DNS), as a connection would use it. */
export const resolveWithSystem: HostResolver = async (host) => (await lookup(host, { all: true, verbatim: true })).map((entry) => entry.address);
