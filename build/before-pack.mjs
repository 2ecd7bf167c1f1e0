// electron-builder beforePack hook: refuse to package an app that could not talk to the recorder.
// `usb` loads its native binary from one optional npm package per platform (@node-usb/usb-<os>-<arch>);
// npm installs only the one for the machine it runs on, and npmRebuild is off, so packaging another
// arch (an x64 build on an arm64 Mac, say) would silently ship without USB. Fail loudly instead.
import fs from 'node:fs';
import path from 'node:path';
import process from 'node:process';

// electron-builder's Arch enum (builder-util): ia32=0, x64=1, armv7l=2, arm64=3, universal=4.
const ARCH_NAMES = ['ia32', 'x64', 'armv7l', 'arm64', 'universal'];

/** The @node-usb packages a build for this platform/arch needs (names from usb's napi target list). */
export function requiredUsbPackages(platform, arch) {
  if (arch === 'universal') return [...requiredUsbPackages(platform, 'x64'), ...requiredUsbPackages(platform, 'arm64')];
  const table = {
    darwin: { x64: 'darwin-x64', arm64: 'darwin-arm64' },
    win32: { x64: 'win32-x64-msvc', ia32: 'win32-ia32-msvc', arm64: 'win32-arm64-msvc' },
    linux: { x64: 'linux-x64-gnu', arm64: 'linux-arm64-gnu', armv7l: 'linux-arm-gnueabihf' },
  };
  const suffix = table[platform] && table[platform][arch];
  if (!suffix)
    throw new Error(`Plaud Sync cannot be packaged for ${platform}/${arch}: the usb package has no binary for it.`);
  return [`@node-usb/usb-${suffix}`];
}

/** Names of required packages whose .node binary is missing under projectDir/node_modules. */
export function missingUsbPackages(projectDir, platform, arch) {
  return requiredUsbPackages(platform, arch).filter((name) => {
    const dir = path.join(projectDir, 'node_modules', ...name.split('/'));
    let entries;
    try {
      entries = fs.readdirSync(dir);
    } catch {
      return true;
    }
    return !entries.some((f) => f.endsWith('.node'));
  });
}

export async function beforePack(context) {
  const arch = typeof context.arch === 'number' ? ARCH_NAMES[context.arch] : String(context.arch);
  const projectDir = context.packager && context.packager.projectDir ? context.packager.projectDir : process.cwd();
  const missing = missingUsbPackages(projectDir, context.electronPlatformName, arch);
  if (missing.length > 0) {
    // The platform packages are versioned in lockstep with usb itself.
    const usbVersion = JSON.parse(
      fs.readFileSync(path.join(projectDir, 'node_modules', 'usb', 'package.json'), 'utf8'),
    ).version;
    const list = missing.map((m) => `${m}@${usbVersion}`).join(' ');
    throw new Error(
      `The USB binary for ${context.electronPlatformName}/${arch} is not installed (${missing.join(', ')}), ` +
        `so this build could not see the recorder. Install it first:\n  npm install --no-save --force ${list}`,
    );
  }
}

export default beforePack;
