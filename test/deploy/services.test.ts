import { describe, expect, test } from "bun:test";
import type { Template } from "aws-cdk-lib/assertions";
import { configSchema } from "../../src/config.ts";
import { containers, ecsService, type Json, type Resource, environmentOf, render, resources, serviceGroups, synthesize, target, taskDefinition, templateOf } from "./synthesize.ts";

/** The services as deploy/ builds them: scaling, load balancing, logs, endpoints, cache, wiring, sign-in. */

const slow = 180_000;

function attributes(resource: { Properties?: Record<string, unknown> }, name: string): Record<string, string> {
  return Object.fromEntries(((resource.Properties?.[name] ?? []) as { Key: string; Value: string }[]).map((entry) => [entry.Key, entry.Value]));
}

function only(template: Template, type: string): Resource {
  const found = resources(template, type);
  expect(found).toHaveLength(1);
  return found[0]?.[1] ?? { Type: type };
}

describe("the proxy service", () => {
  test("runs at least two tasks in the private subnets, deploys rolling with rollback, and scales on CPU and on requests per target", () => {
    const template = templateOf("default");
    const [, service] = ecsService(template, "proxy");
    expect(service.Properties?.DesiredCount).toBeGreaterThanOrEqual(2);
    expect(service.Properties?.DeploymentConfiguration).toMatchObject({ MinimumHealthyPercent: 100, MaximumPercent: 200, DeploymentCircuitBreaker: { Enable: true, Rollback: true } });
    const network = service.Properties?.NetworkConfiguration as { AwsvpcConfiguration: { AssignPublicIp: string; Subnets: unknown[] } };
    expect(network.AwsvpcConfiguration.AssignPublicIp).toBe("DISABLED");
    // One subnet in each of the two zones.
    expect(network.AwsvpcConfiguration.Subnets.map((subnet) => target(subnet))).toEqual([expect.stringContaining("privateSubnet1"), expect.stringContaining("privateSubnet2")]);
    const scalable = only(template, "AWS::ApplicationAutoScaling::ScalableTarget");
    expect(scalable.Properties?.MinCapacity).toBeGreaterThanOrEqual(2);
    expect(scalable.Properties?.MaxCapacity).toBe(10);
    const metrics = resources(template, "AWS::ApplicationAutoScaling::ScalingPolicy").map(([, policy]) => {
      const configuration = policy.Properties?.TargetTrackingScalingPolicyConfiguration as { PredefinedMetricSpecification: { PredefinedMetricType: string }; TargetValue: number };
      return [configuration.PredefinedMetricSpecification.PredefinedMetricType, configuration.TargetValue];
    });
    expect(metrics.sort()).toEqual([["ALBRequestCountPerTarget", 1000], ["ECSServiceAverageCPUUtilization", 60]]);
  }, slow);

  test("sits behind the load balancer: idle timeout and drain past the stream limit, health check on /ready", () => {
    const template = templateOf("default");
    expect(attributes(only(template, "AWS::ElasticLoadBalancingV2::LoadBalancer"), "LoadBalancerAttributes")).toMatchObject({ "idle_timeout.timeout_seconds": "960" });
    const targets = only(template, "AWS::ElasticLoadBalancingV2::TargetGroup");
    expect(targets.Properties).toMatchObject({ HealthCheckPath: "/ready", Port: 8080, Protocol: "HTTP", TargetType: "ip" });
    expect(attributes(targets, "TargetGroupAttributes")).toMatchObject({ "deregistration_delay.timeout_seconds": "960" });
    expect(environmentOf(template, "proxy").UPSTREAM_TOTAL_TIMEOUT_MS).toBe("900000");
    const listener = only(template, "AWS::ElasticLoadBalancingV2::Listener");
    expect(listener.Properties).toMatchObject({ Port: 80, Protocol: "HTTP", DefaultActions: [{ Type: "forward" }] });
  }, slow);

  test("with a certificate, serves HTTPS and redirects port 80 to it", () => {
    const template = templateOf("certificate");
    const listeners = resources(template, "AWS::ElasticLoadBalancingV2::Listener").map(([, listener]) => listener.Properties ?? {});
    expect(listeners).toContainEqual(expect.objectContaining({ Port: 443, Protocol: "HTTPS", Certificates: [{ CertificateArn: expect.stringContaining(":certificate/") }], DefaultActions: [expect.objectContaining({ Type: "forward" })] }));
    expect(listeners).toContainEqual(expect.objectContaining({ Port: 80, Protocol: "HTTP", DefaultActions: [expect.objectContaining({ Type: "redirect", RedirectConfig: expect.objectContaining({ Port: "443", Protocol: "HTTPS" }) })] }));
  }, slow);

  test("is configured only with variables the proxy reads, wired to the tables, the cache over TLS and the sandbox service", () => {
    const template = templateOf("default");
    const environment = environmentOf(template, "proxy");
    const known = Object.keys(configSchema.shape);
    expect(Object.keys(environment).filter((name) => !known.includes(name))).toEqual([]);
    expect(environment).toMatchObject({ STORE: "dynamodb", DYNAMODB_TABLE_PREFIX: "bedrock-proxy-", LIST_BEDROCK_MODELS: "false" });
    // /metrics is off the port the load balancer forwards to.
    expect(environment.METRICS_PORT).toBe("9464");
    expect(containers(taskDefinition(template, "proxy"))[0]).toMatchObject({ PortMappings: [{ ContainerPort: 8080 }] });
    expect(environment.REDIS_URL).toMatch(/^rediss:\/\/\$\{Cache\w+\.PrimaryEndPoint\.Address\}:\$\{Cache\w+\.PrimaryEndPoint\.Port\}$/);
    const namespace = only(template, "AWS::ServiceDiscovery::PrivateDnsNamespace").Properties?.Name;
    const discovered = only(template, "AWS::ServiceDiscovery::Service").Properties?.Name;
    expect(environment.SANDBOX_URL).toBe(`http://${discovered}.${namespace}:8090`);
    const cache = only(template, "AWS::ElastiCache::ReplicationGroup");
    expect(cache.Properties).toMatchObject({ Engine: "valkey", TransitEncryptionEnabled: true, TransitEncryptionMode: "required", AtRestEncryptionEnabled: true, MultiAZEnabled: true, AutomaticFailoverEnabled: true });
    const cacheGroups = ((cache.Properties?.SecurityGroupIds ?? []) as unknown[]).map((group) => target(group));
    const cacheRules = resources(template, "AWS::EC2::SecurityGroupIngress").filter(([, rule]) => cacheGroups.includes(target(rule.Properties?.GroupId)));
    expect(cacheRules.map(([, rule]) => [target(rule.Properties?.SourceSecurityGroupId), rule.Properties?.FromPort])).toEqual([[serviceGroups(template, "proxy")[0], 6379]]);
  }, slow);

  test("names the models it is given, and MODEL_MAP as JSON", () => {
    const environment = environmentOf(templateOf("models"), "proxy");
    expect(environment.DEFAULT_OPUS_MODEL).toStartWith("arn:aws:bedrock:");
    expect(environment.DEFAULT_SONNET_MODEL).toBe("eu.anthropic.claude-sonnet-4-6");
    expect(JSON.parse(environment.MODEL_MAP ?? "{}")).toEqual({ nova: "amazon.nova-pro-v1:0" });
    expect(environment.LIST_BEDROCK_MODELS).toBe("true");
  }, slow);
});

