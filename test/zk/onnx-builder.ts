/** Builds small ONNX graphs for the circuit generator's tests (opset 17, float32 initializers). */
import onnxProto from "onnx-proto";

const { onnx } = onnxProto;

export interface NodeSpec {
  op: string;
  inputs: string[];
  output: string;
  attrs?: Record<string, number>;
}

export interface GraphSpec {
  input: { name: string; width: number };
  output: { name: string; width: number };
  constants: { name: string; dims: number[]; values: number[] }[];
  nodes: NodeSpec[];
  /** Extra non-constant graph inputs (to test refusals). */
  extraInputs?: string[];
}

function tensorInfo(name: string, width: number): InstanceType<typeof onnx.ValueInfoProto> {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: [{ dimParam: "N" }, { dimValue: width }] },
      },
    },
  });
}

export function buildOnnx(g: GraphSpec): Uint8Array {
  const raw = (values: number[]) => {
    const bytes = new Uint8Array(values.length * 4);
    const view = new DataView(bytes.buffer);
    values.forEach((v, i) => view.setFloat32(i * 4, v, true));
    return bytes;
  };
  const graph = onnx.GraphProto.create({
    name: "test",
    input: [tensorInfo(g.input.name, g.input.width), ...(g.extraInputs ?? []).map((n) => tensorInfo(n, g.input.width))],
    output: [tensorInfo(g.output.name, g.output.width)],
    initializer: g.constants.map((c) =>
      onnx.TensorProto.create({
        name: c.name,
        dims: c.dims,
        dataType: onnx.TensorProto.DataType.FLOAT,
        rawData: raw(c.values),
      }),
    ),
    node: g.nodes.map((n) =>
      onnx.NodeProto.create({
        opType: n.op,
        input: n.inputs,
        output: [n.output],
        name: n.output,
        attribute: Object.entries(n.attrs ?? {}).map(([name, v]) =>
          Number.isInteger(v) && name !== "alpha" && name !== "beta"
            ? onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INT, i: v })
            : onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.FLOAT, f: v }),
        ),
      }),
    ),
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: "", version: 17 }],
    producerName: "verity test/zk/onnx-builder.ts",
    graph,
  });
  return onnx.ModelProto.encode(model).finish();
}

/** Deterministic pseudo-random weights in [-1, 1), rounded to float32. */
export function seededValues(n: number, seed: number): number[] {
  let a = seed >>> 0;
  return Array.from({ length: n }, () => {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    return Math.fround((a / 2 ** 32) * 2 - 1);
  });
}
