import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { BridgeConfig } from '../config/types';

type KafkaSettings = BridgeConfig['kafka'];

/**
 * Node TLS options for the broker connections from `kafka.ssl` (the files are read now), or
 * undefined when TLS is off. Both clients take these as they are.
 * @throws the `readFileSync` error of a file that cannot be read
 */
export function tlsOptions(ssl: KafkaSettings['ssl']): ConnectionOptions | undefined {
  if (!ssl.enabled) return undefined;
  const read = (file: string): Buffer | undefined => (file ? readFileSync(file) : undefined);
  const options: ConnectionOptions = { rejectUnauthorized: ssl.rejectUnauthorized };
  const ca = read(ssl.caFile);
  const cert = read(ssl.certFile);
  const key = read(ssl.keyFile);
  if (ca) options.ca = [ca];
  if (cert) options.cert = cert;
  if (key) options.key = key;
  return options;
}

/** SASL credentials from `kafka.sasl` (`passwordFile` read now, one trailing newline dropped). */
export interface SaslCredentials {
  mechanism: Exclude<KafkaSettings['sasl']['mechanism'], 'none'>;
  username: string;
  password: string;
}

export function saslCredentials(sasl: KafkaSettings['sasl']): SaslCredentials | undefined {
  if (sasl.mechanism === 'none') return undefined;
  const password = sasl.passwordFile
    ? readFileSync(sasl.passwordFile, 'utf8').replace(/\r?\n$/, '')
    : sasl.password;
  return { mechanism: sasl.mechanism, username: sasl.username, password };
}
