/**
 * DKIM keys and signatures for tests: a fresh RSA key pair with the TXT record a test DNS server
 * publishes (`<selector>._domainkey.<domain>`), and mailauth's signer (its typings require
 * top-level key fields, but the signer reads `signatureData`, so the options are cast here once).
 */
import { generateKeyPairSync } from 'node:crypto';
import { dkimSign } from 'mailauth';

export interface DkimKey {
  readonly privateKey: string;
  /** The DKIM TXT record's value. */
  readonly txt: string;
}

export function dkimKey(): DkimKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    txt: `v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`,
  };
}

/** The message with a DKIM-Signature for `domain`/`selector` prepended. */
export async function dkimSigned(
  message: string,
  domain: string,
  selector: string,
  key: DkimKey,
): Promise<string> {
  const options = { signatureData: [{ signingDomain: domain, selector, privateKey: key.privateKey }] };
  const { signatures, errors } = await dkimSign(
    message,
    options as unknown as Parameters<typeof dkimSign>[1],
  );
  if (errors.length > 0) throw new Error(`DKIM signing failed: ${JSON.stringify(errors)}`);
  return signatures + message;
}
