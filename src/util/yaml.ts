// The `yaml` package, loaded when the first YAML (or kubectl document) is read rather than
// with every dump: evaluating it cost ~0.3 s of every start-up (profiled on the UI's first
// frame, issue 17), and most bundles carry no YAML at all.
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';

let loaded: typeof Yaml | undefined;

export function yaml(): typeof Yaml {
  loaded ??= createRequire(import.meta.url)('yaml') as typeof Yaml;
  return loaded;
}
