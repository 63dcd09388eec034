import { recordType } from '../events/cloudevents';
import type { DeadLetterRecord, SyncSpool } from '../spool';

/** One dead letter as `dead-letters list` shows it (no value). */
export interface DeadLetterSummary {
  id: number;
  eventId: string;
  type: string;
  topic: string;
  key: string;
  kafkaError: string;
  bytes: number;
  acceptedAt: string;
  deadLetteredAt: string;
}

/** The summary line of a dead letter. */
export function summarize(record: DeadLetterRecord): DeadLetterSummary {
  return {
    id: record.id,
    eventId: record.eventId,
    type: recordType(record),
    topic: record.topic,
    key: record.key,
    kafkaError: record.kafkaError,
    bytes: record.value.length,
    acceptedAt: new Date(record.acceptedAt).toISOString(),
    deadLetteredAt: new Date(record.deadLetteredAt).toISOString(),
  };
}

/**
 * A dead letter as `dead-letters export` writes it, one JSON object a line: everything needed to
 * produce the record again by hand (topic, key, headers, the value in base64).
 */
export function exportLine(record: DeadLetterRecord): string {
  return JSON.stringify({
    ...summarize(record),
    headers: record.headers,
    value: record.value.toString('base64'),
  });
}

/** Every dead letter after `afterId`, oldest first, read `pageSize` at a time. */
export function* allDeadLetters(
  spool: SyncSpool,
  options: { afterId?: number; limit?: number; pageSize?: number } = {},
): Generator<DeadLetterRecord> {
  const pageSize = options.pageSize ?? 500;
  let left = options.limit ?? Infinity;
  let after = options.afterId ?? 0;
  while (left > 0) {
    const page = spool.deadLetters(Math.min(pageSize, left), after);
    if (page.length === 0) return;
    for (const record of page) yield record;
    left -= page.length;
    after = page[page.length - 1]!.id;
  }
}

const COLUMNS: readonly (keyof DeadLetterSummary)[] = [
  'id',
  'deadLetteredAt',
  'kafkaError',
  'type',
  'topic',
  'key',
  'bytes',
  'eventId',
];

/** Summaries as an aligned text table with a header line. */
export function table(rows: readonly DeadLetterSummary[]): string {
  const cells = [COLUMNS.map(String), ...rows.map((row) => COLUMNS.map((c) => String(row[c])))];
  const widths = COLUMNS.map((_c, i) => Math.max(...cells.map((line) => line[i]!.length)));
  return cells
    .map((line) =>
      line
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
