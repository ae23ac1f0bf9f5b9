/**
 * The admin API and WebAdmin (fargate/admin) as a Fargate service: the frontends' image and
 * certificate secret (HTTPS ends in the process, STRATO_TLS_*), behind a TCP listener
 * (`admin.port`, default 443) of its own internet-facing NLB with client IPs preserved, so the
 * task's security group can allow exactly `admin.allowedCidrs` (none by default: deployed, reachable
 * from nowhere) and the login throttle sees real addresses.
 *
 * Its own NLB, not a listener on the frontends': the MX name then never answers on an admin port,
 * the MX NLB's deletion protection and listeners stay the mail path's alone, and the admin endpoint
 * can be removed (`admin.enabled: false`) without touching the mail path.
 * The NLB health check is a TCP connect to the admin port, which the security group opens to the
 * VPC's own range (where the NLB's nodes are); nothing else in the VPC talks to it.
 *
 * The first administrator's password is a secret this construct generates
 * (STRATO_ADMIN_FIRST_PASSWORD_SECRET_ID): the process uses it on its first start and logs only
 * where it is, never the password. Owns the task role's grants (the admin use cases' actions: the
 * CLI's row of ARCHITECTURE.md "On AWS") and the container environment. A synth error throws.
 */
import { CfnOutput, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { type IVpc, Peer, Port, SecurityGroup, SubnetType } from 'aws-cdk-lib/aws-ec2';
import {
  AwsLogDriver,
  CpuArchitecture,
  FargateService,
  FargateTaskDefinition,
  type ICluster,
  OperatingSystemFamily,
} from 'aws-cdk-lib/aws-ecs';
import { NetworkLoadBalancer, Protocol } from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ENV } from '../../core/config/env-names.ts';
import type { StageConfig } from '../config.ts';
import { ADMIN_CONTAINER_PORT } from '../config-admin.ts';
import { tlsEnvironment } from './frontend-service.ts';
import { acknowledgeTaskDefinition, CONTAINER_DATA_DIR, mountScratchVolume, stratoImage } from './image.ts';
import type { MailQueue } from './mail-queue.ts';
import type { MailStorage } from './mail-storage.ts';

export interface AdminServiceProps {
  readonly config: StageConfig;
  readonly vpc: IVpc;
  readonly cluster: ICluster;
  readonly storage: MailStorage;
  readonly queue: MailQueue;
}

export class AdminService extends Construct {
  readonly service: FargateService;
  readonly taskDefinition: FargateTaskDefinition;
  readonly loadBalancer: NetworkLoadBalancer;
  readonly securityGroup: SecurityGroup;
  /** The first administrator's password (JSON-free: the secret string is the password). */
  readonly firstPassword: Secret;

  constructor(scope: Construct, id: string, props: AdminServiceProps) {
    super(scope, id);
    const { config } = props;
    const admin = config.admin;
    this.taskDefinition = new FargateTaskDefinition(this, 'Task', {
      cpu: admin.cpu,
      memoryLimitMiB: admin.memoryMiB,
      runtimePlatform: {
        cpuArchitecture: CpuArchitecture.ARM64,
        operatingSystemFamily: OperatingSystemFamily.LINUX,
      },
    });
    this.firstPassword = new Secret(this, 'FirstPassword', {
      description: `Strato ${config.stage}: password of the first WebAdmin administrator ("admin")`,
      generateSecretString: { passwordLength: 32, excludePunctuation: true },
      removalPolicy: config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    Validations.of(this.firstPassword).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Used once, when the first administrator is made; the administrator then changes the password ' +
        'in the WebAdmin, so rotating this secret would change nothing',
    });
    const logGroup = new LogGroup(this, 'Logs', { retention: RetentionDays.ONE_MONTH });
    const container = this.taskDefinition.addContainer('admin', {
      image: stratoImage(this),
      readonlyRootFilesystem: true,
      command: ['admin'],
      logging: new AwsLogDriver({ streamPrefix: 'admin', logGroup }),
      stopTimeout: Duration.seconds(30),
      environment: {
        [ENV.storage]: 'aws',
        [ENV.awsRegion]: Stack.of(this).region,
        ...props.storage.environment(),
        ...props.queue.environment(),
        [ENV.dataDir]: CONTAINER_DATA_DIR,
        [ENV.hostname]: config.hostname,
        [ENV.logLevel]: config.logLevel,
        [ENV.adminHost]: '0.0.0.0',
        [ENV.adminPort]: String(ADMIN_CONTAINER_PORT),
        [ENV.adminFirstPasswordSecretId]: this.firstPassword.secretArn,
        ...tlsEnvironment(config),
      },
      portMappings: [{ containerPort: ADMIN_CONTAINER_PORT, name: 'https' }],
    });
    this.securityGroup = this.createSecurityGroup(props.vpc, config);
    this.service = new FargateService(this, 'Service', {
      cluster: props.cluster,
      taskDefinition: this.taskDefinition,
      desiredCount: admin.desiredCount,
      securityGroups: [this.securityGroup],
      vpcSubnets: { subnetType: SubnetType.PRIVATE_WITH_EGRESS },
      circuitBreaker: { rollback: true },
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      healthCheckGracePeriod: Duration.seconds(60),
    });
    this.loadBalancer = this.createLoadBalancer(props.vpc, config, container.containerName);
    mountScratchVolume(this.taskDefinition, container);
    acknowledgeTaskDefinition(this.taskDefinition);
    this.grant(props);
    new CfnOutput(this, 'Url', {
      value: `https://${this.loadBalancer.loadBalancerDnsName}${admin.port === 443 ? '' : `:${admin.port}`}/`,
      description: 'The WebAdmin and admin API (reachable only from admin.allowedCidrs)',
    });
    new CfnOutput(this, 'FirstPasswordSecret', {
      value: this.firstPassword.secretArn,
      description: 'aws secretsmanager get-secret-value --secret-id <this> : the first password of "admin"',
    });
  }

