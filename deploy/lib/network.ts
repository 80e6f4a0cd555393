import * as ec2 from "aws-cdk-lib/aws-ec2";
import { Construct } from "constructs";
import type { Settings } from "./settings.ts";

/**
 * The VPC: public subnets for the load balancer and the NAT gateways, private ones for everything else,
 * in two zones. AWS APIs are reached through endpoints, so Bedrock, DynamoDB, image pulls, logs and
 * secrets never cross the NAT (which stays for what has no endpoint: image URLs in requests, an OIDC
 * provider's sign-in pages).
 */
export class Network extends Construct {
  readonly vpc: ec2.Vpc;

  constructor(scope: Construct, id: string, settings: Settings) {
    super(scope, id);
    this.vpc = new ec2.Vpc(this, "Vpc", {
      ipAddresses: ec2.IpAddresses.cidr(settings.vpcCidr),
      maxAzs: 2,
      natGateways: settings.natGateways,
      subnetConfiguration: [
        { name: "public", subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: "private", subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
      ],
    });
    this.vpc.addGatewayEndpoint("DynamoDb", { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB });
    // ECR keeps image layers in S3.
    this.vpc.addGatewayEndpoint("S3", { service: ec2.GatewayVpcEndpointAwsService.S3 });
    for (const [name, service] of interfaceEndpoints(settings)) {
      this.vpc.addInterfaceEndpoint(name, { service, subnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } });
    }
  }
}

/** What the tasks and the sandbox hosts call: the proxy (Bedrock), ECS itself (images, logs, secrets), the hosts' ECS agent. */
function interfaceEndpoints(settings: Settings): [string, ec2.InterfaceVpcEndpointAwsService][] {
  const endpoints: [string, ec2.InterfaceVpcEndpointAwsService][] = [
    ["BedrockRuntime", ec2.InterfaceVpcEndpointAwsService.BEDROCK_RUNTIME],
    ["EcrApi", ec2.InterfaceVpcEndpointAwsService.ECR],
    ["EcrDocker", ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER],
    ["Logs", ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS],
    ["SecretsManager", ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER],
  ];
  // The control plane only serves GET /v1/models' account listing (LIST_BEDROCK_MODELS).
  if (settings.listBedrockModels) endpoints.push(["Bedrock", ec2.InterfaceVpcEndpointAwsService.BEDROCK]);
  if (settings.sandbox) {
    endpoints.push(["Ecs", ec2.InterfaceVpcEndpointAwsService.ECS], ["EcsAgent", ec2.InterfaceVpcEndpointAwsService.ECS_AGENT], ["EcsTelemetry", ec2.InterfaceVpcEndpointAwsService.ECS_TELEMETRY]);
  }
  return endpoints;
}
