// Starts the real stack (PostgreSQL database, migrations, demo data, every service, the
// gateway serving web/dist) with ../scripts/e2e-stack.sh, unless E2E_BASE_URL names one
// already running. The script prints `E2E_BASE_URL=http://127.0.0.1:PORT` once healthy and
// cleans up on SIGTERM; the returned function (Playwright's teardown) sends it.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const STARTUP_MS = Number(process.env.E2E_STACK_TIMEOUT_MS ?? 20 * 60_000);

export default async function globalSetup(): Promise<(() => Promise<void>) | undefined> {
  if (process.env.E2E_BASE_URL) return undefined;
  // Not under test-results/: Playwright empties that directory when the tests start.
  const log = createWriteStream(join(here, '.stack-output.log'), { flags: 'w' });
  const child = spawn('bash', [join(repo, 'scripts', 'e2e-stack.sh')], {
    cwd: repo,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr?.pipe(log);
  const url = await new Promise<string>((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`e2e-stack.sh gave no E2E_BASE_URL within ${STARTUP_MS} ms`)), STARTUP_MS);
    child.stdout?.on('data', (chunk: Buffer) => {
      log.write(chunk);
      buf += chunk.toString();
      const m = /^E2E_BASE_URL=(\S+)$/m.exec(buf);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`e2e-stack.sh exited (${code}) before the stack was healthy; see web/e2e/.stack-output.log`));
    });
  }).catch(async (e: unknown) => {
    await stop(child);
    throw e;
  });
  child.stdout?.on('data', (chunk: Buffer) => log.write(chunk));
  process.env.E2E_BASE_URL = url;
  return async () => {
    await stop(child);
    log.end();
  };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return;
  const exited = new Promise<boolean>((r) => child.once('exit', () => r(true)));
  const within = (ms: number) => Promise.race([exited, new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);
  child.kill('SIGTERM'); // the script traps it, stops the server and drops its database
  if (await within(30_000)) return;
  try {
    process.kill(-child.pid, 'SIGTERM'); // still running: its whole process group
  } catch {
    // already gone
  }
  await within(10_000);
}
