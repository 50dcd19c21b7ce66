// A TCP proxy in front of taskd that cuts the first live log stream (an SSE response) right
// after its first event, as a flaky network or a restarting load balancer would.
import net from 'node:net';

export interface DroppingProxy {
  url: string;
  /** The Last-Event-ID headers of the live log requests that came through, in order. */
  resumedFrom: string[];
  close(): Promise<void>;
}

export async function droppingProxy(upstreamPort: number): Promise<DroppingProxy> {
  let dropsLeft = 1;
  const resumedFrom: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(upstreamPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    let live = false;
    client.on('data', (chunk) => {
      const text = chunk.toString('latin1');
      // A kept-alive connection carries several requests; each live one is noted as it passes.
      if (/^accept: text\/event-stream\r?$/im.test(text)) {
        live = true;
        resumedFrom.push(/^last-event-id: *(\S*)\r?$/im.exec(text)?.[1] ?? '');
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      client.write(chunk);
      if (live && dropsLeft > 0 && chunk.toString('latin1').includes('\ndata: ')) {
        dropsLeft--;
        // What was written arrives; then the connection ends without the stream's `end` event.
        client.end();
        upstream.destroy();
      }
    });
    const closeBoth = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', closeBoth).on('close', closeBoth);
    upstream.on('error', closeBoth).on('close', () => client.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    resumedFrom,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
