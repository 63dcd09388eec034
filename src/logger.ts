import type { DestinationStream, Logger } from 'pino';
import pino from 'pino';
import { isoTime } from './events/time';

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
      // pino.stdTimeFunctions.isoTime, with the per-second cache of isoTime
      timestamp: () => `,"time":"${isoTime(Date.now())}"`,
    },
    destination,
  );
}

/**
 * The logger for the one line per request: `logger` without the redaction pass, which cost
 * ~5 µs per line (measured). Safe only because that line's fields are a fixed allow-list with
 * no secret in it (path, app, command, status, outcome, reason, event id, duration): log
 * anything else through `logger` itself.
 */
export function accessLogger(logger: Logger): Logger {
  return logger.child({}, { redact: [] });
}