  /** The admin use cases' actions, and nothing a mail role needs (no SES, no mailboxes). */
  private grant(props: AdminServiceProps): void {
    const role = this.taskDefinition.taskRole;
    // Domains, accounts, aliases, forwarders, DKIM keys, rule sets, cluster settings.
    props.storage.grantDirectoryAdmin(role);
    // Administrators, sessions, tokens, audit; and holds, suppressions, cluster control, leases.
    props.storage.grantAdminAccess(role);
    // `trace`: message history lookups.
    props.storage.grantHistoryRead(role);
    // queue show/delete/bounce (the DSN body is stored, the removed job's body deleted).
    props.storage.grantSpoolOperator(role);
    // queue list/show/retry/bounce/delete/hold/release/redrive.
    props.queue.grantOperate(role);
    const tls = props.config.frontend.tls.secretName;
    if (tls) Secret.fromSecretNameV2(this, 'TlsCertificate', tls).grantRead(role);
    this.firstPassword.grantRead(role);
  }

  /** The admin port from allowedCidrs only (none by default), and from the VPC for the NLB health check. */
  private createSecurityGroup(vpc: IVpc, config: StageConfig): SecurityGroup {
    const sg = new SecurityGroup(this, 'TaskSecurityGroup', {
      vpc,
      description: 'Strato admin: HTTPS from admin.allowedCidrs only (client IP preserved through the NLB)',
      allowAllOutbound: true,
    });
    for (const cidr of config.admin.allowedCidrs) {
      sg.addIngressRule(Peer.ipv4(cidr), Port.tcp(ADMIN_CONTAINER_PORT), `admin HTTPS from ${cidr}`);
    }
    sg.addIngressRule(
      Peer.ipv4(vpc.vpcCidrBlock),
      Port.tcp(ADMIN_CONTAINER_PORT),
      'NLB health check from the VPC',
    );
    // cdk-nag cannot read the VPC's range (a token) and flags it; the literal CIDRs are checked
    // by the stage config, which refuses 0.0.0.0/0 unless admin.allowAnywhere says so.
    Validations.of(sg).acknowledge({
      id: 'AwsSolutions-EC23',
      reason: config.admin.allowedCidrs.includes('0.0.0.0/0')
        ? 'The stage config sets admin.allowAnywhere: the operator chose to open the admin to any address'
        : "Ingress is the VPC's own range (NLB health checks) and admin.allowedCidrs, which the stage " +
          'config refuses to include 0.0.0.0/0 without admin.allowAnywhere',
    });
    return sg;
  }

  /** Internet-facing NLB, one TCP listener passing TLS through to the task. */
  private createLoadBalancer(vpc: IVpc, config: StageConfig, containerName: string): NetworkLoadBalancer {
    const lb = new NetworkLoadBalancer(this, 'Nlb', {
      vpc,
      internetFacing: true,
      crossZoneEnabled: true,
      vpcSubnets: { subnetType: SubnetType.PUBLIC },
    });
    lb.addListener('HttpsListener', { port: config.admin.port, protocol: Protocol.TCP }).addTargets(
      'HttpsTargets',
      {
        port: ADMIN_CONTAINER_PORT,
        protocol: Protocol.TCP,
        preserveClientIp: true,
        deregistrationDelay: Duration.seconds(30),
        targets: [this.service.loadBalancerTarget({ containerName, containerPort: ADMIN_CONTAINER_PORT })],
        healthCheck: {
          protocol: Protocol.TCP,
          port: String(ADMIN_CONTAINER_PORT),
          interval: Duration.seconds(10),
          healthyThresholdCount: 3,
          unhealthyThresholdCount: 3,
        },
      },
    );
    Validations.of(lb).acknowledge({
      id: 'AwsSolutions-ELB2',
      reason:
        'NLB access logs are written only for TLS listeners; this listener is TCP (TLS ends in the task), ' +
        'and the admin process audits every change it makes',
    });
    return lb;
  }
}
