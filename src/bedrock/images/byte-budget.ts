import type { ApiError } from "../../anthropic/errors.ts";

/** The decoded image bytes one request may still hold; every image, base64 or fetched, draws on it. */
export class ByteBudget {
  #remaining: number;

  constructor(
    readonly total: number,
    private readonly exceeded: () => ApiError,
  ) {
    this.#remaining = total;
  }

  /** Draws `bytes`; throws the request's 400 once the total is spent. */
  take(bytes: number): void {
    this.#remaining -= bytes;
    if (this.#remaining < 0) throw this.exceeded();
  }
}
