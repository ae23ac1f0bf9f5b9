/**
 * Compute and edge: VPC, ECS cluster, frontends behind the NLB, backends, queue Lambda, SES,
 * monitoring, and the admin API/WebAdmin behind its own NLB (admin.allowedCidrs only).
 */
import { Stack, type StackProps } from 'aws-cdk-lib';
import { FlowLogDestination, GatewayVpcEndpointAwsService, SubnetType, Vpc } from 'aws-cdk-lib/aws-ec2';
import { Cluster, ContainerInsights } from 'aws-cdk-lib/aws-ecs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { type StageConfig, sesDomains } from '../config.ts';
import { AdminService } from '../constructs/admin-service.ts';
import { BackendLambda } from '../constructs/backend-lambda.ts';
import { BackendService } from '../constructs/backend-service.ts';
import { FrontendService } from '../constructs/frontend-service.ts';
import { Monitoring } from '../constructs/monitoring.ts';
import { OutboundEmail } from '../constructs/outbound-email.ts';
import { QueueLambda } from '../constructs/queue-lambda.ts';
import { METRICS_SERVICE } from '../constructs/roles-env.ts';
import { SesFeedback } from '../constructs/ses-feedback.ts';
import type { StatefulStack } from './stateful-stack.ts';

export class ServiceStack extends Stack {
  readonly frontend: FrontendService;
  /** The intake-only frontends (stage config `frontend.intake`), on the same NLB listeners. */
  readonly intakeFrontend?: FrontendService;
  readonly backendService?: BackendService;
  readonly backendLambda?: BackendLambda;
  readonly queueLambda?: QueueLambda;
  readonly outbound: OutboundEmail;
  readonly sesFeedback: SesFeedback;
  /** The admin API and WebAdmin (stage config `admin`; absent when admin.enabled is false). */
  readonly admin?: AdminService;

  constructor(scope: Construct, id: string, config: StageConfig, data: StatefulStack, props?: StackProps) {
    super(scope, id, props);
    const vpc = new Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: config.natGateways,
      subnetConfiguration: [
        { name: 'public', subnetType: SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'private', subnetType: SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
      ],
      // Rejected traffic, kept 90 days (a default log group would keep it for ever).
      flowLogs: {
        rejected: {
          destination: FlowLogDestination.toCloudWatchLogs(
            new LogGroup(this, 'FlowLogs', { retention: RetentionDays.THREE_MONTHS }),
          ),
        },
      },
      // S3 and DynamoDB traffic (every message's body and records) stays off the NAT gateways.
      gatewayEndpoints: {
        S3: { service: GatewayVpcEndpointAwsService.S3 },
        DynamoDB: { service: GatewayVpcEndpointAwsService.DYNAMODB },
      },
    });
    const cluster = new Cluster(this, 'Cluster', {
      vpc,
      containerInsightsV2: ContainerInsights.ENABLED,
      defaultCloudMapNamespace:
        config.backend.mode === 'fargate' ? { name: `${config.stage}.strato.internal` } : undefined,
    });
    this.outbound = new OutboundEmail(this, 'Outbound', {
      domains: sesDomains(config),
      identityDomain: config.sesIdentityDomain,
      bounceAddress: config.bounceAddress,
    });
    const shared = { config, storage: data.storage, queue: data.queue };
    this.sesFeedback = new SesFeedback(this, 'SesFeedback', { ...shared, outbound: this.outbound });
    if (config.backend.mode === 'lambda') {
      this.backendLambda = new BackendLambda(this, 'BackendLambda', { ...shared, srs: data.srs });
    }
    this.frontend = new FrontendService(this, 'Frontend', {
      ...shared,
      vpc,
      cluster,
      outbound: this.outbound,
      srs: data.srs,
      channel: data.channel,
      backendLambda: this.backendLambda,
      // Fargate backends submit generated mail to the frontends from their subnets: trusted, no wider.
      internalSmtp:
        config.backend.mode === 'fargate'
          ? { trustedNetworks: vpc.privateSubnets.map((n) => n.ipv4CidrBlock) }
          : undefined,
    });
    const intake = config.frontend.intake;
    if (intake) {
      this.intakeFrontend = new FrontendService(this, 'FrontendIntake', {
        ...shared,
        vpc,
        cluster,
        outbound: this.outbound,
        srs: data.srs,
        channel: data.channel,
        backendLambda: this.backendLambda,
        edge: this.frontend,
        variant: { ...intake, processingDefault: false, metricsService: METRICS_SERVICE.intakeFrontend },
      });
    }
    if (config.backend.mode === 'fargate') {
      this.backendService = new BackendService(this, 'Backend', {
        ...shared,
        vpc,
        cluster,
        srs: data.srs,
        channel: data.channel,
        clients: this.frontend.securityGroup,
        frontends: {
          securityGroup: this.frontend.securityGroup,
          host: `frontend.${cluster.defaultCloudMapNamespace!.namespaceName}`,
          port: config.frontend.internalPort,
        },
      });
    }
    if (config.queue.processing === 'lambda') {
      this.queueLambda = new QueueLambda(this, 'QueueLambda', {
        ...shared,
        outbound: this.outbound,
        backendLambda: this.backendLambda,
      });
    }
    if (config.admin.enabled) {
      this.admin = new AdminService(this, 'Admin', { ...shared, vpc, cluster });
    }
    const functions = [
      ...(this.backendLambda ? [{ name: 'Backend', fn: this.backendLambda.fn }] : []),
      ...(this.queueLambda ? [{ name: 'Queue', fn: this.queueLambda.fn }] : []),
    ];
    new Monitoring(this, 'Monitoring', {
      config,
      queue: data.queue,
      storage: data.storage,
      frontend: this.frontend,
      intakeFrontend: this.intakeFrontend,
      backend: this.backendService,
      functions,
    });
  }
}
