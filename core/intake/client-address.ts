/**
 * The key under which the per-address abuse limits count a client: an IPv4 address as is (also
 * when a dual-stack listener reports it IPv4-mapped, ::ffff:a.b.c.d), an IPv6 address by its /64
 * — one subscriber's usual allocation, which a client could otherwise walk through one address
 * at a time. Text that is no address is used unchanged. Never throws.
 */
import { parseIp } from './trusted-networks.ts';

export function clientAddressKey(ip: string): string {
  const parsed = parseIp(ip);
  if (!parsed) return ip;
  if (parsed.family === 4) {
    const v = parsed.value;
    return [24n, 16n, 8n, 0n].map((shift) => String((v >> shift) & 0xffn)).join('.');
  }
  const top = parsed.value >> 64n;
  const groups = [48n, 32n, 16n, 0n].map((shift) => ((top >> shift) & 0xffffn).toString(16));
  return `${groups.join(':')}::/64`;
}
