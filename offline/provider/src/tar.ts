// A minimal ustar writer: regular files only, enough for Container `uploads`
// (the real provider writes one tar entry per upload and extracts it at "/").

export interface TarEntry {
  /** Path inside the archive; a leading "/" is removed. */
  readonly name: string;
  readonly content: Buffer;
  /** Permission bits, e.g. 0o644. */
  readonly mode: number;
  /** Seconds since the epoch. */
  readonly mtime?: number;
}

const BLOCK = 512;

function writeString(buf: Buffer, offset: number, length: number, value: string): void {
  const bytes = Buffer.from(value, "utf8");
  if (bytes.length > length) {
    throw new Error(`tar: "${value}" does not fit in ${length} bytes`);
  }
  bytes.copy(buf, offset);
}

function writeOctal(buf: Buffer, offset: number, length: number, value: number): void {
  // length-1 octal digits followed by a NUL, zero padded.
  const text = Math.floor(value).toString(8);
  if (text.length > length - 1) {
    throw new Error(`tar: value ${value} does not fit in a ${length}-byte field`);
  }
  writeString(buf, offset, length, text.padStart(length - 1, "0") + "\0");
}

/** Splits a long path into ustar prefix (<=155 bytes) and name (<=100 bytes). */
export function splitPath(path: string): { prefix: string; name: string } {
  if (Buffer.byteLength(path) <= 100) {
    return { prefix: "", name: path };
  }
  for (let i = path.length - 1; i > 0; i--) {
    if (path[i] !== "/") continue;
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100 && name.length > 0) {
      return { prefix, name };
    }
  }
  throw new Error(`tar: path too long for ustar: ${path}`);
}

export function tarHeader(entry: TarEntry): Buffer {
  const path = entry.name.replace(/^\/+/, "");
  if (path === "" || path.endsWith("/")) {
    throw new Error(`tar: invalid file name "${entry.name}"`);
  }
  const { prefix, name } = splitPath(path);
  const h = Buffer.alloc(BLOCK, 0);
  writeString(h, 0, 100, name);
  writeOctal(h, 100, 8, entry.mode & 0o7777);
  writeOctal(h, 108, 8, 0); // uid
  writeOctal(h, 116, 8, 0); // gid
  writeOctal(h, 124, 12, entry.content.length);
  writeOctal(h, 136, 12, entry.mtime ?? Math.floor(Date.now() / 1000));
  h.fill(0x20, 148, 156); // checksum field counts as spaces while summing
  h[156] = 0x30; // '0': regular file
  writeString(h, 257, 6, "ustar\0");
  writeString(h, 263, 2, "00");
  writeString(h, 265, 32, "root");
  writeString(h, 297, 32, "root");
  writeString(h, 345, 155, prefix);
  let sum = 0;
  for (const b of h) sum += b;
  writeString(h, 148, 8, sum.toString(8).padStart(6, "0") + "\0 ");
  return h;
}

/** Builds a complete archive (entries, then two zero blocks). */
export function buildTar(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    parts.push(tarHeader(e), e.content);
    const pad = (BLOCK - (e.content.length % BLOCK)) % BLOCK;
    if (pad > 0) parts.push(Buffer.alloc(pad, 0));
  }
  parts.push(Buffer.alloc(BLOCK * 2, 0));
  return Buffer.concat(parts);
}
