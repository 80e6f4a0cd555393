import { Duration } from "aws-cdk-lib";
import * as autoscaling from "aws-cdk-lib/aws-autoscaling";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as ecs from "aws-cdk-lib/aws-ecs";
import type * as logs from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import type { ImageSource } from "./images.ts";
import type { Settings } from "./settings.ts";

export const sandboxPort = 8090;
/** The name the proxy finds the service by in the cluster's Cloud Map namespace. */
const discoveryName = "sandbox";
/**
 * The service's image runs as the unprivileged `bun` (uid 1000) and needs only the Docker socket's
 * group (docs/images.md). ECS cannot add a supplementary group, so the host's `docker` group gets this
 * fixed gid at boot (the AMI picks one at install) and the container runs with it as its primary group.
 */
const hostDockerGid = 1999;

export interface SandboxServiceProps {
  settings: Settings;
  cluster: ecs.Cluster;
  /** The proxy's group: the only one that may reach the service, on its port. */
  clientSecurityGroup: ec2.ISecurityGroup;
  service: ImageSource;
  /** What each sandbox runs (sandbox/runtime.Dockerfile), started by the service on the host's Docker. */
  runtime: ImageSource;
  token: ecs.Secret;
  logGroup: logs.ILogGroup;
}

/**
 * The sandbox service (sandbox/) on an EC2 host of its own: it starts a container per sandbox through
 * the host's Docker socket (SANDBOX_RUNTIME=docker, as compose.yaml does), which Fargate does not offer.
 * One task: its sessions live in its memory and the proxy has one SANDBOX_URL, so it grows with the
 * instance type, not in number. Its task has an interface of its own in the private subnets whose
 * group lets in the proxy's group on the service's port and nothing else, and sends nothing out (the
 * host's ECS agent pulls images and fetches the secret). The proxy finds it by its Cloud Map name.
 */
export class SandboxService extends Construct {
  readonly url: string;
  readonly securityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: SandboxServiceProps) {
    super(scope, id);
    const { settings, cluster } = props;
    this.securityGroup = new ec2.SecurityGroup(this, "SecurityGroup", { vpc: cluster.vpc, description: "Sandbox service: the proxy only", allowAllOutbound: false });
    this.securityGroup.addIngressRule(props.clientSecurityGroup, ec2.Port.tcp(sandboxPort), "The proxy");
    const capacityProvider = hosts(this, settings, cluster);
    const task = taskDefinition(this, props);
    const service = new ecs.Ec2Service(this, "Service", {
      cluster,
      taskDefinition: task,
      desiredCount: 1,
      securityGroups: [this.securityGroup],
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      capacityProviderStrategies: [{ capacityProvider: capacityProvider.capacityProviderName, weight: 1 }],
      // One host, one task: a deploy replaces it in place (its sessions end either way).
      minHealthyPercent: 0,
      maxHealthyPercent: 100,
      circuitBreaker: { enable: true, rollback: true },
      cloudMapOptions: { name: discoveryName, dnsTtl: Duration.seconds(10) },
    });
    service.node.addDependency(capacityProvider);
    const namespace = cluster.defaultCloudMapNamespace?.namespaceName ?? "";
    this.url = `http://${discoveryName}.${namespace}:${sandboxPort}`;
  }
}

function hosts(scope: Construct, settings: Settings, cluster: ecs.Cluster): ecs.AsgCapacityProvider {
  const group = new autoscaling.AutoScalingGroup(scope, "Hosts", {
    vpc: cluster.vpc,
    vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
    instanceType: new ec2.InstanceType(settings.sandboxInstanceType),
    machineImage: ecs.EcsOptimizedImage.amazonLinux2023(),
    minCapacity: 1,
    maxCapacity: 1,
    requireImdsv2: true,
    // The host takes no connection; the task's own interface does.
    securityGroup: new ec2.SecurityGroup(scope, "HostSecurityGroup", { vpc: cluster.vpc, description: "Sandbox hosts: no inbound" }),
  });
  // Before the ECS agent starts (it waits for cloud-init), so every task sees the socket with this gid.
  group.addUserData(`groupmod -g ${hostDockerGid} docker`, "chgrp docker /var/run/docker.sock");
  const provider = new ecs.AsgCapacityProvider(scope, "Capacity", { autoScalingGroup: group, enableManagedTerminationProtection: false });
  cluster.addAsgCapacityProvider(provider);
  return provider;
}

function taskDefinition(scope: Construct, props: SandboxServiceProps): ecs.Ec2TaskDefinition {
  const task = new ecs.Ec2TaskDefinition(scope, "Task", {
    networkMode: ecs.NetworkMode.AWS_VPC,
    volumes: [{ name: "docker", host: { sourcePath: "/var/run/docker.sock" } }],
  });
  const executionRole = task.obtainExecutionRole();
  props.service.grantPull(executionRole);
  props.runtime.grantPull(executionRole);
  const service = task.addContainer("sandbox", {
    image: props.service.image,
    user: `1000:${hostDockerGid}`,
    // The sandboxes' memory is the host's, outside this reservation: see sandboxMaxSessions.
    memoryReservationMiB: 512,
    portMappings: [{ containerPort: sandboxPort }],
    environment: {
      SANDBOX_HOST: "0.0.0.0",
      SANDBOX_PORT: String(sandboxPort),
      SANDBOX_RUNTIME: "docker",
      SANDBOX_IMAGE: props.runtime.uri,
      SANDBOX_MAX_SESSIONS: String(props.settings.sandboxMaxSessions),
    },
    secrets: { SANDBOX_TOKEN: props.token },
    logging: ecs.LogDrivers.awsLogs({ streamPrefix: "sandbox", logGroup: props.logGroup }),
  });
  service.addMountPoints({ containerPath: "/var/run/docker.sock", sourceVolume: "docker", readOnly: false });
  // Pulls the runtime image onto the host for the service to start its sandboxes from, then exits
  // (compose.yaml's sandbox-image does the same). The service's own sandboxes keep it in use.
  task.addContainer("runtime-image", {
    image: props.runtime.image,
    essential: false,
    command: ["true"],
    memoryReservationMiB: 16,
    logging: ecs.LogDrivers.awsLogs({ streamPrefix: "runtime-image", logGroup: props.logGroup }),
  });
  return task;
}
