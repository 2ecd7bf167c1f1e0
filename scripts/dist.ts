// `npm run dist[:mac|:win|:linux]` (after `npm run build:app`): packages the built app with electron-builder,
// using electron-builder.yml plus an update feed taken from the environment:
//   PLAUD_UPDATE_URL=https://downloads.example.com/plaud-sync/   generic feed (upload release/ there yourself)
//   PLAUD_UPDATE_GITHUB=owner/repo                                GitHub Releases (GH_TOKEN to publish)
//   PLAUD_PUBLISH=always                                          upload the artifacts (GitHub only); default never
// Without a feed the installers carry no app-update.yml and the in-app updater stays off.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Configuration } from 'electron-builder';

type PublishConfiguration =
  | { provider: 'generic'; url: string; channel?: string }
  | { provider: 'github'; owner: string; repo: string; releaseType: 'draft' };
import { checkFeedUrl } from '../main/app/updater.js';

export type DistPlatform = 'mac' | 'win' | 'linux';

/** The `publish` block for this environment, or null when no feed is configured. Throws on a bad value. */
export function publishFromEnv(env: NodeJS.ProcessEnv): PublishConfiguration | null {
  const url = env.PLAUD_UPDATE_URL?.trim();
  const gh = env.PLAUD_UPDATE_GITHUB?.trim();
  if (url && gh) throw new Error('Set PLAUD_UPDATE_URL or PLAUD_UPDATE_GITHUB, not both.');
  if (url) {
    const c = checkFeedUrl(url);
    if (!c.ok) throw new Error(c.detail);
    const channel = env.PLAUD_UPDATE_CHANNEL?.trim();
    return { provider: 'generic', url: c.url, ...(channel ? { channel } : {}) };
  }
  if (gh) {
    const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)\/([A-Za-z0-9][A-Za-z0-9._-]*)$/.exec(gh);
    if (!m) throw new Error(`PLAUD_UPDATE_GITHUB must be "owner/repo" (got "${gh}")`);
    return { provider: 'github', owner: m[1]!, repo: m[2]!, releaseType: 'draft' };
  }
  return null;
}

export function platformFromArgs(argv: string[], host: NodeJS.Platform = process.platform): DistPlatform {
  if (argv.includes('--mac')) return 'mac';
  if (argv.includes('--win')) return 'win';
  if (argv.includes('--linux')) return 'linux';
  return host === 'darwin' ? 'mac' : host === 'win32' ? 'win' : 'linux';
}

/** What is handed to electron-builder's build(): merged over electron-builder.yml by electron-builder itself. */
export function distOptions(argv: string[], env: NodeJS.ProcessEnv, projectDir: string) {
  const publish = publishFromEnv(env);
  const config: Configuration = publish ? { publish } : {};
  const platform = platformFromArgs(argv);
  return {
    projectDir,
    [platform]: [] as string[], // [] = the targets listed in electron-builder.yml
    config,
    publish: env.PLAUD_PUBLISH === 'always' ? ('always' as const) : ('never' as const),
  };
}

async function main(): Promise<void> {
  const projectDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const options = distOptions(process.argv.slice(2), process.env, projectDir);
  if (!options.config.publish)
    console.log('dist: no PLAUD_UPDATE_URL / PLAUD_UPDATE_GITHUB: building without auto-update.');
  const { build } = await import('electron-builder');
  const files = await build(options);
  console.log(`dist: built\n  ${files.join('\n  ')}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((err: unknown) => {
    console.error(`dist: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
