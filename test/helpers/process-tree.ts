/**
 * What a process left behind, read from /proc (Linux, like scripts/kafka-local.sh): its
 * descendants, whether a given process is still alive, whether a port can be bound again.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';

/** One process, identified by pid and start time (a reused pid has another start time). */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** clock ticks after boot, field 22 of /proc/<pid>/stat */
  startTime: string;
  /** one of R S D T Z X … */
  state: string;
  cmdline: string;
}

/** /proc/<pid>/stat and cmdline, or undefined when the process is gone. */
export function processInfo(pid: number): ProcessInfo | undefined {
  let stat: string;
  let cmdline: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after the last ')'
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const ppid = fields[1];
  const startTime = fields[19];
  if (state === undefined || ppid === undefined || startTime === undefined) return undefined;
  return { pid, ppid: Number(ppid), startTime, state, cmdline };
}

/** Every live descendant of `rootPid` (children, their children, …), not `rootPid` itself. */
export function descendants(rootPid: number): ProcessInfo[] {
  const all: ProcessInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const info = processInfo(Number(entry));
    if (info !== undefined) all.push(info);
  }
  const found: ProcessInfo[] = [];
  const parents = new Set([rootPid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const info of all) {
      if (parents.has(info.ppid) && !parents.has(info.pid)) {
        parents.add(info.pid);
        found.push(info);
        grew = true;
      }
    }
  }
  return found;
}

/**
 * Whether the process seen as `seen` still runs: same pid and start time, and not a zombie. A
 * zombie leader thread whose other threads still run (a JVM on its way out, still holding its
 * sockets) counts as alive, as in scripts/kafka-local.sh.
 */
export function stillAlive(seen: ProcessInfo): boolean {
  const now = processInfo(seen.pid);
  if (now === undefined || now.startTime !== seen.startTime || now.state === 'X') return false;
  if (now.state !== 'Z') return true;
  try {
    return readdirSync(`/proc/${seen.pid}/task`).length > 1;
  } catch {
    return false;
  }
}

/** Whether a TCP listener can be opened on 127.0.0.1:`port` right now (closed again at once). */
export async function canBind(port: number): Promise<boolean> {
  const server = createServer();
  const bound = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => resolve(true));
  });
  if (bound) await new Promise((resolve) => server.close(resolve));
  return bound;
}
