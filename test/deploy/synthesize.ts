import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { App } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import cdkJson from "../../deploy/cdk.json" with { type: "json" };
import { readSettings } from "../../deploy/lib/settings.ts";
import { ProxyStack } from "../../deploy/lib/stack.ts";

/**
 * The deployment synthesised in-process, as `cdk synth` runs it (deploy/bin/app.ts) with deploy/cdk.json's
 * context plus the variant's values, into a directory of its own.
 */
export function synthesize(context: Record<string, unknown> = {}): Template {
  const app = new App({ outdir: mkdtempSync(path.join(tmpdir(), "abp-cdk-")), context: { ...cdkJson.context, ...context } });
  const settings = readSettings(app.node);
  return Template.fromStack(new ProxyStack(app, settings.stackName, settings));
}

const synthesised = new Map<string, Template>();

/** A variant's template, synthesised once per test process (the first synth loads aws-cdk-lib: seconds). */
export function templateOf(variant: keyof typeof variants): Template {
  let template = synthesised.get(variant);
  if (!template) {
    template = synthesize(variants[variant]);
    synthesised.set(variant, template);
  }
  return template;
}

/** The variants the tests cover. */
export const variants = {
  default: {},
  certificate: { certificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-0000-4000-8000-000000000000", domainName: "gw.example.com" },
  cognito: {
    certificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-0000-4000-8000-000000000000",
    domainName: "gw.example.com",
    cognito: "true",
    cognitoDomainPrefix: "abp-test",
  },
  models: {
    opusModel: "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abcd1234",
    sonnetModel: "eu.anthropic.claude-sonnet-4-6",
    modelMap: JSON.stringify({ nova: "amazon.nova-pro-v1:0" }),
    listBedrockModels: "true",
  },
} satisfies Record<string, Record<string, string>>;

export type Json = unknown;
export type Resource = { Type: string; Properties?: Record<string, Json> };

export function resources(template: Template, type: string): [string, Resource][] {
  return Object.entries(template.findResources(type) as Record<string, Resource>);
}

/**
 * A template value as text: `Fn::Join` joined, `Ref`/`Fn::GetAtt` as `${Name}` / `${Name.Attribute}` (`${AWS.Region}` for pseudo parameters), so
 * ARNs built from tokens can be compared with what they must name.
 */
export function render(value: Json): string {
  if (typeof value === "string") return value;
  if (typeof value !== "object" || value === null) return String(value);
  const record = value as Record<string, Json>;
  const join = record["Fn::Join"];
  if (Array.isArray(join)) return (join[1] as Json[]).map(render).join(String(join[0]));
  // Pseudo parameters lose their colons (`${AWS.Region}`), so rendered ARNs split on ":" as real ones do.
  if (typeof record.Ref === "string") return `\${${record.Ref.replaceAll("::", ".")}}`;
  const getAtt = record["Fn::GetAtt"];
  if (Array.isArray(getAtt)) return `\${${getAtt.join(".")}}`;
  return JSON.stringify(value);
}

/** The logical id a `Ref` or `Fn::GetAtt` points at. */
export function target(value: Json): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const record = value as Record<string, Json>;
  if (typeof record.Ref === "string") return record.Ref;
  const getAtt = record["Fn::GetAtt"];
  return Array.isArray(getAtt) ? String(getAtt[0]) : undefined;
}

/** The ECS service whose tasks run on Fargate (the proxy) or on the EC2 capacity provider (the sandbox service). */
export function ecsService(template: Template, which: "proxy" | "sandbox"): [string, Resource] {
  const found = resources(template, "AWS::ECS::Service").find(([, service]) => (service.Properties?.LaunchType === "FARGATE") === (which === "proxy"));
  if (!found) throw new Error(`no ${which} service in the template`);
  return found;
}

export function taskDefinition(template: Template, which: "proxy" | "sandbox"): Resource {
  const [, service] = ecsService(template, which);
  const id = target(service.Properties?.TaskDefinition);
  const task = id === undefined ? undefined : (template.toJSON().Resources as Record<string, Resource>)[id];
  if (!task) throw new Error(`no task definition for the ${which} service`);
  return task;
}

export interface ContainerDefinition {
  Name: string;
  Essential?: boolean;
  Image: Json;
  Environment?: { Name: string; Value: Json }[];
  Secrets?: { Name: string; ValueFrom: Json }[];
  LogConfiguration?: { LogDriver: string; Options: Record<string, Json> };
  MountPoints?: { ContainerPath: string; SourceVolume: string }[];
  User?: string;
}

export function containers(task: Resource): ContainerDefinition[] {
  return task.Properties?.ContainerDefinitions as ContainerDefinition[];
}

/** The first container's environment, values rendered. */
export function environmentOf(template: Template, which: "proxy" | "sandbox"): Record<string, string> {
  const [main] = containers(taskDefinition(template, which));
  return Object.fromEntries((main?.Environment ?? []).map((entry) => [entry.Name, render(entry.Value)]));
}

/** The security groups a service's tasks are in, by logical id. */
export function serviceGroups(template: Template, which: "proxy" | "sandbox"): string[] {
  const [, service] = ecsService(template, which);
  const network = service.Properties?.NetworkConfiguration as { AwsvpcConfiguration: { SecurityGroups: Json[] } };
  return network.AwsvpcConfiguration.SecurityGroups.map((group) => target(group) ?? "");
}
