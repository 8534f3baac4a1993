/**
 * The chaos run's machines: one Linux network namespace per node on one bridge, as `scripts/netns.sh` makes
 * them, but for any number of nodes and with this process holding each node's public address on the bridge
 * (`wire.ts` relays from there). `unavailable()` says why namespaces cannot be made here. New.
 */

import { execFileSync } from 'node:child_process';

/** Why namespaces cannot be made on this machine, or null when they can; `what` is what root would include. */
export function unavailable(what = 'the chaos run'): string | null {
  if (process.platform !== 'linux') return 'network namespaces are Linux only';
  if (process.getuid?.() !== 0) return `not root (ip netns needs it): run as root to include ${what}`;
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' });
  } catch {
    return 'no `ip` binary (Debian: apt-get install iproute2)';
  }
  const probe = `chz${process.pid.toString(36)}-probe`;
  try {
    execFileSync('ip', ['netns', 'add', probe], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    return `\`ip netns add\` fails here (${String((error as { stderr?: Buffer }).stderr ?? error).trim()})`;
  }
  execFileSync('ip', ['netns', 'del', probe]);
  return null;
}

/** Whether `tc qdisc ... netem` works in a namespace here (this kernel may not have the module). */
export function hasNetem(ns: string): boolean {
  try {
    execFileSync('ip', ['netns', 'exec', ns, 'tc', 'qdisc', 'add', 'dev', 'eth0', 'root', 'netem', 'delay', '1ms'], { stdio: 'ignore' });
    execFileSync('ip', ['netns', 'exec', ns, 'tc', 'qdisc', 'del', 'dev', 'eth0', 'root'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A bridge `<prefix>-br` and namespaces `<prefix>-<i>`, node i at `<subnet>.<10 + i>`, its public address at `.<110 + i>`. */
export class Namespaces {
  readonly bridge: string;

  constructor(
    readonly prefix: string,
    readonly subnet: string,
    readonly count: number,
  ) {
    this.bridge = `${prefix}-br`;
  }

  name(i: number): string {
    return `${this.prefix}-${i}`;
  }

  realIp(i: number): string {
    return `${this.subnet}.${10 + i}`;
  }

  publicIp(i: number): string {
    return `${this.subnet}.${110 + i}`;
  }

  /** `['ip', 'netns', 'exec', ns]`, to run a process inside node i's namespace. */
  under(i: number): string[] {
    return ['ip', 'netns', 'exec', this.name(i)];
  }

  up(): void {
    ip('link', 'add', this.bridge, 'type', 'bridge');
    ip('link', 'set', this.bridge, 'up');
    for (let i = 0; i < this.count; i++) {
      ip('addr', 'add', `${this.publicIp(i)}/24`, 'dev', this.bridge);
      const ns = this.name(i);
      ip('netns', 'add', ns);
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      ip('link', 'add', `${ns}-v`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
      ip('link', 'set', `${ns}-v`, 'master', this.bridge, 'up');
      ip('-n', ns, 'addr', 'add', `${this.realIp(i)}/24`, 'dev', 'eth0');
      ip('-n', ns, 'link', 'set', 'eth0', 'up');
    }
  }

  /** Removes everything `up` made, whatever is left of it. */
  down(): void {
    for (let i = 0; i < this.count; i++) {
      for (const args of [
        ['netns', 'del', this.name(i)],
        ['link', 'del', `${this.name(i)}-v`],
      ]) {
        try {
          ip(...args);
        } catch {
          // already gone
        }
      }
    }
    try {
      ip('link', 'del', this.bridge);
    } catch {
      // already gone
    }
  }
}
