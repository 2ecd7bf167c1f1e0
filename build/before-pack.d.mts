// Types for the electron-builder beforePack hook (plain ESM so electron-builder can load it without a build step).
export function requiredUsbPackages(platform: string, arch: string): string[];
export function missingUsbPackages(projectDir: string, platform: string, arch: string): string[];
export function beforePack(context: {
  electronPlatformName: string;
  arch: number | string;
  packager?: { projectDir?: string };
}): Promise<void>;
export default beforePack;
