// Fails when src/api/schema.d.ts differs from what ../docs/openapi.json generates now.
// Fix with `npm run gen:api`.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const web = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = mkdtempSync(join(tmpdir(), 'ap-web-api-'));
const out = join(dir, 'schema.d.ts');
try {
  try {
    execFileSync(
      process.execPath,
      [join(web, 'node_modules/openapi-typescript/bin/cli.js'), join(web, '../docs/openapi.json'), '-o', out],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
  } catch (e) {
    console.error(String(e.stderr ?? e).split('\n').filter((l) => l.includes('✘')).join('\n'));
    console.error('docs/openapi.json cannot be turned into TypeScript types (see above): fix the document.');
    rmSync(dir, { recursive: true, force: true });
    process.exit(1);
  }
  const fresh = readFileSync(out, 'utf8');
  const committed = readFileSync(join(web, 'src/api/schema.d.ts'), 'utf8');
  if (fresh !== committed) {
    console.error('src/api/schema.d.ts is stale: docs/openapi.json changed. Run `npm run gen:api` in web/.');
    process.exitCode = 1;
  } else {
    console.log('src/api/schema.d.ts matches docs/openapi.json');
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
