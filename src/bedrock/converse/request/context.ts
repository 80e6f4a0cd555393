import { invalidRequest, type ApiError } from "../../../anthropic/errors.ts";
import { routeFor, type ResolvedModel } from "../../models.ts";
import { DocumentNamer } from "./documents.ts";
import type { FetchedImage } from "../../images/fetch-image.ts";
import type { ToolNameMap } from "../tool-names.ts";

/** What every conversion step of one request needs to know and share. */
export interface ConversionContext {
  readonly model: ResolvedModel;
  /**
   * Anthropic's own models take Claude's native fields (`thinking`, `top_k`, `anthropic_beta`,
   * citations…) through `additionalModelRequestFields`; other Converse models reject them.
   */
  readonly anthropic: boolean;
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
  toolNames: ToolNameMap;
  images: ReadonlyMap<string, FetchedImage>;
  debug(message: string): void;
}): ConversionContext {
  const noted = new Set<string>();
  return {
    model: init.model,
    anthropic: isAnthropicModel(init.model),
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
