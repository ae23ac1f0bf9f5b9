import { describe, expect, it } from 'vitest';
import { SES_MAX_INTAKE_BYTES } from '../core/outbound/ses-limits.ts';
import { loadStageConfig, parseStageConfig, StageConfigError } from './config.ts';

describe('stage config', () => {
  it('loads the shipped stages with their defaults', () => {
    const dev = loadStageConfig('dev');
    expect(dev.backend.mode).toBe('fargate');
    expect(dev.queue).toMatchObject({ processing: 'frontends', maxReceiveCount: 20, visibilitySeconds: 120 });
    const prod = loadStageConfig('prod');
    expect(prod).toMatchObject({
      retainData: true,
      backend: { mode: 'lambda', lambdaTimeoutSeconds: 30, lambdaReservedConcurrency: 20 },
      queue: { processing: 'lambda', visibilitySeconds: 360 },
      queueLambda: { timeoutSeconds: 60, maxConcurrency: 10, deadLetterSweepMinutes: 1 },
    });
  });

  it('lists every problem at once', () => {
    const bad = () =>
      parseStageConfig({
        stage: 'Prod!',
        hostname: '',
        bounceAddress: 'nobody',
        frontend: { minTasks: 5, maxTasks: 2 },
      });
    expect(bad).toThrow(StageConfigError);
    expect(bad).toThrow(
      /stage:.*\n.*hostname:.*\n.*bounceAddress:.*\n.*frontend\.minTasks: greater than maxTasks/s,
    );
  });

  it('keeps the intake limit within what SES v2 relays (40 MB after base64)', () => {
    const base = { stage: 'dev', hostname: 'mx.example.com', bounceAddress: 'postmaster@example.com' };
    expect(parseStageConfig(base).frontend.maxMessageSize).toBeLessThanOrEqual(SES_MAX_INTAKE_BYTES);
    expect(
      parseStageConfig({ ...base, frontend: { maxMessageSize: SES_MAX_INTAKE_BYTES } }).frontend
        .maxMessageSize,
    ).toBe(SES_MAX_INTAKE_BYTES);
    expect(() =>
      parseStageConfig({ ...base, frontend: { maxMessageSize: SES_MAX_INTAKE_BYTES + 1 } }),
    ).toThrow(/frontend\.maxMessageSize: at most \d+ bytes: SES v2/);
  });

  it('refuses combinations that cannot work', () => {
    const base = { stage: 'dev', hostname: 'mx.example.com', bounceAddress: 'postmaster@example.com' };
    expect(() => parseStageConfig({ ...base, queue: { processing: 'lambda' } })).toThrow(
      /cannot reach LMTP backends/,
    );
    expect(() =>
      parseStageConfig({
        ...base,
        backend: { mode: 'lambda' },
        queue: { processing: 'lambda', visibilitySeconds: 300 },
        queueLambda: { timeoutSeconds: 60 },
      }),
    ).toThrow(/queue\.visibilitySeconds: must be at least six times queueLambda\.timeoutSeconds \(360\)/);
    expect(() =>
      parseStageConfig({
        ...base,
        backend: { mode: 'lambda', lambdaTimeoutSeconds: 60 },
        queue: { processing: 'lambda', visibilitySeconds: 360 },
      }),
    ).toThrow(/backend\.lambdaTimeoutSeconds: must be shorter than queueLambda\.timeoutSeconds/);
    expect(() =>
      parseStageConfig({
        ...base,
        backend: { mode: 'lambda', lambdaReservedConcurrency: 5 },
        queue: { processing: 'lambda', visibilitySeconds: 360 },
      }),
    ).toThrow(/backend\.lambdaReservedConcurrency: must be at least queueLambda\.maxConcurrency/);
    expect(() =>
      parseStageConfig({
        ...base,
        cluster: 'static',
        backend: { mode: 'lambda' },
        queue: { processing: 'lambda' },
      }),
    ).toThrow(/static cluster pins accounts to backend ids/);
    expect(parseStageConfig(base).cluster).toBe('dynamic');
    expect(() => parseStageConfig({ ...base, backend: { mode: 'lambda', generatedMail: 'smtp' } })).toThrow(
      /backend\.generatedMail: the backend Lambda runs outside the VPC/,
    );
    expect(parseStageConfig({ ...base, backend: { generatedMail: 'smtp' } }).backend.generatedMail).toBe(
      'smtp',
    );
  });

  it('loads the split stage: a processing and an intake-only frontend service', () => {
    expect(loadStageConfig('split').frontend).toMatchObject({
      group: 'processing',
      intake: { group: 'intake', minTasks: 2, maxTasks: 8 },
    });
    expect(loadStageConfig('dev').frontend.intake).toBeUndefined();
  });

  it('refuses an intake service that cannot work', () => {
    const base = { stage: 'dev', hostname: 'mx.example.com', bounceAddress: 'postmaster@example.com' };
    expect(parseStageConfig({ ...base, frontend: { intake: {} } }).frontend.intake).toEqual({
      group: 'intake',
      minTasks: 2,
      maxTasks: 10,
    });
    expect(() => parseStageConfig({ ...base, frontend: { intake: { minTasks: 3, maxTasks: 2 } } })).toThrow(
      /frontend\.intake\.minTasks: greater than maxTasks/,
    );
    expect(() =>
      parseStageConfig({ ...base, frontend: { group: 'edge', intake: { group: 'edge' } } }),
    ).toThrow(/frontend\.intake\.group: must differ from frontend\.group/);
    expect(() => parseStageConfig({ ...base, frontend: { intake: { group: 'all' } } })).toThrow(
      /frontend\.intake\.group: reserved/,
    );
    expect(() =>
      parseStageConfig({
        ...base,
        backend: { mode: 'lambda' },
        queue: { processing: 'lambda' },
        frontend: { intake: {} },
      }),
    ).toThrow(/frontend\.intake: the queue Lambda processes the queue/);
  });

  it('names a missing stage file', () => {
    expect(() => loadStageConfig('nope')).toThrow(/cannot read stage config .*nope\.json/);
  });
});

