/**
 * On-chain byte encodings of model inputs and outputs. Deterministic, documented, and shared by
 * requesters (encode) and operators (decode / encode output). Every operator must produce the same
 * output bytes for the same input bytes, so outputs are integers, never floats.
 *
 * Inputs
 *  - "int32be-milli-x4": 4 signed 32-bit big-endian integers, each the value × 1000 (for iris: the
 *    measurement in cm × 1000, i.e. units of 10 µm; 5.1 cm → 5100). 16 bytes. Decoded to float32
 *    as `fround(n / 1000)`, which for values with ≤ 3 decimals equals `fround(value)` exactly.
 *  - "int32be-fixed-x10": 10 signed 32-bit big-endian fixed-point integers, fed to the model as the
 *    integers themselves (float32(n), exact below 2^24): the model folds each field's scale into its
 *    first layer, and the manifest's `input.fields` give each field's name, unit and scale
 *    (value = n / scale). 40 bytes.
 *  - "pcm-s16be-x512": 512 signed 16-bit big-endian PCM samples, mono 16 kHz. 1024 bytes.
 *    Decoded to float32 as `n / 32768` (exact), range [-1, 1).
 * Outputs (both are exactly `abi.encode(uint256)`: 32 bytes, big-endian)
 *  - "uint256-argmax": index of the largest output value (lowest index wins a tie).
 *  - "uint256-prob-1e6": `Math.round(p × 1e6)` of the single output probability p ∈ [0, 1],
 *    computed in float64 from the float32 model output; range [0, 1 000 000].
 */
import { getBytes, type BytesLike } from "ethers";

import {
  EncodeError,
  InputDecodeError,
  UnknownEncodingError,
} from "./errors.ts";

export const INPUT_ENCODINGS = [
  "int32be-milli-x4",
  "int32be-fixed-x10",
  "pcm-s16be-x512",
] as const;
export const OUTPUT_ENCODINGS = ["uint256-argmax", "uint256-prob-1e6"] as const;
export type InputEncoding = (typeof INPUT_ENCODINGS)[number];
export type OutputEncoding = (typeof OUTPUT_ENCODINGS)[number];

/** Byte length of every output encoding: one ABI word. */
export const OUTPUT_BYTES = 32;

interface InputCodec {
  readonly elements: number;
  readonly bytesPerElement: number;
  readonly layout: string;
  read(view: DataView, i: number): number;
  write(view: DataView, i: number, value: number): void;
}

function intCodec(
  bits: 16 | 32,
  scale: number,
  elements: number,
  layout: string,
): InputCodec {
  const max = 2 ** (bits - 1) - 1;
  const min = -(2 ** (bits - 1));
  return {
    elements,
    bytesPerElement: bits / 8,
    layout,
    read: (view, i) =>
      Math.fround(
        bits === 16
          ? view.getInt16(i * 2, false) / scale
          : view.getInt32(i * 4, false) / scale,
      ),
    write: (view, i, value) => {
      const n = Math.round(value * scale);
      if (!Number.isFinite(value) || n < min || n > max) {
        throw new RangeError(
          `value ${value} at position ${i} is outside int${bits} after × ${scale}`,
        );
      }
      if (bits === 16) view.setInt16(i * 2, n, false);
      else view.setInt32(i * 4, n, false);
    },
  };
}

const INPUT_CODECS: Record<InputEncoding, InputCodec> = {
  "int32be-milli-x4": intCodec(
    32,
    1000,
    4,
    "4 × int32 big-endian, value × 1000",
  ),
  "int32be-fixed-x10": intCodec(
    32,
    1,
    10,
    "10 × int32 big-endian fixed-point integers, fed unscaled",
  ),
  "pcm-s16be-x512": intCodec(
    16,
    32768,
    512,
    "512 × int16 big-endian PCM samples at 16 kHz",
  ),
};

function inputCodec(encoding: string): InputCodec {
  const codec = (INPUT_CODECS as Record<string, InputCodec | undefined>)[
    encoding
  ];
  if (codec === undefined) throw new UnknownEncodingError("input", encoding);
  return codec;
}

