/** Typed errors of the model library; the worker tells them apart with `instanceof` or `code`. */

export class ModelError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The manifest lists no model with this weights hash. */
export class UnknownModelError extends ModelError {
  readonly weightsHash: string;
  constructor(weightsHash: string) {
    super(
      "UNKNOWN_MODEL",
      `no model with weightsHash ${weightsHash} in the models directory`,
    );
    this.weightsHash = weightsHash;
  }
}

/** The model file's bytes do not hash to the weightsHash its manifest (and the chain) promises. */
export class ModelHashMismatchError extends ModelError {
  readonly expected: string;
  readonly actual: string;
  readonly file: string;
  constructor(file: string, expected: string, actual: string) {
    super(
      "MODEL_HASH_MISMATCH",
      `refusing model file ${file}: keccak256 is ${actual}, expected ${expected}`,
    );
    this.file = file;
    this.expected = expected;
    this.actual = actual;
  }
}

/** A manifest is missing, unreadable or fails validation. */
export class ManifestError extends ModelError {
  readonly path: string;
  constructor(path: string, detail: string) {
    super("BAD_MANIFEST", `invalid model manifest ${path}: ${detail}`);
    this.path = path;
  }
}

/** Request input bytes that do not match the model's input encoding. */
export class InputDecodeError extends ModelError {
  readonly encoding: string;
  readonly expectedBytes: number | undefined;
  readonly actualBytes: number | undefined;
  /** Position in a batch, when raised by `Executor.runBatch`. */
  index: number | undefined;
  constructor(
    encoding: string,
    message: string,
    expectedBytes?: number,
    actualBytes?: number,
  ) {
    super("INPUT_DECODE", message);
    this.encoding = encoding;
    this.expectedBytes = expectedBytes;
    this.actualBytes = actualBytes;
    this.index = undefined;
  }
}

/** Values that cannot be encoded (requester side) or model outputs that cannot be (NaN, out of range). */
export class EncodeError extends ModelError {
  readonly encoding: string;
  constructor(encoding: string, message: string) {
    super("ENCODE", message);
    this.encoding = encoding;
  }
}

/** An encoding name no codec knows. */
export class UnknownEncodingError extends ModelError {
  readonly encoding: string;
  constructor(kind: "input" | "output", encoding: string) {
    super("UNKNOWN_ENCODING", `unknown ${kind} encoding "${encoding}"`);
    this.encoding = encoding;
  }
}
