/**
 * Backends as LMTP tasks on Fargate, registered in Cloud Map (backend.<namespace>) and, by their
 * heartbeat, in the coordination table's backend registry where queue processors find each task's
 * own address (the entrypoint derives STRATO_BACKEND_ADDRESS from the ECS task metadata). Each
 * task claims a numbered slot at start (STRATO_BACKEND_SLOTS = the service's task count), so its
 * backend id (backend-1..N) survives task replacement and static homes keep naming it. During a
 * rolling deployment a new task waits for the slot its predecessor releases at SIGTERM. They
 * reach the frontends' internal SMTP port (frontend.<namespace>) for generated mail in forward
 * mode, and only they may. Owns the task role's grants and the container environment.
 *
 * Health: a container health check (a TCP connect to the LMTP port) lets ECS replace a hung task;
 * alarms are in PlatformAlarms (tasks below desired). Scaling: with `backend.maxTasks` above
 * desiredCount (dynamic cluster only) the service scales on CPU between the two, and there are
 * maxTasks slots, so every added task finds one; a task scaled in is stopped with SIGTERM and
 * hands its accounts over like any graceful stop (ARCHITECTURE.md "Backends on Fargate"). Without
 * it the count is fixed (a static cluster's homes name slot ids, which scaling in would strand).
 */
import { Duration, Stack } from 'aws-cdk-lib';
import { type ISecurityGroup, type IVpc, Port, SecurityGroup, SubnetType } from 'aws-cdk-lib/aws-ec2';
import {
  AwsLogDriver,
  type CfnService,
  CpuArchitecture,
  Secret as EcsSecret,
  FargateService,
  FargateTaskDefinition,
  type ICluster,
  OperatingSystemFamily,
} from 'aws-cdk-lib/aws-ecs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { DnsRecordType } from 'aws-cdk-lib/aws-servicediscovery';
import { Construct } from 'constructs';
import { ENV } from '../../core/config/env-names.ts';
import type { StageConfig } from '../config.ts';
import type { ClusterSecret } from './cluster-secret.ts';
import { acknowledgeTaskDefinition, CONTAINER_DATA_DIR, mountScratchVolume, stratoImage } from './image.ts';
import type { MailQueue } from './mail-queue.ts';
import type { MailStorage } from './mail-storage.ts';
import { METRICS_SERVICE, metricsEnvironment } from './roles-env.ts';

/** How long a starting task waits for a free slot: longer than an old task takes to stop. */
const BACKEND_SLOT_WAIT_MS = 180_000;
/** Health checks do not count until the slot wait is over (ECS allows up to 300 s). */
export const BACKEND_HEALTH_START_PERIOD = Duration.seconds(BACKEND_SLOT_WAIT_MS / 1000 + 60);

/** A TCP connect to the LMTP port on the loopback: exit 0 when it opens (node is in the image). */
export function lmtpProbe(port: number): string {
  return (
    `require('node:net').connect(${port}, '127.0.0.1')` +
    `.on('connect', function () { this.destroy(); process.exit(0); })` +
    `.on('error', () => process.exit(1));`
  );
}

export interface BackendServiceProps {
  readonly config: StageConfig;
  readonly vpc: IVpc;
  readonly cluster: ICluster;
  readonly storage: MailStorage;
  readonly queue: MailQueue;
  readonly srs: ClusterSecret;
  /** The delivery-channel secret (LMTP AUTH between queue processors and backends). */
  readonly channel: ClusterSecret;
  /** Security group of the queue processors (the frontends) that connect over LMTP. */
  readonly clients: ISecurityGroup;
  /**
   * The frontends' internal SMTP endpoint for generated mail ("forward to frontends"). Always
   * given, whatever the start mode, so the mode can change at runtime; only the backends' security
   * group may reach it.
   */
  readonly frontends: {
    readonly securityGroup: ISecurityGroup;
    readonly host: string;
    readonly port: number;
  };
}

export class BackendService extends Construct {
  readonly service: FargateService;
  readonly taskDefinition: FargateTaskDefinition;

