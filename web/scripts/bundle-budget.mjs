// Fails when the initial JavaScript of the invoice list — the entry chunk (the shell) plus the
// invoice list's route chunk and everything either imports statically — exceeds the budget,
// gzip-compressed. Other screens are lazy chunks loaded on navigation and do not count.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const BUDGET = 250 * 1024;
const web = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(web, 'dist');
// Measures the current build (`npm run build`); builds when there is none.
if (!existsSync(join(dist, '.vite/manifest.json'))) {
  execFileSync(process.execPath, [join(web, 'node_modules/vite/bin/vite.js'), 'build'], { cwd: web, stdio: 'inherit' });
}
const manifest = JSON.parse(readFileSync(join(dist, '.vite/manifest.json'), 'utf8'));
const entries = Object.entries(manifest).filter(([, c]) => c.isEntry);
if (entries.length !== 1) throw new Error(`expected one entry chunk, found ${entries.length}`);

const seen = new Set();
const visit = (key) => {
  if (seen.has(key)) return;
  seen.add(key);
  for (const dep of manifest[key].imports ?? []) visit(dep);
};
visit(entries[0][0]);
const LANDING = 'src/pages/InvoicesPage.tsx';
if (!manifest[LANDING]) throw new Error(`${LANDING} is not a chunk of its own (is it lazy-loaded?)`);
visit(LANDING);

let total = 0;
for (const key of seen) {
  const file = manifest[key].file;
  const size = gzipSync(readFileSync(join(dist, file)), { level: 9 }).length;
  total += size;
  console.log(`${(size / 1024).toFixed(1).padStart(8)} KB  ${file}`);
}
const kb = (total / 1024).toFixed(1);
if (total > BUDGET) {
  console.error(`initial JS ${kb} KB gzip exceeds the budget of ${BUDGET / 1024} KB`);
  process.exit(1);
}
console.log(`initial JS ${kb} KB gzip (budget ${BUDGET / 1024} KB)`);
