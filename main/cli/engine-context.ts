// What every engine command (sync, watch, status, retry) shares: where the state lives, the settings
// with this run's overrides, credentials from flags or the environment, and the log.
import path from 'node:path';
import type { Command } from 'commander';
import { createFileLogger } from '../sync/logfile.js';
import { CLIENT_SECRET_NAMES, secretFrom, TOKEN_NAMES } from './common.js';
import { jsonLineLogger, type Logger } from '../sync/log.js';
import { defaultLibraryDir, defaultMountRoots } from '../sync/paths.js';
import { MemorySecretStore } from '../sync/secrets-memory.js';
import { readSettings } from '../sync/settings-file.js';
import { addStateDirOption, resolveStateDir } from './state-dir.js';
import type { Settings } from '../sync/settings.js';

export interface EngineFlags {
  stateDir?: string;
  library?: string;
  apiBase?: string;
  token?: string;
  clientId?: string;
  clientSecret?: string;
  tokenFile?: string;
  clientSecretFile?: string;
  mountRoot?: string[];
  json?: boolean;
  verbose?: boolean;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

export { addStateDirOption, resolveStateDir };

/** Options shared by the commands that run the engine. */
export function addEngineOptions(cmd: Command): Command {
  return addStateDirOption(cmd)
    .option(
      '--mount-root <dir>',
      'a folder under which recorder volumes appear (repeatable; default: the OS mount folders)',
      collect,
    )
    .option('--library <dir>', 'the local library folder (default: from settings)')
    .option('--api-base <url>', 'Plaud API base URL (or PLAUD_API_BASE)')
    .option('--token <token>', 'Plaud API token (or PLAUD_API_TOKEN)')
    .option('--client-id <id>', 'client id, exchanged with the secret for a token (or PLAUD_CLIENT_ID)')
    .option('--client-secret <secret>', 'client secret (or PLAUD_CLIENT_SECRET)')
    .option('--token-file <file>', 'read the API token from a file only you can read (or PLAUD_API_TOKEN_FILE)')
    .option(
      '--client-secret-file <file>',
      'read the client secret from a file only you can read (or PLAUD_CLIENT_SECRET_FILE)',
    )
    .option('--json', 'print one JSON object per line')
    .option('--verbose', 'also print the log to stderr');
}

export interface EngineContext {
  stateDir: string;
  settings: Settings;
  secrets: MemorySecretStore;
  mountRoots: string[];
  logger: Logger;
}

export function engineContext(flags: EngineFlags, env: NodeJS.ProcessEnv = process.env): EngineContext {
  const stateDir = resolveStateDir(flags, env);
  const stored = readSettings(stateDir, defaultLibraryDir());
  // A daemon takes its secrets from files (systemd's LoadCredential=), kept out of the process list and environment.
  const token = secretFrom(flags.token, flags.tokenFile, env, TOKEN_NAMES);
  const clientId = flags.clientId ?? env.PLAUD_CLIENT_ID;
  const clientSecret = secretFrom(flags.clientSecret, flags.clientSecretFile, env, CLIENT_SECRET_NAMES);
  // Flags win over the environment, which wins over stored settings. Overrides are for this run only.
  const settings: Settings = {
    ...stored,
    ...(flags.library ? { libraryDir: path.resolve(flags.library) } : {}),
    ...((flags.apiBase ?? env.PLAUD_API_BASE) ? { apiBase: (flags.apiBase ?? env.PLAUD_API_BASE)! } : {}),
    credentials: token
      ? { kind: 'token' }
      : clientId && clientSecret
        ? { kind: 'client', clientId }
        : stored.credentials,
  };
  const secrets = new MemorySecretStore({ apiToken: token, clientSecret });
  const mountRoots = flags.mountRoot?.length
    ? flags.mountRoot.map((r) => path.resolve(r))
    : (settings.mountRoots ?? defaultMountRoots());
  const tee = flags.verbose ? jsonLineLogger(undefined, 'debug') : undefined;
  const logger = createFileLogger(path.join(stateDir, 'logs'), {
    minLevel: flags.verbose ? 'debug' : 'info',
    ...(tee ? { tee } : {}),
  });
  return { stateDir, settings, secrets, mountRoots, logger };
}
