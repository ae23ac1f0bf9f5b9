/**
 * The cluster's delivery-channel secret: queue processors authenticate to the backends' LMTP
 * port with it (adapters/net/lmtp-channel-auth.ts), so every frontend and backend must use the
 * same one. STRATO_CHANNEL_SECRET when set; otherwise <dataDir>/channel.key, created once like
 * the SRS secret (runtime/srs-secret.ts). Failure: file errors propagate.
 */
import { loadClusterSecret } from './srs-secret.ts';

export function loadChannelSecret(configured: string | undefined, dataDir: string): Promise<string> {
  return loadClusterSecret(configured, dataDir, 'channel.key');
}