describe("the sandbox service", () => {
  test("runs one task on the EC2 capacity provider, starting sandboxes through the host's Docker from the runtime image it pulls", () => {
    const template = templateOf("default");
    const [, service] = ecsService(template, "sandbox");
    expect(service.Properties?.DesiredCount).toBe(1);
    expect(service.Properties?.CapacityProviderStrategy).toEqual([expect.objectContaining({ Weight: 1 })]);
    const task = taskDefinition(template, "sandbox");
    expect(task.Properties).toMatchObject({ NetworkMode: "awsvpc", RequiresCompatibilities: ["EC2"], Volumes: [{ Host: { SourcePath: "/var/run/docker.sock" } }] });
    const [main, prefetch] = containers(task);
    expect(main?.MountPoints).toEqual([expect.objectContaining({ ContainerPath: "/var/run/docker.sock" })]);
    // Unprivileged, with the socket's group: the host gives its docker group the gid the task runs with.
    const [user, gid] = String(main?.User).split(":");
    expect(user).toBe("1000");
    expect(render(only(template, "AWS::EC2::LaunchTemplate").Properties?.LaunchTemplateData as Json)).toContain(`groupmod -g ${gid} docker`);
    const environment = environmentOf(template, "sandbox");
    expect(environment).toMatchObject({ SANDBOX_RUNTIME: "docker", SANDBOX_HOST: "0.0.0.0", SANDBOX_PORT: "8090" });
    expect(prefetch?.Essential).toBe(false);
    expect(render(prefetch?.Image)).toBe(environment.SANDBOX_IMAGE ?? "");
    const hosts = only(template, "AWS::AutoScaling::AutoScalingGroup");
    expect(hosts.Properties).toMatchObject({ MinSize: "1", MaxSize: "1" });
    expect(resources(template, "AWS::AutoScaling::LaunchConfiguration")).toEqual([]);
  }, slow);

  test("is left out with sandbox=false, and PTC with it", () => {
    const template = synthesize({ sandbox: "false" });
    expect(resources(template, "AWS::ECS::Service")).toHaveLength(1);
    expect(resources(template, "AWS::AutoScaling::AutoScalingGroup")).toEqual([]);
    expect(environmentOf(template, "proxy").SANDBOX_URL).toBeUndefined();
  }, slow);
});

