/**
 * `npm run start:aws-local`: the local cluster on the AWS adapters. Starts the emulators
 * (fauxqs for SQS and S3, DynamoDB Local, aws-ses-v2-local), creates the cluster's queue, tables
 * and buckets on them, and runs `npm start`'s cluster with STRATO_STORAGE=aws pointed at them,
 * external mail going out through SES. Ctrl-C stops the cluster, then the emulators.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startEmulators } from '../adapters/aws/testing/emulators.ts';
import { createLocalAwsResources } from './aws-local-resources.ts';

const emulators = await startEmulators();
const env = await createLocalAwsResources(emulators.endpoints);
console.log(
  `AWS emulators: SQS/S3 ${emulators.endpoints.sqs}, DynamoDB ${emulators.endpoints.dynamodb}, ` +
    `SES ${emulators.endpoints.ses} (sent mail: GET ${emulators.endpoints.ses}/store)`,
);
const cluster = spawn(
  process.execPath,
  ['--import', 'tsx', fileURLToPath(new URL('../local-cluster/main.ts', import.meta.url))],
  { stdio: 'inherit', env: { ...process.env, STRATO_RELAY: process.env.STRATO_RELAY ?? 'ses', ...env } },
);
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  cluster.kill('SIGTERM');
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
cluster.on('exit', async (code) => {
  await emulators.stop();
  process.exit(code ?? 1);
});
