/**
 * Copy the pretrained Silero VAD v5 ONNX model, unchanged, from the @ricky0123/vad-web npm package
 * into models/silero-vad/ with its manifest and the upstream MIT licence.
 *   node scripts/import-silero.ts
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { parseManifest, weightsHashOf, type ManifestInput } from "@verity-ai/sdk";

const PACKAGE = "@ricky0123/vad-web";
const PACKAGE_PATH = "dist/silero_vad_v5.onnx";

const require = createRequire(import.meta.url);
const packageJson = require.resolve(`${PACKAGE}/package.json`);
const version: string = require(packageJson).version;
const outDir = join(dirname(dirname(fileURLToPath(import.meta.url))), "models", "silero-vad");

const LICENCE = `Silero VAD model (silero_vad_v5.onnx)
Upstream: https://github.com/snakers4/silero-vad
Copied unchanged from the npm package ${PACKAGE}@${version}, file ${PACKAGE_PATH}
(that package itself is ISC-licensed; the model weights are Silero's, under the licence below).

MIT License

Copyright (c) 2020-present Silero Team

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
`;

const model = new Uint8Array(await readFile(join(dirname(packageJson), PACKAGE_PATH)));

const manifest: ManifestInput = {
  name: "silero-vad",
  description: "Silero VAD v5: probability that a 32 ms frame of 16 kHz mono audio contains speech.",
  version: "5.0.0",
  file: "model.onnx",
  weightsHash: weightsHashOf(model),
  sizeBytes: model.length,
  runtime: "onnx",
  onnx: {
    opset: 16,
    inputName: "input",
    outputName: "output",
    adapter: "silero-vad-v5",
  },
  input: {
    encoding: "pcm-s16be-x512",
    byteLength: 1024,
    shape: ["N", 512],
    dtype: "float32",
    description:
      "One frame of 512 mono PCM samples at 16 kHz (32 ms), each a big-endian int16; decoded to float32 " +
      "n / 32768. Graph inputs: input float32 [N, 64 + 512] (64 zero context samples, then the frame), " +
      "state float32 [2, N, 128] zeros, sr int64 scalar 16000; graph outputs: output float32 [N, 1] " +
      "(speech probability), stateN float32 [2, N, 128] (ignored: every request is a fresh stream).",
  },
  output: {
    encoding: "uint256-prob-1e6",
    byteLength: 32,
    description: "abi.encode(uint256 round(p × 1e6)): speech probability in millionths, 0 … 1000000.",
  },
  licence: {
    spdx: "MIT",
    attribution: "Silero VAD, Copyright (c) 2020-present Silero Team, MIT; see LICENSE.",
    file: "LICENSE",
  },
  source: {
    kind: "npm",
    package: PACKAGE,
    version,
    path: PACKAGE_PATH,
    upstream: "https://github.com/snakers4/silero-vad",
    importScript: "scripts/import-silero.ts",
  },
};
parseManifest(manifest, "generated silero manifest");

await mkdir(outDir, { recursive: true });
await writeFile(join(outDir, "model.onnx"), model);
await writeFile(join(outDir, "LICENSE"), LICENCE);
await writeFile(join(outDir, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
console.log(
  `silero-vad: copied ${model.length} bytes from ${PACKAGE}@${version}/${PACKAGE_PATH}, weightsHash ${manifest.weightsHash}`,
);
