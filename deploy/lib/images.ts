import path from "node:path";
import { Stack } from "aws-cdk-lib";
import * as ecr from "aws-cdk-lib/aws-ecr";
import { DockerImageAsset, Platform } from "aws-cdk-lib/aws-ecr-assets";
import * as ecs from "aws-cdk-lib/aws-ecs";
import type * as iam from "aws-cdk-lib/aws-iam";
import { Construct } from "constructs";

/** The repository's root: the build context of the proxy's and the sandbox service's Dockerfiles. */
export const repoRoot = path.resolve(import.meta.dirname, "../..");

/**
 * What the images do not need of the build context: synth copies the context into cdk.out and hashes it,
 * so everything else left in would cost every synth its size (node_modules alone is hundreds of MB).
 * The repository's .dockerignore is added to these.
 */
const notInImages = ["**/node_modules", ".git", ".ci", "deploy", "test", "docs", "data", "observability", "scripts", "cdk.out", "*.md", "compose.yaml", ".env*", ".gitignore"];

export interface ImageSource {
  image: ecs.ContainerImage;
  /** The URI the image is pulled by (what SANDBOX_IMAGE names). */
  uri: string;
  /** Lets a task's execution role pull it (an asset's repository or an ECR URI; nothing for public images). */
  grantPull(role: iam.IRole): void;
}

export interface BuiltImage {
  directory: string;
  file: string;
  target?: string;
  exclude: string[];
}

export const builtImages = {
  proxy: { directory: repoRoot, file: "Dockerfile", target: "proxy", exclude: notInImages },
  sandboxService: { directory: repoRoot, file: "sandbox/service.Dockerfile", exclude: [...notInImages, "emulator", "src"] },
  // Its context is sandbox/: only the runner goes in.
  sandboxRuntime: { directory: path.join(repoRoot, "sandbox"), file: "runtime.Dockerfile", exclude: ["*", "!runner", "!runtime.Dockerfile"] },
} satisfies Record<string, BuiltImage>;

/** The image at `uri` when one is given, else the one built from the repository's Dockerfile as an asset. */
export function imageSource(scope: Construct, id: string, built: BuiltImage, uri: string | undefined): ImageSource {
  if (uri !== undefined) return fromUri(scope, id, uri);
  const asset = new DockerImageAsset(scope, id, {
    directory: built.directory,
    file: built.file,
    ...(built.target && { target: built.target }),
    exclude: built.exclude,
    platform: Platform.LINUX_AMD64,
  });
  return { image: ecs.ContainerImage.fromDockerImageAsset(asset), uri: asset.imageUri, grantPull: (role) => asset.repository.grantPull(role) };
}

const ecrUri = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com\/([^:@]+)/;

function fromUri(scope: Construct, id: string, uri: string): ImageSource {
  const match = ecrUri.exec(uri);
  const image = ecs.ContainerImage.fromRegistry(uri);
  if (!match) return { image, uri, grantPull: () => {} };
  const [, account, region, name] = match;
  const repository = ecr.Repository.fromRepositoryAttributes(new Construct(scope, id), "Repository", {
    repositoryName: name ?? "",
    repositoryArn: Stack.of(scope).formatArn({ service: "ecr", account, region, resource: "repository", resourceName: name }),
  });
  return { image, uri, grantPull: (role) => repository.grantPull(role) };
}
