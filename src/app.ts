import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { ApiError } from "./anthropic/errors.ts";
import type { ProxyDeps } from "./http/deps.ts";
import type { AppEnv } from "./http/env.ts";
import { notFound, renderError } from "./http/errors.ts";
import { adminRoutes } from "./http/admin.ts";
import { healthRoutes } from "./http/health.ts";
import { accessLog } from "./http/middleware/access-log.ts";
import { authenticate } from "./http/middleware/authenticate.ts";
import { browserAccess } from "./http/middleware/cors.ts";
import { plainPathsOnly, refuseWhenOverloaded } from "./http/middleware/connection-limits.ts";
import { requestId } from "./http/middleware/request-id.ts";
import { traceRequest } from "./http/middleware/trace-request.ts";
import { tracingOn } from "../lib/tracing.ts";
import { messagesRoutes } from "./http/messages.ts";
import { signInRoutes } from "./portal/auth/sign-in-routes.ts";
import { metricsRoutes } from "./http/metrics.ts";
import { countRequests } from "./http/middleware/count-requests.ts";
import { portalRoutes } from "./portal/routes.tsx";
import { modelsRoutes } from "./http/models.ts";

/** The proxy's HTTP surface: the Anthropic API under /v1, the operator's admin API, health checks at the root. */
export function createApp(deps: ProxyDeps) {
  const v1 = new Hono<AppEnv>()
    .use(authenticate(deps.gateway))
    .use(
      bodyLimit({
        maxSize: deps.maxRequestBytes,
        onError: () => {
          throw new ApiError("request_too_large", `Request exceeds the maximum size of ${deps.maxRequestBytes} bytes`);
        },
      }),
    )
    .route("/messages", messagesRoutes(deps))
    .route("/models", modelsRoutes(deps));

  const app = new Hono<AppEnv>().use(requestId(deps.log));
  // Off, tracing and the access log are not mounted at all: every layer costs each request something.
  if (tracingOn()) app.use(traceRequest);
  if (deps.log.enabled("info")) app.use(accessLog);
  app
    .use(refuseWhenOverloaded)
    // The portal's address as people type it; every other path with an empty segment stays refused.
    .get("/admin/", (c) => c.redirect("/admin", 308))
    .use(plainPathsOnly);
  if (deps.corsOrigins) app.use("/v1/*", browserAccess(deps.corsOrigins));
  if (deps.metrics) app.use(countRequests(deps.metrics.metrics));
  if (deps.metrics?.served) app.route("/", metricsRoutes(deps.metrics.metrics, deps.metrics.token));
  return app
    .route("/", healthRoutes(deps))
    .route("/v1", v1)
    .route("/admin/api", adminRoutes(deps))
    .route("/admin", signInRoutes(deps.adminAuth))
    .route("/admin", portalRoutes(deps))
    .notFound(notFound)
    .onError(renderError);
}
