import type { AppConfig, BridgeConfig } from '../config/types';
import { ConfigError, loadConfig, resolveApps } from '../config/load';
import type { ConfigSources } from '../config/load';

/** What replaces a secret in printed configuration. */
export const REDACTED = '<redacted>';

/** An app as `check-config` prints it: tokens replaced, token files named (they are paths). */
function redactApp(app: AppConfig): AppConfig {
  return {
    ...app,
    ...(app.token !== undefined && { token: REDACTED }),
    ...(app.previousTokens !== undefined && {
      previousTokens: app.previousTokens.map(() => REDACTED),
    }),
  };
}

/**
 * The configuration with every secret replaced by {@link REDACTED}: app tokens (current and
 * previous) and the SASL password. File paths stay (they are not secrets, and say where the
 * secrets come from).
 */
export function redactConfig(config: Readonly<BridgeConfig>): BridgeConfig {
  const { sasl } = config.kafka;
  return {
    ...config,
    tencent: { ...config.tencent, apps: config.tencent.apps.map(redactApp) },
    kafka: {
      ...config.kafka,
      sasl: { ...sasl, password: sasl.password === '' ? '' : REDACTED },
    },
  };
}

/** The verdict of `check-config`. */
export type ConfigCheck =
  | { ok: true; config: BridgeConfig; warnings: string[] }
  | { ok: false; problems: readonly string[] };

/**
 * Loads and validates the configuration as the server does at start (`loadConfig`, then the
 * apps' token files with `resolveApps`), and returns it redacted, or every problem found.
 * @throws only for errors that are not configuration problems.
 */
export function checkConfig(sources: ConfigSources): ConfigCheck {
  let config: Readonly<BridgeConfig>;
  try {
    config = loadConfig(sources);
    const apps = resolveApps(config.tencent.apps, sources.readFile);
    const warnings = apps
      .filter((app) => app.unsigned)
      .map((app) => `app ${app.sdkAppId} accepts UNSIGNED callbacks`);
    return { ok: true, config: redactConfig(config), warnings };
  } catch (error) {
    if (error instanceof ConfigError) return { ok: false, problems: error.problems };
    throw error;
  }
}
