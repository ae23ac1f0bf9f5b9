/**
 * The SMTP frontends: a Fargate service behind an internet-facing NLB with TCP listeners 25, 587
 * and 465 (client IP preserved on the target groups: smtp-server cannot use PROXY v2), CPU target
 * tracking, and (unless the queue Lambda does it) queue processing inside each task. With Fargate
 * backends also an internal SMTP port for their generated mail, found through Cloud Map
 * (frontend.<namespace>); the backend construct opens it to the backends' security group only.
 * Owns the task role's grants and the container environment.
 *
 * A stage may run a second, intake-only service (`frontend.intake`): another instance of this
 * construct with its own group, STRATO_QUEUE_PROCESSING default, task counts and CPU scaling, that
 * joins the main service's NLB target groups and security group (`edge`) instead of making its
 * own, and has no internal SMTP port (backends forward generated mail to the main service). Both
 * task roles get the same grants (queue processing, SES, backend Lambda when the frontends process
 * the queue), so `strato cluster set processing` can switch either group on at runtime.
 */
import { CfnOutput, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Metric } from 'aws-cdk-lib/aws-cloudwatch';
import { type IVpc, Peer, Port, SecurityGroup, SubnetType } from 'aws-cdk-lib/aws-ec2';
import {
  AwsLogDriver,
  type CfnService,
  ContainerDependencyCondition,
  ContainerImage,
  CpuArchitecture,
  Secret as EcsSecret,
  FargateService,
  FargateTaskDefinition,
  type ICluster,
  OperatingSystemFamily,
} from 'aws-cdk-lib/aws-ecs';
import {
  type INetworkLoadBalancerTarget,
  NetworkLoadBalancer,
  type NetworkTargetGroup,
  Protocol,
} from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { DnsRecordType } from 'aws-cdk-lib/aws-servicediscovery';
import { Construct } from 'constructs';
import { ENV } from '../../core/config/env-names.ts';
import { METRICS_NAMESPACE } from '../../core/ports/metrics.ts';
import { type StageConfig, selfSignedAllowed } from '../config.ts';
import type { BackendLambda } from './backend-lambda.ts';
import type { ClusterSecret } from './cluster-secret.ts';
import { acknowledgeTaskDefinition, CONTAINER_DATA_DIR, mountScratchVolume, stratoImage } from './image.ts';
import type { MailQueue } from './mail-queue.ts';
import type { MailStorage } from './mail-storage.ts';
import type { OutboundEmail } from './outbound-email.ts';
import { METRICS_SERVICE, metricsEnvironment, queueProcessingEnvironment } from './roles-env.ts';

export interface FrontendServiceProps {
  readonly config: StageConfig;
  readonly vpc: IVpc;
  readonly cluster: ICluster;
  readonly storage: MailStorage;
  readonly queue: MailQueue;
  readonly outbound: OutboundEmail;
  readonly srs: ClusterSecret;
  /** The delivery-channel secret (LMTP AUTH between queue processors and backends). */
  readonly channel: ClusterSecret;
  readonly backendLambda?: BackendLambda | undefined;
  /**
   * Fargate backends submit generated mail to the internal port ("forward to frontends"): the
   * frontends then register in Cloud Map (`frontend.<namespace>`) and trust these networks (the
   * backends' subnets) for relay and XGENID. Omitted with Lambda backends (outside the VPC).
   */
  readonly internalSmtp?: { readonly trustedNetworks: readonly string[] } | undefined;
  /** Which frontends these tasks are; omitted = the main service (config.frontend). */
  readonly variant?: FrontendVariant | undefined;
  /** The main service: join its NLB target groups and security group instead of making them. */
  readonly edge?: FrontendService | undefined;
}

/** One frontend service's own settings (STRATO_FRONTEND_GROUP, STRATO_QUEUE_PROCESSING, scaling). */
export interface FrontendVariant {
  readonly group: string;
  /** The environment default until the cluster setting `processing` is set. */
  readonly processingDefault: boolean;
  readonly minTasks: number;
  readonly maxTasks: number;
  /** The Service dimension of its metrics (SmtpSessionsOpen per task drives its scaling). */
  readonly metricsService: string;
}

/** Public listener port → container port name in the stage config. */
export const SMTP_LISTENERS = [
  { name: 'Mx', publicPort: 25, container: 'mxPort' },
  { name: 'Submission', publicPort: 587, container: 'submissionPort' },
  { name: 'Smtps', publicPort: 465, container: 'tlsPort' },
] as const;

