import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AppConfig, BridgeConfig, ResolvedApp } from './types';
import type Joi from 'joi';
import { configSchema, crossCheck } from './schema';

/** Start-up configuration problems, all of them at once. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'CONFIG_INVALID';
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.problems = problems;
  }
}

export interface ConfigSources {
  /** Folder holding default.json and optional <NODE_ENV>.json. */
  configDir: string;
  env: Readonly<Record<string, string | undefined>>;
  readFile?: (path: string) => string;
  /**
   * Accept a configuration without apps: for the CLI's spool and dead-letter commands, which read
   * and drain the spool and verify no callback.
   */
  appsOptional?: boolean;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Objects merge key by key; arrays and scalars replace. */
function merge(base: JsonObject, override: JsonObject): JsonObject {
  const out: JsonObject = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const current = out[key];
    out[key] = isObject(current) && isObject(value) ? merge(current, value) : value;
  }
  return out;
}

/** `kafka.retry.initialRetryTimeMs` → `KAFKA_RETRY_INITIAL_RETRY_TIME_MS`. */
export function envNameFor(path: readonly string[]): string {
  return path.map((part) => part.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('_');
}

/** Short names people expect, besides the derived ones. */
const ALIASES: Record<string, string> = { PORT: 'SERVER_PORT', HOST: 'SERVER_HOST' };

export interface EnvKey {
  name: string;
  path: string[];
  kind: 'scalar' | 'list' | 'json';
}

/** Every configuration key with its environment variable, derived from the defaults. */
export function envKeys(defaults: JsonObject, prefix: string[] = []): EnvKey[] {
  const keys: EnvKey[] = [];
  for (const [key, value] of Object.entries(defaults)) {
    const path = [...prefix, key];
    // an empty object is a map with keys of the user's choosing (e.g. kafka.topicByEntity)
    if (isObject(value) && Object.keys(value).length > 0) keys.push(...envKeys(value, path));
    else {
      const kind =
        isObject(value) || key === 'apps' ? 'json' : Array.isArray(value) ? 'list' : 'scalar';
      keys.push({ name: envNameFor(path), path, kind });
    }
  }
  return keys;
}

function setPath(target: JsonObject, path: readonly string[], value: Json): void {
  let node = target;
  for (const part of path.slice(0, -1)) {
    const next = node[part];
    node = isObject(next) ? next : (node[part] = {});
  }
  node[path[path.length - 1]!] = value;
}

const list = (value: string): string[] =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');

function readJsonFile(
  path: string,
  readFile: (path: string) => string,
  problems: string[],
): JsonObject {
  try {
    const value: unknown = JSON.parse(readFile(path));
    if (isObject(value)) return value;
    problems.push(`${path}: must hold a JSON object`);
  } catch (error) {
    problems.push(`${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return {};
}

function envOverlay(defaults: JsonObject, env: ConfigSources['env'], problems: string[]) {
  const overlay: JsonObject = {};
  const value = (name: string): string | undefined => {
    const alias = Object.keys(ALIASES).find((key) => ALIASES[key] === name);
    return env[name] ?? (alias === undefined ? undefined : env[alias]);
  };
  for (const key of envKeys(defaults)) {
    const raw = value(key.name);
    if (raw === undefined) continue;
    if (key.kind === 'list') setPath(overlay, key.path, list(raw));
    else if (key.kind === 'json') {
      try {
        setPath(overlay, key.path, JSON.parse(raw) as Json);
      } catch {
        problems.push(`${key.name}: not valid JSON`);
      }
    } else setPath(overlay, key.path, raw);
  }
  return overlay;
}

/**
 * The one-app shortcut: TENCENT_SDK_APP_ID with TENCENT_CALLBACK_TOKEN or
 * TENCENT_CALLBACK_TOKEN_FILE (and TENCENT_PREVIOUS_CALLBACK_TOKENS during a rotation, or
 * TENCENT_APP_UNSIGNED=true). It replaces a configured app with the same id or adds one.
 */
function singleApp(env: ConfigSources['env'], problems: string[]): AppConfig | undefined {
  const sdkAppId = env.TENCENT_SDK_APP_ID;
  const names = [
    'TENCENT_CALLBACK_TOKEN',
    'TENCENT_CALLBACK_TOKEN_FILE',
    'TENCENT_PREVIOUS_CALLBACK_TOKENS',
    'TENCENT_APP_UNSIGNED',
  ];
  if (sdkAppId === undefined) {
    for (const name of names.filter((name) => env[name] !== undefined)) {
      problems.push(`${name} is set but TENCENT_SDK_APP_ID is not`);
    }
    return undefined;
  }
  const app: AppConfig = { sdkAppId };
  if (env.TENCENT_CALLBACK_TOKEN !== undefined) app.token = env.TENCENT_CALLBACK_TOKEN;
  if (env.TENCENT_CALLBACK_TOKEN_FILE !== undefined)
    app.tokenFile = env.TENCENT_CALLBACK_TOKEN_FILE;
  if (env.TENCENT_PREVIOUS_CALLBACK_TOKENS !== undefined) {
    app.previousTokens = list(env.TENCENT_PREVIOUS_CALLBACK_TOKENS);
  }
  if (env.TENCENT_APP_UNSIGNED !== undefined) app.unsigned = env.TENCENT_APP_UNSIGNED === 'true';
  return app;
}

/**
 * Loads `default.json`, then `<NODE_ENV>.json` if present, then the file named by `CONFIG_FILE`,
 * then environment variables (one per key, see {@link envKeys}), and validates the result.
 * Secret files are not read here (see {@link resolveApps}).
 * @throws ConfigError listing every problem found.
 */
export function loadConfig(sources: ConfigSources): Readonly<BridgeConfig> {
  const readFile = sources.readFile ?? ((path: string) => readFileSync(path, 'utf8'));
  const problems: string[] = [];
  const defaults = readJsonFile(join(sources.configDir, 'default.json'), readFile, problems);
  let merged = defaults;
  const nodeEnv = sources.env.NODE_ENV;
  const envFile = nodeEnv ? join(sources.configDir, `${nodeEnv}.json`) : undefined;
  if (envFile && existsSync(envFile))
    merged = merge(merged, readJsonFile(envFile, readFile, problems));
  const configFile = sources.env.CONFIG_FILE;
  if (configFile) merged = merge(merged, readJsonFile(configFile, readFile, problems));
  merged = merge(merged, envOverlay(defaults, sources.env, problems));

  const app = singleApp(sources.env, problems);
  /** Where the shortcut's app sits in tencent.apps: its problems are told in env names. */
  let shortcutIndex: number | undefined;
  if (app) {
    const tencent = isObject(merged.tencent) ? merged.tencent : {};
    const apps = Array.isArray(tencent.apps) ? tencent.apps : [];
    const others = apps.filter((item) => !isObject(item) || item.sdkAppId !== app.sdkAppId);
    merged = merge(merged, { tencent: { apps: [...others, app as unknown as JsonObject] } });
    shortcutIndex = others.length;
  }

  const schema = sources.appsOptional
    ? configSchema.fork(['tencent.apps'], (apps) => (apps as Joi.ArraySchema).min(0))
    : configSchema;
  const result = schema.validate(merged, { abortEarly: false, convert: true });
  if (result.error) {
    for (const detail of result.error.details) {
      const [section, key, index] = detail.path;
      const ofShortcut = section === 'tencent' && key === 'apps' && index === shortcutIndex;
      problems.push(
        ofShortcut && detail.type === 'app.noToken'
          ? 'TENCENT_SDK_APP_ID is set without TENCENT_CALLBACK_TOKEN or TENCENT_CALLBACK_TOKEN_FILE (TENCENT_APP_UNSIGNED=true accepts unsigned callbacks)'
          : detail.message,
      );
    }
  }
  problems.push(...crossCheck(result.value as Partial<BridgeConfig>));
  if (problems.length > 0) throw new ConfigError(problems);
  return deepFreeze(result.value as BridgeConfig);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/**
 * Reads each app's token files and returns the tokens to accept, current first.
 * @throws ConfigError listing every unreadable or empty file.
 */
export function resolveApps(
  apps: readonly AppConfig[],
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): ResolvedApp[] {
  const problems: string[] = [];
  const read = (file: string): string | undefined => {
    try {
      const token = readFile(file).replace(/\r?\n$/, '');
      if (token === '') problems.push(`${file}: token file is empty`);
      return token;
    } catch (error) {
      problems.push(`${file}: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
  };
  const resolved = apps.map((app) => {
    const tokens: (string | undefined)[] = [
      app.token ?? (app.tokenFile === undefined ? undefined : read(app.tokenFile)),
      ...(app.previousTokens ?? []),
      ...(app.previousTokenFiles ?? []).map(read),
    ];
    return {
      sdkAppId: app.sdkAppId,
      tokens: tokens.filter((token): token is string => token !== undefined && token !== ''),
      unsigned: app.unsigned === true,
    };
  });
  if (problems.length > 0) throw new ConfigError(problems);
  return resolved;
}
