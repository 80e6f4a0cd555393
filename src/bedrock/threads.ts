import { ApiError } from "../anthropic/errors.ts";
import type { MessagesRequest } from "../anthropic/schema.ts";

/**
 * The message-threads beta (`thread`, what the SDK's tool runner sends by default): the server would keep
 * the conversation and each turn send only what is new. The proxy keeps none. `{type: "create"}` asks for
 * nothing but the answer, so it is served as any request (the field never reaches Bedrock); a turn that
 * continues a stored reply is refused with `thread_not_found`, on which the SDK replays the whole
 * conversation under a new thread.
 */
export function refuseThreadContinuation(request: MessagesRequest): void {
  const thread = request.thread;
  if (!thread || thread.type === "create") return;
  throw new ApiError("not_found_error", "This proxy keeps no message threads: send the whole conversation", { details: { error_code: "thread_not_found" } });
}
