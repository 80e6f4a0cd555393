import { toBedrockIdentifier } from "./identifiers.ts";

/**
 * Two-way map between the client's tool names and the names Bedrock is sent. Anthropic takes names
 * Bedrock refuses (longer than 64 characters, other characters), so the request renames them and
 * responses restore the client's name. One map per request: the response of that request uses it.
 */
export class ToolNameMap {
  readonly #bedrockByClient = new Map<string, string>();
  readonly #clientByBedrock = new Map<string, string>();

  /** The Bedrock name for a client name, registering it on first use. */
  toBedrock(clientName: string): string {
    const known = this.#bedrockByClient.get(clientName);
    if (known !== undefined) return known;
    let bedrockName = toBedrockIdentifier(clientName);
    // A legal client name may equal another name's renamed form: disambiguate the newcomer.
    for (let attempt = 2; this.#clientByBedrock.has(bedrockName); attempt++) {
      bedrockName = toBedrockIdentifier(`${clientName}#${attempt}`);
    }
    this.#bedrockByClient.set(clientName, bedrockName);
    this.#clientByBedrock.set(bedrockName, clientName);
    return bedrockName;
  }

  /** The client's name for a name Bedrock returned; a name we never sent passes through. */
  toClient(bedrockName: string): string {
    return this.#clientByBedrock.get(bedrockName) ?? bedrockName;
  }

  /** Client names that had to be renamed, with their Bedrock names (for logs). */
  renamed(): [clientName: string, bedrockName: string][] {
    return [...this.#bedrockByClient].filter(([client, bedrock]) => client !== bedrock);
  }
}