export class FrontendService extends Construct {
  readonly service: FargateService;
  readonly taskDefinition: FargateTaskDefinition;
  readonly loadBalancer: NetworkLoadBalancer;
  readonly securityGroup: SecurityGroup;
  readonly targetGroups: NetworkTargetGroup[] = [];
  /** SmtpSessionsOpen of this service's tasks, Average per minute (its scaling metric). */
  readonly sessionsMetric: Metric;

  constructor(scope: Construct, id: string, props: FrontendServiceProps) {
    super(scope, id);
    const { config } = props;
    const fe = config.frontend;
    // Tasks that may process (env + grants) vs. whether they do until the cluster setting says.
    const processing = config.queue.processing === 'frontends';
    const variant = props.variant ?? {
      group: fe.group,
      processingDefault: processing,
      minTasks: fe.minTasks,
      maxTasks: fe.maxTasks,
      metricsService: METRICS_SERVICE.frontend,
    };
    if (props.edge && props.internalSmtp) {
      throw new Error('the internal SMTP port (Cloud Map name "frontend") belongs to the main service only');
    }

    this.taskDefinition = new FargateTaskDefinition(this, 'Task', {
      cpu: fe.cpu,
      memoryLimitMiB: taskMemoryMiB(fe),
      runtimePlatform: {
        cpuArchitecture: CpuArchitecture.ARM64,
        operatingSystemFamily: OperatingSystemFamily.LINUX,
      },
    });
    const logGroup = new LogGroup(this, 'Logs', { retention: RetentionDays.ONE_MONTH });
    const container = this.taskDefinition.addContainer('frontend', {
      image: stratoImage(this),
      readonlyRootFilesystem: true,
      command: ['frontend'],
      logging: new AwsLogDriver({ streamPrefix: 'frontend', logGroup }),
      stopTimeout: Duration.seconds(60),
      environment: {
        [ENV.storage]: 'aws',
        [ENV.awsRegion]: Stack.of(this).region,
        ...props.storage.environment(),
        ...props.queue.environment(),
        ...queueProcessingEnvironment(config, variant.processingDefault),
        ...(processing ? props.outbound.environment() : {}),
        ...(processing ? (props.backendLambda?.environment() ?? {}) : {}),
        [ENV.dataDir]: CONTAINER_DATA_DIR,
        [ENV.hostname]: config.hostname,
        [ENV.logLevel]: config.logLevel,
        [ENV.listenHost]: '0.0.0.0',
        [ENV.mxPort]: String(fe.mxPort),
        [ENV.healthPort]: String(fe.healthCheckPort),
        [ENV.submissionPort]: String(fe.submissionPort),
        [ENV.tlsPort]: String(fe.tlsPort),
        [ENV.maxMessageSize]: String(fe.maxMessageSize),
        [ENV.maxClients]: String(fe.maxClients),
        ...metricsEnvironment(config, variant.metricsService),
        [ENV.closeTimeoutMs]: String(45_000),
        ...(props.internalSmtp
          ? {
              [ENV.internalSmtpPort]: String(fe.internalPort),
              [ENV.trustedNetworks]: props.internalSmtp.trustedNetworks.join(','),
            }
          : {}),
        [ENV.frontendGroup]: variant.group,
        ...tlsEnvironment(config),
        ...contentFilterEnvironment(config),
      },
      secrets: {
        [ENV.srsSecret]: EcsSecret.fromSecretsManager(props.srs.secret),
        [ENV.channelSecret]: EcsSecret.fromSecretsManager(props.channel.secret),
      },
      portMappings: [
        ...SMTP_LISTENERS.map((l) => ({ containerPort: fe[l.container], name: l.name.toLowerCase() })),
        { containerPort: fe.healthCheckPort, name: 'health' },
        ...(props.internalSmtp ? [{ containerPort: fe.internalPort, name: 'internal' }] : []),
      ],
    });

    if (fe.contentFilter) {
      // The frontend starts once rspamd answers, so the first messages are not marked unchecked.
      const rspamd = this.addRspamdSidecar(fe.contentFilter, logGroup);
      container.addContainerDependencies({
        container: rspamd,
        condition: ContainerDependencyCondition.HEALTHY,
      });
    }
    this.securityGroup = props.edge?.securityGroup ?? this.createSecurityGroup(props.vpc, fe);

    this.service = new FargateService(this, 'Service', {
      cluster: props.cluster,
      taskDefinition: this.taskDefinition,
      // No desiredCount: autoscaling owns the task count (see below).
      securityGroups: [this.securityGroup],
      vpcSubnets: { subnetType: SubnetType.PRIVATE_WITH_EGRESS },
      circuitBreaker: { rollback: true },
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      healthCheckGracePeriod: Duration.seconds(60),
      // The backends' address for generated mail: frontend.<namespace>, one A record per task.
      ...(props.internalSmtp
        ? {
            cloudMapOptions: {
              name: 'frontend',
              dnsRecordType: DnsRecordType.A,
              dnsTtl: Duration.seconds(10),
            },
          }
        : {}),
    });

    const targetOf = (l: (typeof SMTP_LISTENERS)[number]) =>
      this.service.loadBalancerTarget({
        containerName: container.containerName,
        containerPort: fe[l.container],
      });
    const edge = props.edge;
    if (edge) {
      // Same listeners, same target groups: the NLB spreads connections over both services' tasks.
      this.loadBalancer = edge.loadBalancer;
      SMTP_LISTENERS.forEach((l, i) => {
        const tg = edge.targetGroups[i]!;
        tg.addTarget(targetOf(l));
        this.targetGroups.push(tg);
      });
    } else {
      this.loadBalancer = this.createLoadBalancer(props.vpc, fe, targetOf, config.retainData);
    }

    // A DesiredCount in the template would reset the running count to it at every deploy, cutting
    // a scaled-out service back in the middle of a busy hour. Without it, CloudFormation starts a
    // new service with one task and the scalable target's minimum raises it to minTasks at once.
    (this.service.node.defaultChild as CfnService).addPropertyDeletionOverride('DesiredCount');
    const scaling = this.service.autoScaleTaskCount({
      minCapacity: variant.minTasks,
      maxCapacity: variant.maxTasks,
    });
    scaling.scaleOnCpuUtilization('Cpu', {
      targetUtilizationPercent: fe.cpuTargetPercent,
      scaleInCooldown: Duration.minutes(5),
      scaleOutCooldown: Duration.minutes(1),
    });
    // And on open SMTP sessions per task (each task reports its own count every minute, so the
    // Average over the service is sessions per task). Target tracking takes a direct metric only.
    this.sessionsMetric = sessionsPerTask(config.stage, variant.metricsService);
    scaling.scaleToTrackCustomMetric('Sessions', {
      metric: this.sessionsMetric,
      targetValue: fe.sessionsTargetPerTask,
      scaleInCooldown: Duration.minutes(5),
      scaleOutCooldown: Duration.minutes(1),
    });

    mountScratchVolume(this.taskDefinition, container);
    acknowledgeTaskDefinition(this.taskDefinition);

    const role = this.taskDefinition.taskRole;
    props.storage.grantFrontend(role);
    if (fe.tls.secretName) {
      // By name: the operator creates the secret; its ARN suffix is unknown at synth.
      Secret.fromSecretNameV2(this, 'TlsCertificate', fe.tls.secretName).grantRead(role);
    }
    // Where the queue Lambda processes, the internet-facing tasks get no queue-consumer rights.
    if (processing) props.queue.grantProcess(role);
    else props.queue.grantIntake(role);
    if (processing) {
      props.outbound.grantSend(role);
      props.backendLambda?.grantInvoke(role);
    }

    if (!props.edge) {
      new CfnOutput(this, 'MxHostTarget', {
        value: this.loadBalancer.loadBalancerDnsName,
        description:
          'Point the MX host name at this NLB with a Route 53 alias A record (an MX target must not be a CNAME)',
      });
    }
  }

