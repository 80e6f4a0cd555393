import { beforeAll, expect, test } from "bun:test";
import { checkImages, isUnprivileged, sizeTable, userAndHealthCheck } from "../../scripts/images.ts";
import { BASE_IMAGE as DEBIAN_BASE } from "../../scripts/sandbox-image.ts";
import { buildComposeTestImages, composeTestImages as images } from "./images.ts";

/**
 * The images built offline (scripts/images.ts) as each runs on its own: unprivileged users and health checks,
 * a proxy image that carries no other deployable, and the sandbox service's bwrap runtime as root with its
 * security options, refused otherwise, saying why. (compose.test.ts runs the proxy, the emulator and the
 * docker runtime, unprivileged with the socket's group.)
 */

beforeAll(() => buildComposeTestImages(), 900_000);

test("every image runs unprivileged with a health check; the proxy's carries nothing else; bwrap runs as root with its options only", async () => {
  const checked: string[] = [];
  await checkImages(images, (condition, what, detail) => {
    if (!condition) expect({ what, detail }).toBeUndefined();
    checked.push(what);
  }, { composeRunsTheRest: true });
  expect(checked.length).toBe(12);
  if (process.env.TEST_LOG === "1") console.error(await sizeTable([DEBIAN_BASE, ...Object.values(images)]));
}, 180_000);

test("the stand-ins for Redis, DynamoDB Local and Prometheus run unprivileged with a health check too", async () => {
  for (const tag of [images.redis, images.dynamodb, images.prometheus]) {
    const { user, healthCheck } = await userAndHealthCheck(tag);
    expect({ tag, unprivileged: isUnprivileged(user), healthCheck: healthCheck[0] }).toEqual({ tag, unprivileged: true, healthCheck: "CMD-SHELL" });
  }
});
