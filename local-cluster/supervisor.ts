/**
 * The node:cluster side of `npm start`: forks the frontend workers that share the SMTP ports (the
 * NLB stand-in; each worker accepts for itself, SCHED_NONE) and the backend processes (one LMTP port each), restarts a worker that exits while the cluster runs — with exponential backoff
 * when it keeps dying young, so a crash loop does not spin — and on shutdown asks every worker
 * to stop (SIGTERM) — frontends first, so their queue processors finish before the backends go —
 * and resolves once all have exited. A worker that reports a config error
 * (exit 2), or a startup failure before any worker was ever ready, is fatal: restarting would not help.
 */
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from '../core/ports/logger.ts';
import type { WorkerState } from './cluster-state.ts';

// Frontend workers accept their SMTP connections themselves from the shared listening socket
// (the kernel spreads them) instead of node:cluster's default round robin, where the primary
// accepts each connection and hands it to a worker over IPC: one connection per message paid
// that hand-off twice. NODE_CLUSTER_SCHED_POLICY=rr, when set, still chooses round robin.
if (!process.env.NODE_CLUSTER_SCHED_POLICY) cluster.schedulingPolicy = cluster.SCHED_NONE;

/** A worker that lived this long before exiting starts a fresh backoff series. */
const HEALTHY_UPTIME_MS = 10_000;
const FIRST_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 30_000;
const EXIT_CONFIG = 2;
const EXIT_STARTUP = 3;

/** One process the supervisor keeps running. */
export interface WorkerSpec {
  readonly role: 'frontend' | 'backend' | 'admin';
  /** Entry point module. */
  readonly exec: string;
  /** Extra environment for this process (e.g. its LMTP port). */
  readonly env?: Readonly<Record<string, string>>;
}

export interface SupervisorOptions {
  readonly specs: readonly WorkerSpec[];
  readonly logger: Logger;
  /** Called whenever the worker set changes (fork, ready, exit). */
  readonly onChange: () => void;
  /** Called once, when every worker has reported ready for the first time. */
  readonly onAllReady: (ports: Record<string, number>) => void;
  /** Called when the cluster cannot run (fatal worker exit); the caller shuts down with `code`. */
  readonly onFatal: (code: number, why: string) => void;
}

interface Slot {
  readonly index: number;
  readonly spec: WorkerSpec;
  worker?: Worker;
  startedAt: number;
  ready: boolean;
  /** Consecutive exits after less than HEALTHY_UPTIME_MS. */
  streak: number;
  restartTimer?: NodeJS.Timeout;
}

/** The admin worker's ready message, as far as the primary reads it. */
export interface AdminFacts {
  readonly url: string;
  readonly firstAdmin?: { readonly name: string; readonly password: string };
}

interface ReadyMessage {
  type?: string;
  ports?: Record<string, number>;
  url?: string;
  firstAdmin?: { name: string; password: string };
}

export function backoffDelay(streak: number): number {
  return streak <= 0 ? 100 : Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (streak - 1));
}

export class Supervisor {
  private readonly slots: Slot[];
  private stopping = false;
  private everReady = false;
  private allReadyAnnounced = false;
  restarts = 0;
  ports: Record<string, number> = {};
  /** What the admin worker said when it came up first (URL, and the first administrator once). */
  admin: AdminFacts | undefined;

  constructor(private readonly opts: SupervisorOptions) {
    this.slots = opts.specs.map((spec, index) => ({
      index,
      spec,
      startedAt: 0,
      ready: false,
      streak: 0,
    }));
  }

  start(): void {
    for (const slot of this.slots) this.fork(slot);
  }

  workerStates(): WorkerState[] {
    return this.slots
      .filter((s) => s.worker?.process.pid !== undefined)
      .map((s) => ({
        slot: s.index,
        role: s.spec.role,
        pid: s.worker!.process.pid!,
        startedAt: new Date(s.startedAt).toISOString(),
        ready: s.ready,
      }));
  }