  /** SMTP container ports open to anyone, the health port to the VPC only. */
  /** rspamd beside the frontend (frontend.contentFilter), reached on the task's loopback. */
  private addRspamdSidecar(filter: ContentFilterConfig, logGroup: LogGroup) {
    return this.taskDefinition.addContainer('rspamd', {
      image: ContainerImage.fromRegistry(filter.image),
      essential: true,
      memoryLimitMiB: filter.memoryMiB,
      logging: new AwsLogDriver({ streamPrefix: 'rspamd', logGroup }),
      healthCheck: {
        command: ['CMD-SHELL', `rspamc -h 127.0.0.1:${RSPAMD_CONTROLLER_PORT} stat > /dev/null || exit 1`],
        interval: Duration.seconds(15),
        timeout: Duration.seconds(5),
        retries: 3,
        startPeriod: Duration.seconds(60),
      },
    });
  }

  private createSecurityGroup(vpc: IVpc, fe: StageConfig['frontend']): SecurityGroup {
    const sg = new SecurityGroup(this, 'TaskSecurityGroup', {
      vpc,
      description: 'Strato frontends: SMTP from anywhere (client IP preserved through the NLB)',
      allowAllOutbound: true,
    });
    const healthPort = fe.healthCheckPort;
    for (const p of SMTP_LISTENERS.map((l) => fe[l.container])) {
      sg.addIngressRule(Peer.anyIpv4(), Port.tcp(p), `SMTP ${p}`);
    }
    // Health checks come from the NLB's addresses inside the VPC only.
    sg.addIngressRule(Peer.ipv4(vpc.vpcCidrBlock), Port.tcp(healthPort), `health ${healthPort} from the VPC`);
    Validations.of(sg).acknowledge({
      id: 'AwsSolutions-EC23',
      reason:
        'Public MX and submission: SMTP must be reachable from any address (the NLB preserves client IPs)',
    });
    return sg;
  }

