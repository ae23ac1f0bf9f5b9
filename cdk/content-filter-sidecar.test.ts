/**
 * The optional rspamd sidecar (frontend.contentFilter): the frontend task gets an essential,
 * health-checked rspamd container whose memory is added to the task size, the frontend container
 * waits for it to be healthy and is pointed at it on the task's loopback; without the setting the
 * task has the frontend container only.
 */
import { describe, expect, it } from 'vitest';
import { ENV } from '../core/config/env-names.ts';
import { type Synthesized, stage, synthStage } from './test-support.ts';

type Json = Record<string, unknown>;
interface ContainerJson {
  Name: string;
  Image: unknown;
  Essential?: boolean;
  Memory?: number;
  HealthCheck?: { Command: string[] };
  DependsOn?: { ContainerName: string; Condition: string }[];
  Environment?: { Name: string; Value: unknown }[];
}

function frontendTask(s: Synthesized): { memory: string; containers: ContainerJson[] } {
  const tasks = s.serviceTemplate.findResources('AWS::ECS::TaskDefinition');
  const [, td] = Object.entries(tasks).find(([id]) => id.startsWith('FrontendTask')) ?? [];
  if (!td) throw new Error('no frontend task definition');
  const props = (td as Json).Properties as Json;
  return { memory: String(props.Memory), containers: props.ContainerDefinitions as ContainerJson[] };
}

describe('rspamd sidecar in the frontend task', () => {
  it('is added, health-checked and counted in the task memory when frontend.contentFilter is set', () => {
    const s = synthStage(
      stage('dev', {
        frontend: {
          minTasks: 1,
          maxTasks: 3,
          contentFilter: { image: 'rspamd/rspamd:3.8', failure: 'tempfail' },
        },
      }),
    );
    const { memory, containers } = frontendTask(s);
    expect(memory).toBe('2048'); // 1024 frontend + 512 rspamd, rounded up to whole GiB
    const rspamd = containers.find((c) => c.Name === 'rspamd');
    expect(rspamd?.Image).toBe('rspamd/rspamd:3.8');
    expect(rspamd?.Essential).toBe(true);
    expect(rspamd?.Memory).toBe(512);
    expect(rspamd?.HealthCheck?.Command.join(' ')).toMatch(/rspamc -h 127\.0\.0\.1:11334 stat/);
    const frontend = containers.find((c) => c.Name === 'frontend');
    expect(frontend?.DependsOn).toEqual([{ ContainerName: 'rspamd', Condition: 'HEALTHY' }]);
    const env = Object.fromEntries((frontend?.Environment ?? []).map((e) => [e.Name, e.Value]));
    expect(env[ENV.contentFilter]).toBe('rspamd:http://127.0.0.1:11333');
    expect(env[ENV.contentFilterFailure]).toBe('tempfail');
    expect(env[ENV.contentFilterTimeoutMs]).toBe('10000');
  });

  it('is absent by default: one container, the frontend memory, no filter variables', () => {
    const { memory, containers } = frontendTask(synthStage(stage('dev')));
    expect(memory).toBe('1024');
    expect(containers.map((c) => c.Name)).toEqual(['frontend']);
    const names = (containers[0]?.Environment ?? []).map((e) => e.Name);
    expect(names).not.toContain(ENV.contentFilter);
  });
});
