// Builds droplet tarballs for tests, hostile ones included: tar-stream's pack writes whatever
// header it is given (any name, type, link target or mode), so traversal, absolute paths,
// escaping links and device files can be expressed exactly as an attacker would send them.
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';

export interface TarEntry {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'block-device' | 'fifo';
  content?: string | Buffer;
  linkname?: string;
  mode?: number;
}

export async function tarOf(entries: TarEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  // Read while writing: pack holds back an entry's callback until its output is consumed.
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    pack.on('data', (chunk) => void chunks.push(chunk as Buffer));
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  for (const e of entries) {
    const content = e.content === undefined ? Buffer.alloc(0) : Buffer.from(e.content);
    const type = e.type ?? 'file';
    const header: Partial<tar.Header> & { name: string } = {
      name: e.name,
      type,
      mode: e.mode ?? (type === 'directory' ? 0o755 : 0o644),
      linkname: e.linkname,
      size: type === 'file' ? content.length : 0,
      ...(type === 'character-device' || type === 'block-device' ? { devmajor: 1, devminor: 3 } : {}),
    };
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error | null) => (err ? reject(err) : resolve());
      if (type === 'file') pack.entry(header, content, done);
      else pack.entry(header, done);
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

export async function tgzOf(entries: TarEntry[]): Promise<Buffer> {
  return gzipSync(await tarOf(entries));
}

/** A small, well-formed app bundle. */
export const goodBundle = (): Promise<Buffer> =>
  tgzOf([
    { name: 'app/', type: 'directory' },
    { name: 'app/run.sh', content: '#!/bin/sh\necho hello\n', mode: 0o755 },
    { name: 'app/config/settings.json', content: '{"a":1}' },
    { name: 'app/current', type: 'symlink', linkname: 'config' },
    { name: 'app/run-again.sh', type: 'link', linkname: 'app/run.sh' },
  ]);

/** A multipart/form-data body carrying one file part (and optional plain fields). */
export function multipart(parts: { field: string; filename?: string; content: Buffer | string }[]): {
  payload: Buffer;
  contentType: string;
} {
  const boundary = `----taskd${Math.random().toString(16).slice(2)}`;
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const disposition =
      p.filename === undefined ? `form-data; name="${p.field}"` : `form-data; name="${p.field}"; filename="${p.filename}"`;
    const type = p.filename === undefined ? '' : 'Content-Type: application/octet-stream\r\n';
    chunks.push(
      Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n${type}\r\n`),
      Buffer.from(p.content),
      Buffer.from('\r\n'),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}
