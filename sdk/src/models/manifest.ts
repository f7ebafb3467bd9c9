/** `models/<name>/manifest.json`: what a model is, how its file is verified, and how it is called. */
import { keccak256 } from "ethers";
import { z } from "zod";

import { INPUT_ENCODINGS, OUTPUT_ENCODINGS, inputByteLength } from "./codec.ts";
import { ManifestError } from "./errors.ts";

export const MANIFEST_FILE = "manifest.json";

const hash32 = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, "must be a 0x-prefixed 32-byte hex string")
  .transform((s) => s.toLowerCase());

const dim = z.union([z.number().int().positive(), z.string().min(1)]);

/** How the generic ONNX runner feeds the graph and reads it. */
const onnxGraph = z.object({
  opset: z.number().int().positive(),
  inputName: z.string().min(1),
  outputName: z.string().min(1),
  /**
   * "plain": feed the decoded input as [N, ...] under `inputName`.
   * "silero-vad-v5": also feed zero `state` [2, N, 128] and `sr` = 16000, and prefix each 512-sample
   * frame with 64 zero context samples (a fresh stream, as upstream's OnnxWrapper does on its first call).
   */
  adapter: z.enum(["plain", "silero-vad-v5"]),
});

const source = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("npm"),
    package: z.string().min(1),
    version: z.string().min(1),
    path: z.string().min(1),
    upstream: z.string().optional(),
    importScript: z.string().optional(),
  }),
  z.object({
    kind: z.literal("training"),
    script: z.string().min(1),
    dataset: z.string().min(1),
    trainingRecord: z.string().min(1),
  }),
]);

export const manifestSchema = z
  .object({
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]*$/, "lower-case letters, digits and dashes"),
    description: z.string().min(1),
    version: z.string().min(1),
    file: z
      .string()
      .regex(
        /^[A-Za-z0-9._-]+$/,
        "a plain file name inside the model's directory",
      ),
    weightsHash: hash32,
    sizeBytes: z.number().int().positive(),
    runtime: z.literal("onnx"),
    onnx: onnxGraph,
    input: z.object({
      encoding: z.enum(INPUT_ENCODINGS),
      byteLength: z.number().int().positive(),
      shape: z.array(dim).min(1),
      dtype: z.literal("float32"),
      description: z.string().min(1),
      /**
       * Fixed-point fields, in input order: each value is sent as round(value × scale), in [0, 2^bits).
       * The per-field commitment and disclosure work over these integers.
       */
      fields: z
        .array(
          z.object({
            name: z.string().min(1),
            unit: z.string().min(1),
            scale: z.number().positive(),
            bits: z.number().int().min(1).max(248),
            description: z.string().min(1),
          }),
        )
        .optional(),
    }),
    output: z.object({
      encoding: z.enum(OUTPUT_ENCODINGS),
      byteLength: z.literal(32),
      description: z.string().min(1),
      labels: z.array(z.string()).optional(),
    }),
    licence: z.object({
      spdx: z.string().min(1),
      attribution: z.string().min(1),
      file: z.string().optional(),
    }),
    source,
  })
  .superRefine((m, ctx) => {
    if (m.input.encoding.startsWith("int32be-fixed-") && m.input.fields?.length !== inputByteLength(m.input.encoding) / 4) {
      ctx.addIssue({
        code: "custom",
        path: ["input", "fields"],
        message: `encoding ${m.input.encoding} needs one input.fields entry per value (${inputByteLength(m.input.encoding) / 4})`,
      });
    }
    const fields = m.input.fields;
    if (
      fields !== undefined &&
      (!m.input.encoding.startsWith("int32be-") || fields.length * 4 !== inputByteLength(m.input.encoding))
    ) {
      ctx.addIssue({
        code: "custom",
        path: ["input", "fields"],
        message: `a field record is one int32 big-endian integer per field; ${m.input.encoding} does not carry ${fields.length} of them`,
      });
    }
    const expected = inputByteLength(m.input.encoding);
    if (m.input.byteLength !== expected) {
      ctx.addIssue({
        code: "custom",
        path: ["input", "byteLength"],
        message: `encoding ${m.input.encoding} is ${expected} bytes, manifest says ${m.input.byteLength}`,
      });
    }
  });

export type ModelManifest = z.infer<typeof manifestSchema>;
export type ManifestInput = z.input<typeof manifestSchema>;

/** Validate parsed JSON; `where` names the file in the error. */
export function parseManifest(json: unknown, where: string): ModelManifest {
  const result = manifestSchema.safeParse(json);
  if (!result.success) {
    const detail = result.error.issues
      .map(
        (i) =>
          `${i.path.length > 0 ? i.path.join(".") : "(root)"}: ${i.message}`,
      )
      .join("; ");
    throw new ManifestError(where, detail);
  }
  return result.data;
}

/** keccak256 of a model file's bytes as lower-case 0x-hex: the `weightsHash` a model version pins. */
export function weightsHashOf(bytes: Uint8Array): string {
  return keccak256(bytes).toLowerCase();
}