export function isInputEncoding(encoding: string): encoding is InputEncoding {
  return (INPUT_ENCODINGS as readonly string[]).includes(encoding);
}

export function isOutputEncoding(encoding: string): encoding is OutputEncoding {
  return (OUTPUT_ENCODINGS as readonly string[]).includes(encoding);
}

/** Exact byte length an input encoding requires. */
export function inputByteLength(encoding: string): number {
  const codec = inputCodec(encoding);
  return codec.elements * codec.bytesPerElement;
}

/** Number of float32 values one input decodes to. */
export function inputElements(encoding: string): number {
  return inputCodec(encoding).elements;
}

/** Operator side: request bytes → float32 values; rejects any length but the exact one. */
export function decodeInput(encoding: string, data: BytesLike): Float32Array {
  const codec = inputCodec(encoding);
  let bytes: Uint8Array;
  try {
    bytes = getBytes(data);
  } catch {
    throw new InputDecodeError(
      encoding,
      `input for "${encoding}" is not valid bytes`,
    );
  }
  const expected = codec.elements * codec.bytesPerElement;
  if (bytes.length !== expected) {
    throw new InputDecodeError(
      encoding,
      `input for "${encoding}" must be exactly ${expected} bytes (${codec.layout}), got ${bytes.length}`,
      expected,
      bytes.length,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(codec.elements);
  for (let i = 0; i < codec.elements; i++) out[i] = codec.read(view, i);
  return out;
}

/** Requester side: numbers (e.g. cm measurements, or samples in [-1, 1)) → request bytes. */
export function encodeInput(
  encoding: string,
  values: ArrayLike<number>,
): Uint8Array {
  const codec = inputCodec(encoding);
  if (values.length !== codec.elements) {
    throw new EncodeError(
      encoding,
      `"${encoding}" encodes exactly ${codec.elements} values, got ${values.length}`,
    );
  }
  const bytes = new Uint8Array(codec.elements * codec.bytesPerElement);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < codec.elements; i++) {
    try {
      codec.write(view, i, values[i]!);
    } catch (err) {
      throw new EncodeError(
        encoding,
        `"${encoding}": ${(err as Error).message}`,
      );
    }
  }
  return bytes;
}

function uint256(value: bigint): Uint8Array {
  const out = new Uint8Array(OUTPUT_BYTES);
  let v = value;
  for (let i = OUTPUT_BYTES - 1; i >= 0 && v > 0n; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 0; i < values.length; i++) {
    if (Number.isNaN(values[i])) throw new RangeError(`output ${i} is NaN`);
    if (values[i]! > values[best]!) best = i;
  }
  return best;
}

/** Operator side: one example's raw model output → the deterministic result bytes. */
export function encodeOutput(
  encoding: string,
  raw: ArrayLike<number>,
): Uint8Array {
  if (!isOutputEncoding(encoding))
    throw new UnknownEncodingError("output", encoding);
  if (raw.length === 0)
    throw new EncodeError(encoding, `"${encoding}": empty model output`);
  try {
    if (encoding === "uint256-argmax") return uint256(BigInt(argmax(raw)));
    if (raw.length !== 1)
      throw new RangeError(`expects one probability, got ${raw.length} values`);
    const p = raw[0]!;
    if (!(p >= 0 && p <= 1))
      throw new RangeError(`probability ${p} is outside [0, 1]`);
    return uint256(BigInt(Math.round(p * 1e6)));
  } catch (err) {
    if (err instanceof EncodeError) throw err;
    throw new EncodeError(encoding, `"${encoding}": ${(err as Error).message}`);
  }
}

/** Requester side: result bytes → the integer (class index, or probability × 1e6). */
export function decodeOutput(encoding: string, data: BytesLike): bigint {
  if (!isOutputEncoding(encoding))
    throw new UnknownEncodingError("output", encoding);
  const bytes = getBytes(data);
  if (bytes.length !== OUTPUT_BYTES) {
    throw new EncodeError(
      encoding,
      `"${encoding}" output must be ${OUTPUT_BYTES} bytes, got ${bytes.length}`,
    );
  }
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}