  /** The internet-facing NLB: one TCP listener and target group per SMTP port (this.targetGroups). */
  private createLoadBalancer(
    vpc: IVpc,
    fe: StageConfig['frontend'],
    targetOf: (l: (typeof SMTP_LISTENERS)[number]) => INetworkLoadBalancerTarget,
    retainData: boolean,
  ): NetworkLoadBalancer {
    const healthPort = fe.healthCheckPort;
    const lb = new NetworkLoadBalancer(this, 'Nlb', {
      vpc,
      internetFacing: true,
      crossZoneEnabled: true,
      // A stage that keeps its data (prod) cannot lose its MX address to a stray delete.
      deletionProtection: retainData,
      vpcSubnets: { subnetType: SubnetType.PUBLIC },
    });
    for (const l of SMTP_LISTENERS) {
      const listener = lb.addListener(`${l.name}Listener`, {
        port: l.publicPort,
        protocol: Protocol.TCP,
      });
      const tg = listener.addTargets(`${l.name}Targets`, {
        port: fe[l.container],
        protocol: Protocol.TCP,
        preserveClientIp: true,
        deregistrationDelay: Duration.seconds(60),
        targets: [targetOf(l)],
        // HTTP health check on its own port: TCP checks on the SMTP ports would open sessions,
        // and /health turns 503 when a task begins to stop, so the NLB drains it first.
        healthCheck: {
          protocol: Protocol.HTTP,
          path: '/health',
          port: String(healthPort),
          interval: Duration.seconds(10),
          healthyThresholdCount: 3,
          unhealthyThresholdCount: 3,
        },
      });
      this.targetGroups.push(tg);
    }
    Validations.of(lb).acknowledge({
      id: 'AwsSolutions-ELB2',
      reason:
        'NLB access logs are written only for TLS listeners; these listeners are TCP (TLS ends in the task), ' +
        'and the frontends log every session with the client address',
    });
    return lb;
  }
}

/** The open-sessions gauge of one frontend service, as its tasks publish it (runtime/metrics). */
export function sessionsPerTask(stage: string, service: string): Metric {
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName: 'SmtpSessionsOpen',
    dimensionsMap: { Stage: stage, Service: service },
    statistic: 'Average',
    period: Duration.minutes(1),
  });
}

type ContentFilterConfig = NonNullable<StageConfig['frontend']['contentFilter']>;

/** rspamd's ports inside the task (its image's defaults); only the task's own loopback uses them. */
const RSPAMD_SCAN_PORT = 11333;
const RSPAMD_CONTROLLER_PORT = 11334;

/** Fargate task memory: the frontend's plus the sidecar's, rounded up to a whole GiB (Fargate's step). */
export function taskMemoryMiB(fe: StageConfig['frontend']): number {
  if (!fe.contentFilter) return fe.memoryMiB;
  return Math.ceil((fe.memoryMiB + fe.contentFilter.memoryMiB) / 1024) * 1024;
}

/** The frontend's content-filter variables when the stage has the rspamd sidecar; none otherwise. */
function contentFilterEnvironment(config: StageConfig): Record<string, string> {
  const filter = config.frontend.contentFilter;
  if (!filter) return {};
  return {
    [ENV.contentFilter]: `rspamd:http://127.0.0.1:${RSPAMD_SCAN_PORT}`,
    [ENV.contentFilterTimeoutMs]: String(filter.timeoutMs),
    [ENV.contentFilterFailure]: filter.failure,
  };
}

/** Where the tasks' certificate comes from (frontend.tls); a named secret never falls back to self-signed. */
export function tlsEnvironment(config: StageConfig): Record<string, string> {
  const tls = config.frontend.tls;
  return {
    ...(tls.secretName ? { [ENV.tlsSecret]: tls.secretName } : {}),
    [ENV.tlsSelfSignedAllowed]: String(!tls.secretName && selfSignedAllowed(config)),
    [ENV.tlsReloadSeconds]: String(tls.reloadSeconds),
  };
}
