import { RemovalPolicy } from "aws-cdk-lib";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as elasticache from "aws-cdk-lib/aws-elasticache";
import { Construct } from "constructs";
import type { Settings } from "./settings.ts";
import { type KeyAttribute, tableSpecs } from "./table-specs.ts";

/** Keys, usage, prices and the audit log in DynamoDB (on demand, point-in-time recovery). */
export class Tables extends Construct {
  readonly tables: dynamodb.Table[];

  constructor(scope: Construct, id: string, settings: Settings) {
    super(scope, id);
    this.tables = tableSpecs.map((spec) => {
      const table = new dynamodb.Table(this, spec.suffix, {
        tableName: `${settings.tablePrefix}${spec.suffix}`,
        partitionKey: attribute(spec.partitionKey),
        ...(spec.sortKey && { sortKey: attribute(spec.sortKey) }),
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        encryption: dynamodb.TableEncryption.AWS_MANAGED,
        // Keys and a month's spend are the gateway's state: kept by default when the stack goes.
        removalPolicy: settings.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      });
      for (const index of spec.indexes) {
        table.addGlobalSecondaryIndex({ indexName: index.name, partitionKey: attribute(index.partitionKey), sortKey: attribute(index.sortKey), projectionType: dynamodb.ProjectionType.ALL });
      }
      return table;
    });
  }
}

function attribute(key: KeyAttribute): dynamodb.Attribute {
  return { name: key.name, type: key.type === "S" ? dynamodb.AttributeType.STRING : dynamodb.AttributeType.NUMBER };
}

/**
 * Valkey for the token buckets, shared caches and PTC containers: one primary and replicas in the other
 * zone with automatic failover, TLS in transit (the proxy's REDIS_URL is rediss://, which ioredis
 * connects over TLS), encrypted at rest, reachable only from the security groups let in.
 */
export class Cache extends Construct {
  readonly securityGroup: ec2.SecurityGroup;
  readonly url: string;
  static readonly port = 6379;

  constructor(scope: Construct, id: string, props: { vpc: ec2.IVpc; settings: Settings }) {
    super(scope, id);
    const { vpc, settings } = props;
    this.securityGroup = new ec2.SecurityGroup(this, "SecurityGroup", { vpc, description: "Valkey: the proxy only", allowAllOutbound: false });
    const subnets = new elasticache.CfnSubnetGroup(this, "Subnets", {
      description: "Private subnets of the proxy VPC",
      subnetIds: vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }).subnetIds,
    });
    const failover = settings.cacheNodes > 1;
    const group = new elasticache.CfnReplicationGroup(this, "ReplicationGroup", {
      replicationGroupDescription: "Rate limits, caches and PTC containers of the Anthropic Bedrock proxy",
      engine: "valkey",
      engineVersion: "8.0",
      cacheNodeType: settings.cacheNodeType,
      numCacheClusters: settings.cacheNodes,
      automaticFailoverEnabled: failover,
      multiAzEnabled: failover,
      transitEncryptionEnabled: true,
      transitEncryptionMode: "required",
      atRestEncryptionEnabled: true,
      port: Cache.port,
      cacheSubnetGroupName: subnets.ref,
      securityGroupIds: [this.securityGroup.securityGroupId],
    });
    this.url = `rediss://${group.attrPrimaryEndPointAddress}:${group.attrPrimaryEndPointPort}`;
  }
}
