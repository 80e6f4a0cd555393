import { z } from "zod";
import { notJson, parseJson } from "./json.ts";
import type { RequestLog } from "./request-log.ts";
import { scriptSchema, type TurnQueue } from "./script.ts";

/**
 * The test-facing API under `/_emulator/`: queue scripted turns, read the request log, reset both.
 * No credentials needed; it is not part of Bedrock.
 */

export interface EmulatorState {
  turns: TurnQueue;
  requests: RequestLog;
}

const badRequest = (message: string) => Response.json({ message }, { status: 400 });

export async function controlApi(request: Request, path: string, state: EmulatorState): Promise<Response> {
  const route = `${request.method} ${path}`;
  switch (route) {
    case "POST /_emulator/script":
      return queueScript(await request.text(), state.turns);
    case "GET /_emulator/requests":
      return Response.json(state.requests.all());
    case "POST /_emulator/reset":
      state.turns.clear();
      state.requests.clear();
      return Response.json({ reset: true });
    default:
      return Response.json({ message: `No emulator route ${route}` }, { status: 404 });
  }
}

function queueScript(text: string, turns: TurnQueue): Response {
  const body = parseJson(text);
  if (body === notJson) return badRequest("The script must be JSON: {\"responses\": [turn, …]}");
  const parsed = scriptSchema.safeParse(body);
  if (!parsed.success) return badRequest(`Invalid script:\n${z.prettifyError(parsed.error)}`);
  turns.push(parsed.data.responses);
  return Response.json({ queued: parsed.data.responses.length });
}
