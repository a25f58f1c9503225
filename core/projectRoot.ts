import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

// The project's root, where package.json is. Herald's processes run either from the sources or from
// the compiled build (build/<fingerprint>/, scripts/compiled.js), so files read at run time
// (templates, workflow sources, scripts) are found from here, never from a module's own directory.

function rootAbove(dir: string): string {
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, 'package.json'))) return d;
    if (dirname(d) === d) throw new Error(`no package.json in ${dir} or above it`);
  }
}

export const PROJECT_ROOT = rootAbove(__dirname);