  private fork(slot: Slot): void {
    slot.restartTimer = undefined;
    if (this.stopping) return;
    // setupPrimary applies to the forks that follow it: set the entry point per fork.
    cluster.setupPrimary({ exec: slot.spec.exec });
    const worker = cluster.fork(slot.spec.env);
    slot.worker = worker;
    slot.startedAt = Date.now();
    slot.ready = false;
    const log = this.opts.logger.child({
      slot: slot.index,
      role: slot.spec.role,
      workerPid: worker.process.pid,
    });
    log.info({ event: 'cluster.worker_forked' });
    worker.on('message', (msg: ReadyMessage) => {
      if (msg?.type !== `strato.${slot.spec.role}.ready`) return;
      slot.ready = true;
      this.everReady = true;
      if (msg.ports && slot.spec.role !== 'backend') this.ports = { ...this.ports, ...msg.ports };
      // The first start's credentials are shown once; a restarted admin worker keeps the first facts.
      if (slot.spec.role === 'admin' && msg.url && !this.admin) {
        this.admin = { url: msg.url, ...(msg.firstAdmin ? { firstAdmin: msg.firstAdmin } : {}) };
      }
      log.info({ event: 'cluster.worker_ready', ports: msg.ports });
      this.opts.onChange();
      if (!this.allReadyAnnounced && this.slots.every((s) => s.ready)) {
        this.allReadyAnnounced = true;
        this.opts.onAllReady(this.ports);
      }
    });
    worker.on('exit', (code, signal) => this.onExit(slot, worker, code, signal));
    this.opts.onChange();
  }

  private onExit(slot: Slot, worker: Worker, code: number | null, signal: string | null): void {
    if (slot.worker !== worker) return;
    slot.worker = undefined;
    slot.ready = false;
    this.opts.onChange();
    const uptime = Date.now() - slot.startedAt;
    const log = this.opts.logger.child({
      slot: slot.index,
      role: slot.spec.role,
      workerPid: worker.process.pid,
    });
    if (this.stopping) {
      log.info({ event: 'cluster.worker_stopped', code, signal });
      this.checkAllExited();
      return;
    }
    if (code === EXIT_CONFIG) {
      this.opts.onFatal(EXIT_CONFIG, 'a worker rejected the configuration');
      return;
    }
    // No worker has ever come up, or the one admin worker never has (a port in use, unusable
    // storage): restarting would only loop.
    if (code === EXIT_STARTUP && (!this.everReady || (slot.spec.role === 'admin' && !this.admin))) {
      this.opts.onFatal(1, `a ${slot.spec.role} worker failed to start before any was ready`);
      return;
    }
    slot.streak = uptime >= HEALTHY_UPTIME_MS ? 0 : slot.streak + 1;
    const delay = backoffDelay(slot.streak);
    this.restarts++;
    log.warn({ event: 'cluster.worker_exited', code, signal, uptimeMs: uptime, restartInMs: delay });
    slot.restartTimer = setTimeout(() => this.fork(slot), delay);
  }

  private exitWaiters: (() => void)[] = [];

  private checkAllExited(): void {
    if (this.slots.every((s) => !s.worker)) for (const w of this.exitWaiters.splice(0)) w();
    if (this.slots.every((s) => s.spec.role !== 'frontend' || !s.worker)) this.stopBackends();
  }

  private backendsStopped = false;

  /** Backends go last: queue processors in the frontends may still be delivering to them. */
  private stopBackends(): void {
    if (this.backendsStopped) return;
    this.backendsStopped = true;
    for (const slot of this.slots) if (slot.spec.role === 'backend') slot.worker?.process.kill('SIGTERM');
  }

  /** Stop restarting, SIGTERM every worker, resolve when all have exited (or after `deadlineMs`, killing the rest). */
  async shutdown(deadlineMs: number): Promise<boolean> {
    this.stopping = true;
    for (const slot of this.slots) {
      if (slot.restartTimer) clearTimeout(slot.restartTimer);
      slot.restartTimer = undefined;
      if (slot.spec.role !== 'backend') slot.worker?.process.kill('SIGTERM');
    }
    const allExited = new Promise<boolean>((resolve) => {
      this.exitWaiters.push(() => resolve(true));
      this.checkAllExited();
    });
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), deadlineMs);
    });
    const clean = await Promise.race([allExited, deadline]);
    clearTimeout(timer);
    if (!clean) {
      for (const slot of this.slots) slot.worker?.process.kill('SIGKILL');
    }
    return clean;
  }

  /** Second Ctrl-C: do not wait any longer. */
  killAll(): void {
    for (const slot of this.slots) slot.worker?.process.kill('SIGKILL');
  }
}
