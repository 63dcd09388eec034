import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createSqliteSpool } from '../../../src/spool';
import type { SpoolRecord } from '../../../src/spool';
import { crashTestBatchSize, crashTestMessage } from '../../helpers/spool-child';

const ROOT = resolve(__dirname, '../../..');
const CHILD = join(ROOT, 'test/helpers/spool-child.ts');
/** Kill the child once it has reported this many appended batches. */
const KILL_AFTER_BATCHES = 150;
const CHILD_TIMEOUT_MS = 30_000;

interface ChildRun {
  /** batch number -> seqs the child printed after append() returned */
  printed: Map<number, number[]>;
  signal: NodeJS.Signals | null;
}

/**
 * Runs test/helpers/spool-child.ts (through tsx's in-process loader, so the pid we kill is the
 * process that holds the spool), waits for KILL_AFTER_BATCHES lines, then SIGKILLs it mid-stream.
 */
function runChildAndKill(dbPath: string, firstBatch: number): Promise<ChildRun> {
  return new Promise<ChildRun>((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dbPath, String(firstBatch)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const printed = new Map<number, number[]>();
    let buffered = '';
    let stderr = '';
    let killed = false;
    const watchdog = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`child did not report ${KILL_AFTER_BATCHES} batches in time; stderr: ${stderr}`),
      );
    }, CHILD_TIMEOUT_MS);

    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? ''; // an incomplete last line is ignored
      for (const line of lines) {
        if (line === 'ready') continue;
        const [batch, seqs] = line.split(' ');
        printed.set(Number(batch), (seqs ?? '').split(',').map(Number));
      }
      if (!killed && printed.size >= KILL_AFTER_BATCHES) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.on('error', (err) => {
      clearTimeout(watchdog);
      reject(err);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(watchdog);
      if (!killed) {
        reject(new Error(`child exited on its own (code ${code}, signal ${signal}): ${stderr}`));
        return;
      }
      resolvePromise({ printed, signal });
    });
  });
}

describe('sqlite spool durability under SIGKILL', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'spool-crash-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('every append that returned in the killed process is on disk, complete and identical', async () => {
    const dbPath = join(dir, 'spool', 'spool.sqlite');
    const allPrinted = new Map<number, number[]>();
    let firstBatch = 0;

    // Three crash/restart rounds on the same file: recovery must also work on a recovered file.
    for (let round = 0; round < 3; round++) {
      const run = await runChildAndKill(dbPath, firstBatch);
      expect(run.signal).toBe('SIGKILL');
      expect(run.printed.size).toBeGreaterThanOrEqual(KILL_AFTER_BATCHES);
      for (const [batch, seqs] of run.printed) allPrinted.set(batch, seqs);

      const spool = createSqliteSpool({
        path: dbPath,
        maxEvents: 10_000_000,
        maxBytes: 10 * 1024 ** 3,
        maxAgeSeconds: 10 * 365 * 24 * 3600,
        now: () => 1_700_000_000_000,
      });
      try {
        const records = spool.peek(1_000_000);
        const bySeq = new Map<number, SpoolRecord>(records.map((r) => [r.seq, r]));

        // 1. every printed seq is present with identical content
        for (const [batch, seqs] of allPrinted) {
          expect(seqs).toHaveLength(crashTestBatchSize(batch));
          seqs.forEach((seq, item) => {
            const rec = bySeq.get(seq);
            expect(rec).toBeDefined();
            const want = crashTestMessage(batch, item);
            expect({ ...rec, value: rec?.value.toString('hex') }).toEqual({
              ...want,
              value: want.value.toString('hex'),
              seq,
            });
          });
        }

        // 2. all-or-nothing: every stored batch is complete; at most one batch beyond the printed
        //    ones (committed, but killed before it could print)
        const byBatch = new Map<number, SpoolRecord[]>();
        for (const r of records) {
          const batch = Number(r.headers['batch']);
          byBatch.set(batch, [...(byBatch.get(batch) ?? []), r]);
        }
        const unprinted = [...byBatch.keys()].filter((b) => !allPrinted.has(b));
        expect(unprinted.length).toBeLessThanOrEqual(1);
        for (const [batch, recs] of byBatch) {
          expect(recs).toHaveLength(crashTestBatchSize(batch));
          recs.forEach((r, item) => expect(r.eventId).toBe(`ev-${batch}-${item}`));
        }

        // 3. seq order == acceptance order, stats agree with content
        const batchesInSeqOrder = records.map((r) => Number(r.headers['batch']));
        expect(batchesInSeqOrder).toEqual([...batchesInSeqOrder].sort((a, b) => a - b));
        expect(spool.stats().depth).toBe(records.length);

        // Next round continues after everything that is stored.
        firstBatch = Math.max(...byBatch.keys()) + 1;
        for (const b of unprinted)
          allPrinted.set(
            b,
            byBatch.get(b)!.map((r) => r.seq),
          );
      } finally {
        spool.close();
      }
    }
  }, 120_000);
});
