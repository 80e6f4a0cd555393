import type { CountTokensRequest, MessagesRequest } from "../anthropic/schema.ts";
import type { ResolvedModel, Route } from "../bedrock/models.ts";
import { prepareCountTokens, prepareRequest, type PreparedRequest } from "../bedrock/prepare.ts";
import type { Upstream } from "../bedrock/upstream.ts";
import { ownerOf, type Principal } from "../gateway/gateway.ts";
import type { Logger } from "../../lib/log.ts";
import { type PtcLoopParts, ptcUpstream } from "./loop.ts";
import { modelView } from "./model-view.ts";
import { planPtc } from "./plan.ts";
import { namedContainer } from "./resume.ts";

/**
 * Where a request's answer comes from: the model's upstream for its route, or, when the request
 * turns PTC on (a code-execution tool), the PTC loop over that upstream. The HTTP layer asks this one
 * question and decides nothing about PTC itself.
 */

export interface Dispatched {
  /** What admission estimates and what the first model call sends. */
  prepared: PreparedRequest;
  upstream: Upstream;
}

export interface DispatchInput<R> {
  request: R;
  model: ResolvedModel;
  betaHeader: readonly string[];
  principal: Principal;
  log: Logger;
}

export class Dispatch {
  /** `ptc` is undefined when the proxy has no sandbox service (SANDBOX_URL unset). */
  constructor(
    private readonly upstreams: Record<Route, Upstream>,
    private readonly ptc: PtcLoopParts | undefined,
  ) {}

  async messages({ request, model, betaHeader, principal, log }: DispatchInput<MessagesRequest>): Promise<Dispatched> {
    const modelUpstream = this.upstreams[model.route];
    const plan = planPtc(request);
    // Without a sandbox service, prepareRequest refuses the code tool (docs/ptc.md#ptc-off).
    const parts = this.ptc;
    if (!plan || !parts) return { prepared: prepareRequest(request, model, betaHeader, log), upstream: modelUpstream };
    const owner = ownerOf(principal);
    const named = await namedContainer(request, owner, parts.containers);
    const prepare = (conversation: MessagesRequest) => prepareRequest(modelView(conversation, plan), model, betaHeader, log);
    return { prepared: prepare(request), upstream: ptcUpstream(parts, { request, plan, owner, named, modelUpstream, prepare }) };
  }

  /** count_tokens counts what the model would be shown. */
  countTokens({ request, model, betaHeader, log }: Omit<DispatchInput<CountTokensRequest>, "principal">): Dispatched {
    const plan = planPtc(request);
    const counted = plan && this.ptc ? modelView(request, plan) : request;
    return { prepared: prepareCountTokens(counted, model, betaHeader, log), upstream: this.upstreams[model.route] };
  }
}
