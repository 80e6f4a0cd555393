/** Ids in Anthropic's shapes for what the proxy itself creates in a PTC answer (legal Bedrock tool ids too). */

function randomId(prefix: string): string {
  return `${prefix}${Buffer.from(crypto.getRandomValues(new Uint8Array(18))).toString("base64url")}`;
}

/** The code tool's call as the client sees it (a `server_tool_use`). */
export const newServerToolUseId = () => randomId("srvtoolu_");
/** A client tool call made from code. */
export const newToolUseId = () => randomId("toolu_");
export const newContainerId = () => randomId("container_");
