// When did the server let go of a connection? A client that never reads (slow-read) cannot see
// the server's close: the FIN waits behind data the client does not take. The kernel's socket
// table shows it at once, though: the server's side of the connection leaves ESTABLISHED the
// moment taskd closes it. So the check watches /proc/net/tcp for the server's port.
import { readFileSync } from 'node:fs';

const ESTABLISHED = '01';

/** Client port -> state (hex, as in /proc/net/tcp) of the server's side of each connection to `serverPort`. */
export function serverSideStates(serverPort: number): Map<number, string> {
  const states = new Map<number, string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 4) continue;
      const localPort = parseInt(fields[1]!.split(':')[1]!, 16);
      if (localPort !== serverPort) continue;
      const remotePort = parseInt(fields[2]!.split(':')[1]!, 16);
      states.set(remotePort, fields[3]!);
    }
  }
  return states;
}

/** Whether the server still holds the connection from `clientPort` open. */
export const serverHoldsOpen = (states: Map<number, string>, clientPort: number): boolean => states.get(clientPort) === ESTABLISHED;
