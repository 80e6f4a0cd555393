import Docker from "dockerode";
import { join } from "node:path";
import { buildImage, buildProjectImages, projectImages } from "../../scripts/images.ts";
import { BASE_IMAGE as DEBIAN_BASE, ensureDebianBase } from "../../scripts/sandbox-image.ts";
import { dynamoDbLocalHome } from "../support/dynamodb-local.ts";

/**
 * The images the compose test runs, under a tag of its own (it removes none of them: the next run's build is
 * then a cache hit): the project's, built by scripts/images.ts, and stand-ins for the public images compose.yaml
 * pulls, built offline from the same Debian base (this machine reaches no registry). Grafana has no Debian
 * package: the test leaves it out. Built once per `bun test` run, whichever compose test file asks first.
 */
const TAG = "compose-test";

export const composeTestImages = {
  ...projectImages(TAG),
  redis: `abp-redis:${TAG}`,
  dynamodb: `abp-dynamodb:${TAG}`,
  prometheus: `abp-prometheus:${TAG}`,
};

async function buildAll(): Promise<void> {
  const log = (line: string) => process.env.TEST_LOG === "1" && console.error(line);
  await ensureDebianBase(new Docker(), log);
  const dockerfile = (name: string) => ["-f", join(import.meta.dir, `${name}.Dockerfile`)];
  const standIns = async () => {
    await buildImage(composeTestImages.redis, DEBIAN_BASE, import.meta.dir, dockerfile("redis"));
    await buildImage(composeTestImages.prometheus, DEBIAN_BASE, import.meta.dir, dockerfile("prometheus"));
  };
  // Side by side (see buildProjectImages): DynamoDB's, the slowest (Java), from the start.
  await Promise.all([
    buildProjectImages(composeTestImages, log),
    standIns(),
    buildImage(composeTestImages.dynamodb, DEBIAN_BASE, dynamoDbLocalHome(), dockerfile("dynamodb")),
  ]);
}

let built: Promise<void> | undefined;

export function buildComposeTestImages(): Promise<void> {
  built ??= buildAll();
  return built;
}
