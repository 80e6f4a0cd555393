import { Duration } from "aws-cdk-lib";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as ecs from "aws-cdk-lib/aws-ecs";
import * as elbv2 from "aws-cdk-lib/aws-elasticloadbalancingv2";
import type * as iam from "aws-cdk-lib/aws-iam";
import * as logs from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import type { ImageSource } from "./images.ts";
import type { Settings } from "./settings.ts";

export const proxyPort = 8080;

export interface ProxyServiceProps {
  settings: Settings;
  cluster: ecs.Cluster;
  securityGroup: ec2.SecurityGroup;
  image: ImageSource;
  /** Plain settings: names, addresses, limits. */
  environment: Record<string, string>;
  /** MASTER_API_KEY, SANDBOX_TOKEN, OIDC_CLIENT_SECRET: read by ECS from Secrets Manager at task start. */
  secrets: Record<string, ecs.Secret>;
  /** Bedrock, its tables: granted by the stack. */
  grant(role: iam.IRole): void;
  logGroup: logs.ILogGroup;
}

/**
 * The proxy on Fargate behind an Application Load Balancer: at least two tasks (ECS spreads them over
 * the two zones' subnets), scaled on CPU and on requests per target, deployed rolling with the circuit
 * breaker's rollback. The target group's health check is /ready (Redis and the store answer), and a
 * task leaving it drains for the whole stream limit before ECS sends SIGTERM, so a stream in flight ends
 * on its own; SIGTERM then flushes the usage buffer (src/server.ts) within the stop timeout.
 */
export class ProxyService extends Construct {
  readonly service: ecs.FargateService;
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly targetGroup: elbv2.ApplicationTargetGroup;
  readonly url: string;

  constructor(scope: Construct, id: string, props: ProxyServiceProps) {
    super(scope, id);
    const { settings } = props;
    const task = new ecs.FargateTaskDefinition(this, "Task", { cpu: settings.proxyCpu, memoryLimitMiB: settings.proxyMemoryMiB });
    props.grant(task.taskRole);
    props.image.grantPull(task.obtainExecutionRole());
    task.addContainer("proxy", {
      image: props.image.image,
      portMappings: [{ containerPort: proxyPort }],
      environment: props.environment,
      secrets: props.secrets,
      logging: ecs.LogDrivers.awsLogs({ streamPrefix: "proxy", logGroup: props.logGroup }),
      // Fargate's longest: the usage flush takes seconds, a stream past the drain gets the rest.
      stopTimeout: Duration.seconds(120),
    });
    this.service = new ecs.FargateService(this, "Service", {
      cluster: props.cluster,
      taskDefinition: task,
      desiredCount: settings.proxyMinTasks,
      securityGroups: [props.securityGroup],
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { enable: true, rollback: true },
      healthCheckGracePeriod: Duration.seconds(60),
    });
    this.loadBalancer = loadBalancer(this, settings, props.cluster.vpc);
    this.targetGroup = targetGroup(this, settings, props.cluster.vpc, this.service);
    // Attaching the targets lets the load balancer's group reach the proxy's on its port, and nothing else.
    this.url = listen(settings, this.loadBalancer, this.targetGroup);
    scale(this.service, settings, this.targetGroup);
  }
}

function loadBalancer(scope: Construct, settings: Settings, vpc: ec2.IVpc): elbv2.ApplicationLoadBalancer {
  const securityGroup = new ec2.SecurityGroup(scope, "LoadBalancerSecurityGroup", { vpc, description: "Load balancer of the proxy", allowAllOutbound: false });
  const port = settings.certificateArn === undefined ? 80 : 443;
  securityGroup.addIngressRule(ec2.Peer.ipv4(settings.allowedCidr), ec2.Port.tcp(port), "Clients");
  if (settings.certificateArn !== undefined) securityGroup.addIngressRule(ec2.Peer.ipv4(settings.allowedCidr), ec2.Port.tcp(80), "Redirected to https");
  return new elbv2.ApplicationLoadBalancer(scope, "LoadBalancer", {
    vpc,
    internetFacing: !settings.internalLoadBalancer,
    securityGroup,
    vpcSubnets: { subnetType: settings.internalLoadBalancer ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PUBLIC },
    // A request may run as long as the proxy's upstream limit; streams also send a ping every 10 s.
    idleTimeout: Duration.seconds(settings.streamLimitS + 60),
    dropInvalidHeaderFields: true,
  });
}

function targetGroup(scope: Construct, settings: Settings, vpc: ec2.IVpc, service: ecs.FargateService): elbv2.ApplicationTargetGroup {
  return new elbv2.ApplicationTargetGroup(scope, "Targets", {
    vpc,
    port: proxyPort,
    protocol: elbv2.ApplicationProtocol.HTTP,
    targets: [service],
    deregistrationDelay: Duration.seconds(Math.min(settings.streamLimitS + 60, 3600)),
    healthCheck: {
      path: "/ready",
      interval: Duration.seconds(15),
      timeout: Duration.seconds(5),
      healthyThresholdCount: 2,
      // /ready fails while Redis or the store does not answer: a blip of a minute replaces no task.
      unhealthyThresholdCount: 5,
    },
  });
}

/** HTTPS with the certificate (and port 80 redirected to it), else plain HTTP. */
function listen(settings: Settings, balancer: elbv2.ApplicationLoadBalancer, targets: elbv2.ApplicationTargetGroup): string {
  const host = settings.domainName ?? balancer.loadBalancerDnsName;
  if (settings.certificateArn === undefined) {
    balancer.addListener("Http", { port: 80, open: false, defaultTargetGroups: [targets] });
    return `http://${host}`;
  }
  balancer.addListener("Https", {
    port: 443,
    open: false,
    certificates: [elbv2.ListenerCertificate.fromArn(settings.certificateArn)],
    sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
    defaultTargetGroups: [targets],
  });
  balancer.addRedirect({ sourcePort: 80, targetPort: 443, open: false });
  return `https://${host}`;
}

function scale(service: ecs.FargateService, settings: Settings, targets: elbv2.ApplicationTargetGroup): void {
  const capacity = service.autoScaleTaskCount({ minCapacity: settings.proxyMinTasks, maxCapacity: settings.proxyMaxTasks });
  capacity.scaleOnCpuUtilization("Cpu", { targetUtilizationPercent: settings.cpuTargetPercent, scaleOutCooldown: Duration.seconds(60), scaleInCooldown: Duration.seconds(300) });
  capacity.scaleOnRequestCount("Requests", { requestsPerTarget: settings.requestsPerTarget, targetGroup: targets, scaleOutCooldown: Duration.seconds(60), scaleInCooldown: Duration.seconds(300) });
}
