/**
 * How the Lambda entry points are bundled: local esbuild (no Docker), ESM for Node 22 on arm64,
 * everything inlined (the AWS SDK too: the runtime's copy may be older than ours). The embedded
 * adapters' native better-sqlite3 is replaced by a stub: Lambdas always run with STRATO_STORAGE=aws.
 */
import { fileURLToPath } from 'node:url';
import { Duration, Validations } from 'aws-cdk-lib';
import {
  Architecture,
  type Function as LambdaFunction,
  LoggingFormat,
  Runtime,
} from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, type NodejsFunctionProps, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const LAMBDA_RUNTIME = Runtime.NODEJS_22_X;
export const LAMBDA_ARCHITECTURE = Architecture.ARM_64;
/** Node's own settings for every Strato Lambda: stack traces mapped to the sources through the bundled source maps. */
export const LAMBDA_NODE_ENVIRONMENT = { NODE_OPTIONS: '--enable-source-maps' } as const;
/** Writable scratch directory of a Lambda (STRATO_DATA_DIR). */
export const LAMBDA_DATA_DIR = '/tmp/strato';

export function entry(path: string): string {
  return fileURLToPath(new URL(`../../${path}`, import.meta.url));
}

export const lambdaBundling: BundlingOptions = {
  format: OutputFormat.ESM,
  target: 'node22',
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  mainFields: ['module', 'main'],
  externalModules: [],
  forceDockerBundling: false,
  // CommonJS dependencies call require(); give the ESM bundle one.
  banner: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  esbuildArgs: { '--alias:better-sqlite3': './cdk/stubs/better-sqlite3.cjs' },
};

/** The properties every Strato Lambda shares: entry, runtime, local bundling, JSON logs. */
export function stratoLambdaProps(opts: {
  entryPath: string;
  memoryMiB: number;
  timeoutSeconds: number;
  description: string;
}): NodejsFunctionProps {
  return {
    entry: entry(opts.entryPath),
    handler: 'handler',
    projectRoot: repoRoot,
    depsLockFilePath: `${repoRoot}package-lock.json`,
    runtime: LAMBDA_RUNTIME,
    architecture: LAMBDA_ARCHITECTURE,
    memorySize: opts.memoryMiB,
    timeout: Duration.seconds(opts.timeoutSeconds),
    bundling: lambdaBundling,
    loggingFormat: LoggingFormat.JSON,
    description: opts.description,
  };
}

/** cdk-nag findings every Strato Lambda accepts. */
export function acknowledgeLambda(fn: LambdaFunction): void {
  Validations.of(fn).acknowledge(
    {
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: 'The AWS managed basic execution policy only lets the function write its own CloudWatch logs',
    },
    {
      id: 'AwsSolutions-L1',
      reason:
        'nodejs22.x is pinned on purpose: the code is built and tested for Node 22 (production) and 20 (dev)',
    },
  );
}
