import { buildQueryString, type HttpHandler, type HttpHandlerOptions, type HttpRequest, HttpResponse } from "@smithy/core/protocols";

/**
 * The AWS SDK's transport on Bun's own `fetch`: pooled keep-alive connections and native web
 * streams. The SDK's default Node transport runs on Bun's emulation of `node:http`, which the
 * benchmark showed to cost several times more CPU per call than the rest of the proxy together.
 * Timeouts are the caller's: every call carries an abort signal (first byte, total, client gone).
 */
export class BunFetchHandler implements HttpHandler<HttpHandlerOptions> {
  async handle(request: HttpRequest, options: HttpHandlerOptions = {}): Promise<{ response: HttpResponse }> {
    const query = buildQueryString(request.query ?? {});
    const port = request.port ? `:${request.port}` : "";
    const url = `${request.protocol}//${request.hostname}${port}${request.path}${query ? `?${query}` : ""}`;
    const hasBody = request.method !== "GET" && request.method !== "HEAD";
    const response = await fetch(url, {
      method: request.method,
      headers: request.headers,
      body: hasBody ? (request.body as BodyInit | undefined) : undefined,
      signal: options.abortSignal as AbortSignal | undefined,
    });
    const headers: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      headers[name] = value;
    });
    return {
      response: new HttpResponse({ statusCode: response.status, reason: response.statusText, headers, body: response.body ?? new Uint8Array() }),
    };
  }

  updateHttpClientConfig(): void {}

  httpHandlerConfigs(): Record<string, never> {
    return {};
  }
}
