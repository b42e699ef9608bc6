// `m4sim doctor`: which compiler, which Unicorn and Capstone, which versions — and what is missing.
import { spawnSync } from 'node:child_process';
import { native } from '../emulator/native.js';
import { findToolchain } from './toolchain.js';

export interface DoctorItem {
  name: string;
  ok: boolean;
  detail: string;
}

export interface DoctorReport {
  node: string;
  items: DoctorItem[];
}

function pkgConfigVersion(name: string): string | null {
  const r = spawnSync('pkg-config', ['--modversion', name], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

export function doctor(): DoctorReport {
  const items: DoctorItem[] = [];
  const tc = findToolchain();
  items.push(
    tc
      ? { name: 'arm-none-eabi-gcc', ok: true, detail: `${tc.version} (${tc.source}: ${tc.gcc})` }
      : {
          name: 'arm-none-eabi-gcc',
          ok: false,
          detail:
            'not found ($ARM_NONE_EABI_GCC, PATH, xpacks/.bin); apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi',
        },
  );
  if (tc) {
    const specs = spawnSync(tc.gcc, ['-print-file-name=rdimon.specs'], { encoding: 'utf8' }).stdout.trim();
    const ok = specs !== 'rdimon.specs' && specs !== '';
    items.push({
      name: 'newlib (rdimon)',
      ok,
      detail: ok ? specs : 'rdimon.specs not found; apt-get install libnewlib-arm-none-eabi',
    });
  }
  try {
    const v = native().versions();
    // The library the addon loaded, not the one pkg-config would find now: a build against a
    // Unicorn of one's own (README "Engine") shows here, and so does a library that is not the
    // one the addon was built against.
    const built = v.unicornHeaders === v.unicornVersion ? '' : `, built against ${v.unicornHeaders}`;
    items.push({
      name: 'unicorn',
      ok: true,
      detail: `${v.unicorn} (libunicorn ${v.unicornVersion}, ${v.unicornLibrary ?? 'library path unknown'}${built})`,
    });
    items.push({
      name: 'capstone',
      ok: true,
      detail: `${v.capstone} (libcapstone ${pkgConfigVersion('capstone') ?? '?'})`,
    });
    items.push({ name: 'native addon', ok: true, detail: 'build/Release/m4sim_native.node' });
  } catch (e) {
    items.push({ name: 'native addon', ok: false, detail: (e as Error).message });
  }
  return { node: process.version, items };
}
