/** Serialise an MLP as an ONNX model (opset 17): logits = Relu(input · W1 + b1) · W2 + b2. */
import onnxProto from "onnx-proto";

import type { MlpWeights } from "./mlp.ts";

const { onnx } = onnxProto;

export interface ExportOptions {
  inputName: string;
  outputName: string;
  docString: string;
  metadata: Record<string, string>;
  /** ModelProto.producer_name; "verity scripts/train-iris.ts" when absent. */
  producerName?: string;
}

/** float32 little-endian bytes, the layout TensorProto.raw_data requires. */
function rawFloat32(values: readonly number[]): Uint8Array {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return bytes;
}

function initializer(name: string, dims: number[], values: readonly number[]): InstanceType<typeof onnx.TensorProto> {
  return onnx.TensorProto.create({
    name,
    dims,
    dataType: onnx.TensorProto.DataType.FLOAT,
    rawData: rawFloat32(values),
  });
}

function floatTensorInfo(name: string, cols: number): InstanceType<typeof onnx.ValueInfoProto> {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: [{ dimParam: "N" }, { dimValue: cols }] },
      },
    },
  });
}

/** Deterministic bytes: same weights and options → same file. */
export function exportMlp(w: MlpWeights, o: ExportOptions): Uint8Array {
  const inputs = w.w1.length;
  const hidden = w.b1.length;
  const classes = w.b2.length;
  const node = (opType: string, input: string[], output: string) =>
    onnx.NodeProto.create({ opType, input, output: [output], name: output });
  const graph = onnx.GraphProto.create({
    name: "mlp",
    input: [floatTensorInfo(o.inputName, inputs)],
    output: [floatTensorInfo(o.outputName, classes)],
    initializer: [
      initializer("W1", [inputs, hidden], w.w1.flat()),
      initializer("B1", [hidden], w.b1),
      initializer("W2", [hidden, classes], w.w2.flat()),
      initializer("B2", [classes], w.b2),
    ],
    node: [
      node("MatMul", [o.inputName, "W1"], "h_mm"),
      node("Add", ["h_mm", "B1"], "h_pre"),
      node("Relu", ["h_pre"], "h"),
      node("MatMul", ["h", "W2"], "o_mm"),
      node("Add", ["o_mm", "B2"], o.outputName),
    ],
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: "", version: 17 }],
    producerName: o.producerName ?? "verity scripts/train-iris.ts",
    producerVersion: "1",
    docString: o.docString,
    graph,
    metadataProps: Object.entries(o.metadata).map(([key, value]) => ({
      key,
      value,
    })),
  });
  return onnx.ModelProto.encode(model).finish();
}
