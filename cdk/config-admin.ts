/**
 * The `admin` part of the stage config: the admin API and WebAdmin service (cdk/constructs/
 * admin-service.ts). It is deployed by default but reachable from nowhere until `allowedCidrs`
 * names the operators' networks; 0.0.0.0/0 is refused unless `allowAnywhere` says so (a bad idea:
 * the login throttle is then the only thing between the internet and the cluster's
 * administration). Invalid CIDRs stop synth with the others problems of the stage file.
 */
import { z } from 'zod';

/** Where the process listens inside the task (non-root: above 1024); the NLB forwards `port` here. */
export const ADMIN_CONTAINER_PORT = 8443;

const EVERYWHERE = '0.0.0.0/0';

/** Why an IPv4 CIDR is not one, or undefined when it is (network address with its host bits zero). */
export function ipv4CidrProblem(cidr: string): string | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!m) return 'not an IPv4 CIDR such as 203.0.113.0/24 (the NLB is IPv4 only)';
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32)
    return 'not an IPv4 CIDR (an octet above 255 or a prefix above 32)';
  const address = octets.reduce((a, o) => a * 256 + o, 0);
  const hostBits = 2 ** (32 - prefix);
  if (address % hostBits !== 0)
    return `host bits set: the network is ${networkOf(address, hostBits)}/${prefix}`;
  return undefined;
}

function networkOf(address: number, hostBits: number): string {
  const n = address - (address % hostBits);
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

export const adminConfigSchema = z
  .object({
    /** Deploy the admin service at all (default true; reachable only from allowedCidrs). */
    enabled: z.boolean().default(true),
    /**
     * IPv4 networks that may reach the admin listener (the task's security group; the NLB keeps
     * client addresses). Empty (the default): deployed, reachable from nowhere.
     */
    allowedCidrs: z
      .array(z.string())
      .default([])
      .superRefine((cidrs, ctx) => {
        for (const [i, cidr] of cidrs.entries()) {
          const problem = ipv4CidrProblem(cidr);
          if (problem) ctx.addIssue({ code: 'custom', path: [i], message: `${cidr}: ${problem}` });
        }
      }),
    /**
     * Accept 0.0.0.0/0 in allowedCidrs. A bad idea: the administration is then open to the
     * internet, with the login throttle as its only shield. Prefer a VPN's or office's network.
     */
    allowAnywhere: z.boolean().default(false),
    /** The NLB's TLS-passthrough TCP listener (HTTPS ends in the task). */
    port: z.number().int().min(1).max(65535).default(443),
    cpu: z.number().int().default(256),
    memoryMiB: z.number().int().default(512),
    desiredCount: z.number().int().min(0).default(1),
  })
  .superRefine((a, ctx) => {
    const i = a.allowedCidrs.indexOf(EVERYWHERE);
    if (i >= 0 && !a.allowAnywhere) {
      ctx.addIssue({
        code: 'custom',
        path: ['allowedCidrs', i],
        message:
          '0.0.0.0/0 opens the administration to the whole internet: name your networks, or set ' +
          'admin.allowAnywhere to true if you really mean it (not recommended)',
      });
    }
  });

export type AdminStageConfig = z.output<typeof adminConfigSchema>;
