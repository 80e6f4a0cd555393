import { invalidRequest, type ApiError } from "../../../anthropic/errors.ts";
import { routeFor, type ResolvedModel } from "../../models.ts";
import { DocumentNamer } from "./document-names.ts";
import type { FetchedImage } from "../../images/fetch-image.ts";
import type { ToolNameMap } from "../tool-names.ts";

/** What every conversion step of one request needs to know and share. */
export interface ConversionContext {
  readonly model: ResolvedModel;
  /**
   * Anthropic's own models take Claude's native fields (`top_k`, `anthropic_beta`, citations, tool
   * cachePoints…) through Converse; other Converse models reject them. Production never sends Claude
   * here (models.ts routes every `anthropic.claude` id to InvokeModel), so this is true only in tests,
   * and on purpose: the real Converse captures of reasoning, citations and cache points are Claude's,
   * and the golden tests replay them through this converter to hold it to what Bedrock accepted.
   */
  readonly anthropic: boolean;
  /** The client's betas as forwarded for the model (always none on the Converse route). */
  readonly betas: readonly string[];
  readonly toolNames: ToolNameMap;
  readonly documents: DocumentNamer;
  /** URL images, fetched before conversion so the conversion itself stays synchronous. */
  readonly images: ReadonlyMap<string, FetchedImage>;
  debug(message: string): void;
  /** A debug note given once per request however often the case occurs (e.g. per dropped cache_control). */
  debugOnce(message: string): void;
}

export function createContext(init: {
  model: ResolvedModel;
  betas: readonly string[];
  toolNames: ToolNameMap;
  images: ReadonlyMap<string, FetchedImage>;
  debug(message: string): void;
}): ConversionContext {
  const noted = new Set<string>();
  return {
    model: init.model,
    anthropic: isAnthropicModel(init.model),
    betas: init.betas,
    toolNames: init.toolNames,
    documents: new DocumentNamer(),
    images: init.images,
    debug: init.debug,
    debugOnce(message) {
      if (noted.has(message)) return;
      noted.add(message);
      init.debug(message);
    },
  };
}

/** The model id decides (never the client's name): the lead's routing rule says what Anthropic's models are. */
export function isAnthropicModel(model: ResolvedModel): boolean {
  return routeFor(model.modelId) === "invoke";
}

/** A 400 for what Converse cannot express when dropping it would change the request's meaning. */
export function unsupported(model: ResolvedModel, what: string): ApiError {
  return invalidRequest(`${what} is not supported for model ${model.requested}`);
}