  constructor(scope: Construct, id: string, props: BackendServiceProps) {
    super(scope, id);
    const { config } = props;
    const be = config.backend;
    this.taskDefinition = new FargateTaskDefinition(this, 'Task', {
      cpu: be.cpu,
      memoryLimitMiB: be.memoryMiB,
      runtimePlatform: {
        cpuArchitecture: CpuArchitecture.ARM64,
        operatingSystemFamily: OperatingSystemFamily.LINUX,
      },
    });
    const logGroup = new LogGroup(this, 'Logs', { retention: RetentionDays.ONE_MONTH });
    const container = this.taskDefinition.addContainer('backend', {
      image: stratoImage(this),
      readonlyRootFilesystem: true,
      command: ['backend'],
      logging: new AwsLogDriver({ streamPrefix: 'backend', logGroup }),
      stopTimeout: Duration.seconds(60),
      environment: {
        [ENV.storage]: 'aws',
        [ENV.awsRegion]: Stack.of(this).region,
        ...props.storage.environment(),
        ...props.queue.environment(),
        ...metricsEnvironment(config, METRICS_SERVICE.backend),
        [ENV.dataDir]: CONTAINER_DATA_DIR,
        [ENV.hostname]: config.hostname,
        [ENV.logLevel]: config.logLevel,
        [ENV.lmtpHost]: '0.0.0.0',
        [ENV.lmtpPort]: String(be.lmtpPort),
        [ENV.maxMessageSize]: String(config.frontend.maxMessageSize),
        [ENV.generatedMail]: be.generatedMail,
        [ENV.backendSlots]: String(be.maxTasks ?? be.desiredCount),
        // A deployment starts the new tasks before it stops the old ones (up to 200 %): wait
        // longer than an old task's stop (stopTimeout below) for its slot.
        [ENV.backendSlotWaitMs]: String(BACKEND_SLOT_WAIT_MS),
        [ENV.generatedSmtpHost]: props.frontends.host,
        [ENV.generatedSmtpPort]: String(props.frontends.port),
      },
      secrets: {
        [ENV.srsSecret]: EcsSecret.fromSecretsManager(props.srs.secret),
        [ENV.channelSecret]: EcsSecret.fromSecretsManager(props.channel.secret),
      },
      portMappings: [{ containerPort: be.lmtpPort, name: 'lmtp' }],
      // ECS replaces a task whose LMTP port stops taking connections. The start period covers
      // the wait for a slot (the port opens once the slot is claimed).
      healthCheck: {
        command: ['CMD', 'node', '-e', lmtpProbe(be.lmtpPort)],
        interval: Duration.seconds(30),
        timeout: Duration.seconds(5),
        retries: 3,
        startPeriod: BACKEND_HEALTH_START_PERIOD,
      },
    });
    const sg = new SecurityGroup(this, 'TaskSecurityGroup', {
      vpc: props.vpc,
      description: 'Strato backends: LMTP from the queue processors only',
      allowAllOutbound: true,
    });
    sg.addIngressRule(props.clients, Port.tcp(be.lmtpPort), 'LMTP from queue processors');
    props.frontends.securityGroup.addIngressRule(
      sg,
      Port.tcp(props.frontends.port),
      'generated mail from the backends (internal SMTP)',
    );
    this.service = new FargateService(this, 'Service', {
      cluster: props.cluster,
      taskDefinition: this.taskDefinition,
      desiredCount: be.desiredCount,
      securityGroups: [sg],
      vpcSubnets: { subnetType: SubnetType.PRIVATE_WITH_EGRESS },
      circuitBreaker: { rollback: true },
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      cloudMapOptions: { name: 'backend', dnsRecordType: DnsRecordType.A, dnsTtl: Duration.seconds(10) },
    });
    if (be.maxTasks !== undefined && be.maxTasks > be.desiredCount) this.autoscale(be);
    mountScratchVolume(this.taskDefinition, container);
    acknowledgeTaskDefinition(this.taskDefinition);
    props.storage.grantBackend(this.taskDefinition.taskRole);
    props.queue.grantSend(this.taskDefinition.taskRole);
  }

  /** CPU target tracking between desiredCount and maxTasks; the template then names no count. */
  private autoscale(be: StageConfig['backend']): void {
    // As for the frontends: a DesiredCount would reset a scaled-out service at every deploy.
    (this.service.node.defaultChild as CfnService).addPropertyDeletionOverride('DesiredCount');
    this.service
      .autoScaleTaskCount({ minCapacity: be.desiredCount, maxCapacity: be.maxTasks ?? be.desiredCount })
      .scaleOnCpuUtilization('Cpu', {
        targetUtilizationPercent: be.cpuTargetPercent,
        // Scaling in hands accounts over: not more often than every 10 minutes.
        scaleInCooldown: Duration.minutes(10),
        scaleOutCooldown: Duration.minutes(1),
      });
  }
}
