import type { DestinationStream, Logger } from 'pino';
import pino from 'pino';

/**
 * Paths never written to logs. We do not log queries or config, but a mistake should still not
 * leak a token: these are censored wherever they appear.
 */
export const REDACTED_PATHS = [
  'token',
  'tokens',
  'password',
  'sign',
  'Sign',
  'query.Sign',
  '*.token',
  '*.tokens',
  '*.password',
  '*.sign',
  '*.Sign',
  'config.tencent.apps[*].token',
  'config.tencent.apps[*].previousTokens',
  'config.kafka.sasl.password',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'tencent-live-kafka-bridge' },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
