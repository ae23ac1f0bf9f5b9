/**
 * A BackendRegistry over a fixed list, for backends that do not heartbeat: a Lambda backend is
 * always "live" (AWS runs it on demand), so the queue processor is configured with its function
 * name instead of discovering it. Heartbeats and deregistration are ignored.
 */
import type { BackendInfo, BackendRegistry } from '../ports/backend-registry.ts';

export function fixedBackends(backends: readonly Omit<BackendInfo, 'expiresAt'>[]): BackendRegistry {
  const list = backends.map((b) => ({ ...b, expiresAt: Number.MAX_SAFE_INTEGER }));
  return {
    heartbeat: async () => {},
    deregister: async () => {},
    listLive: async () => [...list],
    listAll: async () => [...list],
  };
}
