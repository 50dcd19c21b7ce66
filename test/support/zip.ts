// Builds zip archives for tests, hostile ones included: every field is written as given, so an
// entry can lie about its sizes, CRC-32, name, flags or compression, and the end record about the
// number of entries, exactly as an attacker's archive would. Defaults make what Go's archive/zip
// makes for `cf push`: unix modes in the upper 16 bits of the external attributes, made on Unix.
import { crc32 as zlibCrc32, deflateRawSync } from 'node:zlib';

export interface ZipEntry {
  /** The name as stored; a string is UTF-8 (flagged as such when it is not ASCII). */
  name: string | Buffer;
  content?: string | Buffer;
  /** 'deflate' by default; a number writes that method id as is (the data stays stored). */
  method?: 'store' | 'deflate' | number;
  /** A unix mode with its type bits (0o100644, 0o40755, 0o120777); none = made on MS-DOS, no mode. */
  mode?: number;
  /** Raw external attributes, instead of the ones `mode` gives. */
  externalAttributes?: number;
  /** General purpose flags ORed into the computed ones (0x1: encrypted). */
  flags?: number;
  /** Lies, written in both the local and the central header. */
  crc32?: number;
  compressedSize?: number;
  uncompressedSize?: number;
  /** The entry's data exactly as stored, instead of `content` compressed. */
  raw?: Buffer;
}

export interface ZipOptions {
  /** The entry count the end record declares, instead of the real one. */
  declaredEntries?: number;
}

const UNIX = 3;
const MSDOS = 0;
const VERSION = 20;
// 2024-01-02 03:04:06, in MS-DOS form.
const DOS_TIME = (3 << 11) | (4 << 5) | 3;
const DOS_DATE = ((2024 - 1980) << 9) | (1 << 5) | 2;

export function zipOf(entries: ZipEntry[], options: ZipOptions = {}): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = typeof e.name === 'string' ? Buffer.from(e.name) : e.name;
    const content = Buffer.from(e.content ?? '');
    const method = e.method === undefined || e.method === 'deflate' ? 8 : e.method === 'store' ? 0 : e.method;
    const data = e.raw ?? (method === 8 ? deflateRawSync(content) : content);
    const utf8 = typeof e.name === 'string' && Buffer.byteLength(e.name) !== e.name.length ? 0x800 : 0;
    const flags = utf8 | (e.flags ?? 0);
    const crc = e.crc32 ?? zlibCrc32(content);
    const compressedSize = e.compressedSize ?? data.length;
    const uncompressedSize = e.uncompressedSize ?? content.length;
    const external = e.externalAttributes ?? (e.mode === undefined ? 0 : (e.mode << 16) >>> 0);
    const madeBy = ((e.mode === undefined && e.externalAttributes === undefined ? MSDOS : UNIX) << 8) | VERSION;

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(VERSION, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(compressedSize, 18);
    local.writeUInt32LE(uncompressedSize, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    locals.push(local, name, data);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(madeBy, 4);
    central.writeUInt16LE(VERSION, 6);
    central.writeUInt16LE(flags, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(DOS_TIME, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(compressedSize, 20);
    central.writeUInt32LE(uncompressedSize, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt16LE(0, 30); // extra field length
    central.writeUInt16LE(0, 32); // comment length
    central.writeUInt16LE(0, 34); // disk number
    central.writeUInt16LE(0, 36); // internal attributes
    central.writeUInt32LE(external, 38);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);

    offset += local.length + name.length + data.length;
  }
  const directory = Buffer.concat(centrals);
  const count = options.declaredEntries ?? entries.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(0, 4); // this disk
  end.writeUInt16LE(0, 6); // disk where the central directory starts
  end.writeUInt16LE(count, 8);
  end.writeUInt16LE(count, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  end.writeUInt16LE(0, 20); // comment length
  return Buffer.concat([...locals, directory, end]);
}

/** Unix modes as Go's FileHeader.SetMode stores them (type bits and permissions). */
export const file = (perm = 0o644) => 0o100000 | perm;
export const dir = (perm = 0o755) => 0o040000 | perm;
export const symlink = () => 0o120777;
