import { Aws, CfnOutput, RemovalPolicy, Stack, type StackProps } from "aws-cdk-lib";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as ecs from "aws-cdk-lib/aws-ecs";
import type * as iam from "aws-cdk-lib/aws-iam";
import * as logs from "aws-cdk-lib/aws-logs";
import type { Construct } from "constructs";
import { PortalSignIn } from "./auth.ts";
import { bedrockStatements } from "./bedrock-access.ts";
import { Cache, Tables } from "./data.ts";
import { builtImages, imageSource } from "./images.ts";
import { Network } from "./network.ts";
import { ProxyService } from "./proxy-service.ts";
import { SandboxService } from "./sandbox-service.ts";
import { Secrets } from "./secrets.ts";
import type { Settings } from "./settings.ts";

/**
 * The whole deployment in one stack: network, tables, cache, secrets, the proxy behind its load
 * balancer, the sandbox service, and optionally the portal's sign-in. It names no account or region,
 * so synth needs no AWS lookups; `cdk deploy` puts it where the credentials point.
 */
export class ProxyStack extends Stack {
  constructor(scope: Construct, id: string, settings: Settings, props?: StackProps) {
    super(scope, id, props);
    const { vpc } = new Network(this, "Network", settings);
    const tables = new Tables(this, "Tables", settings);
    const cache = new Cache(this, "Cache", { vpc, settings });
    const secrets = new Secrets(this, "Secrets", { stackName: this.stackName });
    const cluster = new ecs.Cluster(this, "Cluster", { vpc, defaultCloudMapNamespace: { name: `${this.stackName.toLowerCase()}.internal`, vpc } });
    const logGroup = (name: string) => new logs.LogGroup(this, `${name}Logs`, { retention: settings.logRetentionDays, removalPolicy: RemovalPolicy.DESTROY });
    const proxyGroup = new ec2.SecurityGroup(this, "ProxySecurityGroup", { vpc, description: "Proxy tasks" });
    cache.securityGroup.addIngressRule(proxyGroup, ec2.Port.tcp(Cache.port), "The proxy");

    const environment: Record<string, string> = {
      ...settings.proxyEnvironment,
      AWS_REGION: Aws.REGION,
      STORE: "dynamodb",
      DYNAMODB_TABLE_PREFIX: settings.tablePrefix,
      REDIS_URL: cache.url,
      UPSTREAM_TOTAL_TIMEOUT_MS: String(settings.streamLimitS * 1000),
      // Bun's longest keep-alive: the load balancer reuses connections the proxy has not closed yet.
      HTTP_IDLE_TIMEOUT_S: "255",
      DEFAULT_OPUS_MODEL: settings.opusModel,
      DEFAULT_SONNET_MODEL: settings.sonnetModel,
      DEFAULT_HAIKU_MODEL: settings.haikuModel,
      LIST_BEDROCK_MODELS: String(settings.listBedrockModels),
      // GET /metrics on a port of its own, which the load balancer does not forward: not for the internet.
      METRICS_PORT: "9464",
      ...(Object.keys(settings.modelMap).length > 0 && { MODEL_MAP: JSON.stringify(settings.modelMap) }),
    };
    const proxySecrets: Record<string, ecs.Secret> = { MASTER_API_KEY: ecs.Secret.fromSecretsManager(secrets.masterKey) };

    if (settings.sandbox) {
      const sandboxToken = ecs.Secret.fromSecretsManager(secrets.sandboxToken);
      const sandbox = new SandboxService(this, "Sandbox", {
        settings,
        cluster,
        clientSecurityGroup: proxyGroup,
        service: imageSource(this, "SandboxServiceImage", builtImages.sandboxService, settings.sandboxImage),
        runtime: imageSource(this, "SandboxRuntimeImage", builtImages.sandboxRuntime, settings.sandboxRuntimeImage),
        token: sandboxToken,
        logGroup: logGroup("Sandbox"),
      });
      environment.SANDBOX_URL = sandbox.url;
      proxySecrets.SANDBOX_TOKEN = sandboxToken;
    }
    if (settings.cognito) {
      const signIn = portalSignIn(this, settings);
      Object.assign(environment, { ADMIN_AUTH: "oidc", OIDC_ISSUER: signIn.issuer, OIDC_CLIENT_ID: signIn.clientId, OIDC_REDIRECT_URL: signIn.redirectUrl, OIDC_ADMIN_GROUP: settings.adminGroup });
      proxySecrets.OIDC_CLIENT_SECRET = ecs.Secret.fromSecretsManager(signIn.clientSecret);
    }

    const proxy = new ProxyService(this, "Proxy", {
      settings,
      cluster,
      securityGroup: proxyGroup,
      image: imageSource(this, "ProxyImage", builtImages.proxy, settings.proxyImage),
      environment,
      secrets: proxySecrets,
      grant: (role: iam.IRole) => {
        for (const statement of bedrockStatements(settings)) role.addToPrincipalPolicy(statement);
        for (const table of tables.tables) table.grantReadWriteData(role);
      },
      logGroup: logGroup("Proxy"),
    });
    new CfnOutput(this, "Url", { value: proxy.url, description: "ANTHROPIC_BASE_URL for Claude Code" });
    new CfnOutput(this, "LoadBalancerDnsName", { value: proxy.loadBalancer.loadBalancerDnsName, description: "Point domainName's DNS record here" });
    new CfnOutput(this, "MasterKeySecret", { value: secrets.masterKey.secretName, description: "aws secretsmanager get-secret-value --secret-id <this>" });
  }
}

function portalSignIn(stack: Stack, settings: Settings): PortalSignIn {
  // readSettings has checked these are set with cognito on.
  const { domainName = "", cognitoDomainPrefix = "" } = settings;
  return new PortalSignIn(stack, "PortalSignIn", { domainName, cognitoDomainPrefix, adminGroup: settings.adminGroup, stackName: stack.stackName });
}
