/** A DER element: tag, and the offsets of its first byte, its content and its end. */
export interface DerNode {
  tag: number;
  start: number;
  content: number;
  end: number;
}

/** Thrown for malformed DER; `offset` says where. Mirrors the verifier's `TdxMalformedDer`. */
export class DerError extends Error {
  // A plain field, not a parameter property: the node runs this file under Node's type stripping.
  readonly offset: number;
  constructor(offset: number) {
    super(`Malformed DER at byte ${offset}: the certificate or CRL is damaged; fetch it again from Intel's PCS.`);
    this.offset = offset;
  }
}

/** Reads the element at `p`, which must end by `limit` (lengths up to two bytes, as on-chain). */
export function read(b: Uint8Array, p: number, limit: number): DerNode {
  if (p + 2 > limit || limit > b.length) throw new DerError(p);
  const first = b[p + 1];
  let len = 0;
  let content: number;
  if (first < 0x80) {
    len = first;
    content = p + 2;
  } else if (first === 0x81 || first === 0x82) {
    const count = first - 0x80;
    if (p + 2 + count > limit) throw new DerError(p);
    for (let i = 0; i < count; i++) len = len * 256 + b[p + 2 + i];
    content = p + 2 + count;
  } else {
    throw new DerError(p);
  }
  const end = content + len;
  if (end > limit) throw new DerError(p);
  return { tag: b[p], start: p, content, end };
}

export function expectTag(b: Uint8Array, p: number, limit: number, tag: number): DerNode {
  const n = read(b, p, limit);
  if (n.tag !== tag) throw new DerError(p);
  return n;
}

/** The children of a constructed element. */
export function children(b: Uint8Array, n: DerNode): DerNode[] {
  const out: DerNode[] = [];
  for (let p = n.content; p < n.end;) {
    const c = read(b, p, n.end);
    out.push(c);
    p = c.end;
  }
  return out;
}

/** A non-negative INTEGER as a bigint. */
export function uintOf(b: Uint8Array, n: DerNode): bigint {
  if (n.tag !== 0x02 || n.end === n.content || b[n.content] >= 0x80) throw new DerError(n.start);
  let v = 0n;
  for (let p = n.content; p < n.end; p++) v = (v << 8n) | BigInt(b[p]);
  return v;
}

/** UTCTime or GeneralizedTime as Unix seconds. */
export function timeOf(b: Uint8Array, n: DerNode): number {
  const s = Buffer.from(b.subarray(n.content, n.end)).toString("latin1");
  let iso: string;
  if (n.tag === 0x17 && /^\d{12}Z$/.test(s)) {
    const yy = Number(s.slice(0, 2));
    iso = `${yy >= 50 ? 1900 + yy : 2000 + yy}${s.slice(2)}`;
  } else if (n.tag === 0x18 && /^\d{14}Z$/.test(s)) {
    iso = s;
  } else {
    throw new DerError(n.start);
  }
  const [y, mo, d, h, mi, se] = [0, 4, 6, 8, 10, 12].map((i, k) => Number(iso.slice(i, k === 0 ? 4 : i + 2)));
  return Date.UTC(y, mo - 1, d, h, mi, se) / 1000;
}
