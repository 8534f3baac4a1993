/**
 * What a benchmarked process costs, read from Linux's /proc: CPU time and wake-ups (context switches) of all its
 * threads and children, and its resident memory. Shared by `bench/idle.ts` and the chat benchmark. New: no
 * WeApRous twin.
 */

import { readdirSync, readFileSync } from 'node:fs';

/** CPU time (ns) and context switches of every thread of a process, as /proc says now. */
export interface Sample {
  cpuNs: number;
  switches: number;
}

/**
 * Sums `/proc/<pid>/task/<tid>/schedstat` (field 1: ns on CPU) and the `*_ctxt_switches` of each thread, of the
 * process and of its children (a helper it started, such as esbuild's service, costs the machine as much).
 * A process that has ended counts 0.
 */
export function sample(pid: number): Sample {
  const total: Sample = { cpuNs: 0, switches: 0 };
  let tasks: string[] = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return total;
  }
  for (const tid of tasks) {
    try {
      total.cpuNs += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      const status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
      for (const hit of status.matchAll(/^(?:non)?voluntary_ctxt_switches:\s+(\d+)$/gm)) total.switches += Number(hit[1]);
      for (const child of readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ').filter(Boolean)) {
        const more = sample(Number(child));
        total.cpuNs += more.cpuNs;
        total.switches += more.switches;
      }
    } catch {
      // a thread or child that ended between the listing and the read
    }
  }
  return total;
}

/** CPU milliseconds a process has used so far (its threads and children), from `sample`. */
export function cpuMs(pid: number): number {
  return sample(pid).cpuNs / 1e6;
}

/** Resident memory (VmRSS) in bytes, from /proc; NaN where there is none. */
export function rssBytes(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status);
    return kib ? Number(kib[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}
