/**
 * A peer of the hybrid chat: `ts-node apps/peer.ts --tracker http://127.0.0.1:8000 --port 5001 --name Alice`.
 * This file only wires: command line (`peer/options.ts`) → `PeerApp` (`peer/app.ts`) → signals.
 * Ports the `__main__` block of WeApRous `apps/peer.py`.
 */

import { PeerApp, type PeerOptions } from './peer/app';
import { parsePeerArgs, PEER_USAGE } from './peer/options';
import { peerId } from './address';

async function main(): Promise<void> {
  const parsed = parsePeerArgs(process.argv.slice(2));
  if (parsed.ok === 'help') {
    console.log(PEER_USAGE);
    return;
  }
  if (!parsed.ok) {
    console.error(`${parsed.reason}\n${PEER_USAGE}`);
    process.exit(2);
  }
  const { trackerUrl, ip, port, name, heartbeatSeconds, dataDir, password } = parsed.args;
  const options: PeerOptions = {
    self: { peer_id: peerId(ip, port), ip, port, name },
    trackerUrl,
    heartbeatMs: heartbeatSeconds * 1000,
    dataDir,
    password, // the browser chat's (apps/peer/web/); without one the console prints a login link
    listenIp: '0.0.0.0', // as the Python peer did, so peers on other machines can reach it at --ip
    input: process.stdin,
    output: process.stdout,
    exit: (code) => process.exit(code),
  };
  // Ctrl+C when stdin is not a terminal, SIGTERM (kill) and SIGHUP (the terminal window closed, tmux
  // kill-session): leave like /quit, so the other peers and the tracker hear of it. Before the peer is built
  // nobody has heard of it yet: it just ends.
  let app: PeerApp | null = null;
  process.on('SIGINT', () => (app ? app.interrupt() : process.exit(130)));
  process.on('SIGTERM', () => (app ? void app.quit() : process.exit(0)));
  process.on('SIGHUP', () => (app ? void app.quit() : process.exit(0)));
  try {
    app = await PeerApp.start(options);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'EADDRINUSE' ? `port ${port} is already in use (another peer?); pick another --port` : (error as Error).message;
    console.error(`[P2P] Cannot listen on port ${port}: ${why}`);
    process.exit(1);
  }
  await app?.open();
}

main();