describe("around the services", () => {
  test("every log group keeps its logs 30 days, and every container logs to one of them", () => {
    const template = templateOf("default");
    const groups = resources(template, "AWS::Logs::LogGroup");
    expect(groups.map(([, group]) => group.Properties?.RetentionInDays)).toEqual([30, 30]);
    const ids = groups.map(([id]) => id);
    for (const which of ["proxy", "sandbox"] as const) {
      for (const container of containers(taskDefinition(template, which))) {
        expect(container.LogConfiguration?.LogDriver).toBe("awslogs");
        expect(ids).toContain(target(container.LogConfiguration?.Options["awslogs-group"]) ?? "");
      }
    }
  }, slow);

  test("AWS services are reached through VPC endpoints", () => {
    const endpointNames = (template: Template) => resources(template, "AWS::EC2::VPCEndpoint").map(([, endpoint]) => render(endpoint.Properties?.ServiceName).replace(/^.*\$\{AWS\.Region\}\./, ""));
    expect(endpointNames(templateOf("default")).sort()).toEqual(["bedrock-runtime", "dynamodb", "ecr.api", "ecr.dkr", "ecs", "ecs-agent", "ecs-telemetry", "logs", "s3", "secretsmanager"]);
    // The control plane, for GET /v1/models' listing of the account's models.
    expect(endpointNames(templateOf("models"))).toContain("bedrock");
  }, slow);

  test("with cognito, the portal signs in through a user pool on the authorization-code flow", () => {
    const template = templateOf("cognito");
    const client = only(template, "AWS::Cognito::UserPoolClient");
    expect(client.Properties).toMatchObject({ GenerateSecret: true, AllowedOAuthFlows: ["code"], CallbackURLs: ["https://gw.example.com/admin/auth/callback"] });
    expect(only(template, "AWS::Cognito::UserPoolGroup").Properties?.GroupName).toBe("proxy-admins");
    const environment = environmentOf(template, "proxy");
    expect(environment).toMatchObject({ ADMIN_AUTH: "oidc", OIDC_ADMIN_GROUP: "proxy-admins", OIDC_REDIRECT_URL: "https://gw.example.com/admin/auth/callback" });
    expect(environment.OIDC_ISSUER).toMatch(/^https:\/\/cognito-idp\.\$\{AWS\.Region\}\.amazonaws\.com\/\$\{PortalSignInUsers\w+\}$/);
    // The callback is one the proxy accepts.
    expect(configSchema.shape.OIDC_REDIRECT_URL.parse(environment.OIDC_REDIRECT_URL)).toBe("https://gw.example.com/admin/auth/callback");
  }, slow);
});
