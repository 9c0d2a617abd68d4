/**
 * `bulwark/config`: a service refuses to start with a clear list of everything wrong in its
 * configuration, never printing a secret, and takes new configuration at run time without a
 * restart and without ever running on a half-valid config.
 *
 * @packageDocumentation
 */
export type { ConfigIssue } from '../core/errors.js';
export { ConfigError } from '../core/errors.js';
export type { ConfigChange } from './diff.js';
export type { ConfigFile } from './files.js';
export type { DeepReadonly } from './freeze.js';
export type { Config, ConfigExplanation, ExplainedSetting } from './load.js';
export { explainConfig, loadConfig } from './load.js';
export type { LoadConfigOptions } from './options.js';
export type { SecretMeta } from './secret.js';
export { secret } from './secret.js';
export type {
  ConfigChangeEvent,
  ConfigHealth,
  ConfigTarget,
  ConfigWatcher,
  ConfigWatcherEvents,
  ReloadResult,
  WatchConfigOptions,
} from './watch.js';
export { watchConfig } from './watch.js';
