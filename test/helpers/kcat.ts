import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface KcatMessage {
  key: string | null;
  payload: string | null;
  headers: Record<string, string>;
  partition: number;
  offset: number;
}

interface KcatJson {
  key: string | null;
  payload: string | null;
  headers?: string[];
  partition: number;
  offset: number;
}

/**
 * Reads `expected` messages of a topic from the beginning with Debian's kcat (librdkafka), an
 * independent client, so our kafkajs reading cannot hide a wire-format problem.
 */
export async function kcatConsume(
  brokers: string,
  topic: string,
  expected: number,
  timeoutMs = 30_000,
): Promise<KcatMessage[]> {
  const { stdout } = await run(
    'kcat',
    ['-b', brokers, '-C', '-t', topic, '-o', 'beginning', '-c', String(expected), '-J', '-q'],
    { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
  );
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const raw = JSON.parse(line) as KcatJson;
      const headers: Record<string, string> = {};
      const list = raw.headers ?? [];
      for (let i = 0; i + 1 < list.length; i += 2) headers[list[i]!] = list[i + 1]!;
      return {
        key: raw.key,
        payload: raw.payload,
        headers,
        partition: raw.partition,
        offset: raw.offset,
      };
    });
}