describe('frontend.tls', () => {
  const base = {
    hostname: 'mx.example.com',
    bounceAddress: 'postmaster@example.com',
    alarmEmail: 'oncall@example.com',
  };

  it('lets only the dev stage run self-signed unless the stage says so', () => {
    expect(parseStageConfig({ ...base, stage: 'dev' }).frontend.tls).toEqual({ reloadSeconds: 300 });
    expect(() => parseStageConfig({ ...base, stage: 'prod' })).toThrow(
      /frontend\.tls: no certificate: name a Secrets Manager secret in frontend\.tls\.secretName/,
    );
    expect(
      parseStageConfig({ ...base, stage: 'prod', frontend: { tls: { allowSelfSigned: true } } }).frontend.tls,
    ).toMatchObject({ allowSelfSigned: true });
    expect(
      parseStageConfig({ ...base, stage: 'prod', frontend: { tls: { secretName: 'strato/prod/tls' } } })
        .frontend.tls,
    ).toMatchObject({ secretName: 'strato/prod/tls' });
  });

  it('refuses a secret together with a self-signed fallback', () => {
    expect(() =>
      parseStageConfig({
        ...base,
        stage: 'prod',
        frontend: { tls: { secretName: 'strato/prod/tls', allowSelfSigned: true } },
      }),
    ).toThrow(/frontend\.tls\.allowSelfSigned: a stage with a certificate secret never falls back/);
  });
});

describe('alarm target', () => {
  const base = {
    hostname: 'mx.example.com',
    bounceAddress: 'postmaster@example.com',
    frontend: { tls: { allowSelfSigned: true } },
  };

  it('is required outside the dev stage: an e-mail address or an SNS topic ARN', () => {
    expect(() => parseStageConfig({ ...base, stage: 'prod' })).toThrow(
      /alarmEmail: a non-dev stage must name who its alarms reach: alarmEmail and\/or alarmTopicArn/,
    );
    expect(parseStageConfig({ ...base, stage: 'prod', alarmEmail: 'oncall@example.com' }).alarmEmail).toBe(
      'oncall@example.com',
    );
    const arn = 'arn:aws:sns:eu-west-1:123456789012:pager';
    expect(parseStageConfig({ ...base, stage: 'prod', alarmTopicArn: arn }).alarmTopicArn).toBe(arn);
    expect(() => parseStageConfig({ ...base, stage: 'prod', alarmTopicArn: 'pager' })).toThrow(
      /alarmTopicArn: an SNS topic ARN/,
    );
    expect(parseStageConfig({ ...base, stage: 'dev' }).alarmEmail).toBeUndefined();
  });
});

describe('frontend session cap and scaling target', () => {
  const base = { stage: 'dev', hostname: 'mx.example.com', bounceAddress: 'postmaster@example.com' };

  it('defaults to 500 sessions per listener and scaling at 200 per task', () => {
    expect(parseStageConfig(base).frontend).toMatchObject({ maxClients: 500, sessionsTargetPerTask: 200 });
  });

  it('refuses a scaling target at or above the cap (tasks would shed before they scale)', () => {
    expect(() =>
      parseStageConfig({ ...base, frontend: { maxClients: 100, sessionsTargetPerTask: 100 } }),
    ).toThrow(/frontend\.sessionsTargetPerTask: must be below frontend\.maxClients \(100\)/);
    expect(
      parseStageConfig({ ...base, frontend: { maxClients: 0, sessionsTargetPerTask: 900 } }).frontend,
    ).toMatchObject({ maxClients: 0 });
  });
});
