/** Ids in Anthropic's shapes for what the proxy itself creates in a PTC answer (legal Bedrock tool ids too). */

function randomPart(bytes: number): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString("base64url");
}

function randomId(prefix: string): string {
  return `${prefix}${randomPart(18)}`;
}

/** The code tool's call as the client sees it (a `server_tool_use`). */
export const newServerToolUseId = () => randomId("srvtoolu_");
export const newContainerId = () => randomId("container_");

const containerPrefix = "container_";
/** `toolu_`, the 24 characters of its container's id, 16 random ones. */
const codeToolUseId = /^toolu_([A-Za-z0-9_-]{24})[A-Za-z0-9_-]{16}$/;

/**
 * A client tool call made from code. It carries its container's id, so that a resume which does not name
 * the container still finds it: the SDK's tool runners send the results back without `container`.
 */
export function newCodeToolUseId(containerId: string): string {
  return `toolu_${containerId.slice(containerPrefix.length)}${randomPart(12)}`;
}

/** The container a code call's tool_use id names, if it is one of ours; the store and its owner still decide. */
export function containerOfToolUseId(toolUseId: string): string | undefined {
  const match = codeToolUseId.exec(toolUseId);
  return match ? `${containerPrefix}${match[1]}` : undefined;
}
