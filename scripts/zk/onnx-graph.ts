/**
 * Reads a small ONNX graph into dense layers for the ZK circuit generator. Supported, in one chain
 * from the graph's single input [N, F] to its single output:
 *   Gemm (alpha = beta = 1, transA = 0, transB 0 or 1, optional bias C),
 *   MatMul by a constant matrix, Add of a constant bias right after Gemm/MatMul, Relu,
 *   and an optional final ArgMax (axis 1).
 * Every constant is a float32 initializer. Anything else is refused with an UnsupportedGraphError
 * naming the op and what is supported.
 */
import onnxProto from "onnx-proto";

const { onnx } = onnxProto;

export const SUPPORTED_OPS = ["Gemm", "MatMul", "Add", "Relu", "ArgMax"] as const;
const SUPPORTED =
  "supported: Gemm (alpha = beta = 1, transA = 0), MatMul by a constant matrix, Add of a constant bias " +
  "after Gemm/MatMul, Relu, and a final ArgMax on axis 1, in one chain from one [N, F] input";

/** Thrown when a graph uses something the circuit generator cannot express. */
export class UnsupportedGraphError extends Error {
  constructor(detail: string) {
    super(`${detail}; the ZK circuit generator ${SUPPORTED}. Export the model with those ops only.`);
    this.name = "UnsupportedGraphError";
  }
}

export interface DenseLayer {
  /** [in][out] float32 values. */
  weights: number[][];
  /** [out] float32 values (zeros when the graph has no bias). */
  bias: number[];
  relu: boolean;
}

export interface OnnxMlp {
  inputName: string;
  outputName: string;
  inputs: number;
  layers: DenseLayer[];
  /** Whether the graph ends in an ArgMax node (otherwise it outputs the last layer's values). */
  argmaxNode: boolean;
  /** Width of the last layer: 1 → a sign output, ≥ 2 → argmax. */
  outputs: number;
}

interface Tensor {
  dims: number[];
  values: number[];
}

type TensorProto = onnxProto.onnx.ITensorProto;
type NodeProto = onnxProto.onnx.INodeProto;

function floatTensor(t: TensorProto): Tensor {
  const dims = (t.dims ?? []).map(Number);
  if (t.dataType !== onnx.TensorProto.DataType.FLOAT) {
    throw new UnsupportedGraphError(`initializer "${t.name}" has data type ${t.dataType}, not FLOAT`);
  }
  let values: number[];
  if (t.rawData && t.rawData.length > 0) {
    const raw = Uint8Array.from(t.rawData);
    const view = new DataView(raw.buffer);
    values = Array.from({ length: raw.length / 4 }, (_, i) => view.getFloat32(i * 4, true));
  } else values = (t.floatData ?? []).map(Math.fround);
  const size = dims.reduce((a, b) => a * b, 1);
  if (values.length !== size)
    throw new UnsupportedGraphError(`initializer "${t.name}" has ${values.length} values for dims [${dims}]`);
  return { dims, values };
}

function attr(node: NodeProto, name: string): number | undefined {
  const a = (node.attribute ?? []).find((x) => x.name === name);
  if (!a) return undefined;
  if (a.type === onnx.AttributeProto.AttributeType.FLOAT) return a.f ?? 0;
  if (a.type === onnx.AttributeProto.AttributeType.INT) return Number(a.i ?? 0);
  throw new UnsupportedGraphError(`attribute ${name} of ${node.opType} node "${node.name}" has type ${a.type}`);
}

function matrix(t: Tensor, name: string, transpose: boolean): number[][] {
  if (t.dims.length !== 2) throw new UnsupportedGraphError(`"${name}" must be a 2-D matrix, has dims [${t.dims}]`);
  const [r, c] = t.dims as [number, number];
  const m = Array.from({ length: r }, (_, i) => t.values.slice(i * c, (i + 1) * c));
  return transpose ? Array.from({ length: c }, (_, j) => m.map((row) => row[j]!)) : m;
}

function vector(t: Tensor, name: string, width: number): number[] {
  const ok =
    (t.dims.length === 1 && t.dims[0] === width) || (t.dims.length === 2 && t.dims[0] === 1 && t.dims[1] === width);
  if (!ok)
    throw new UnsupportedGraphError(`bias "${name}" must have shape [${width}] or [1, ${width}], has [${t.dims}]`);
  return t.values.slice();
}

/** Parses ONNX model bytes into a chain of dense layers, or throws UnsupportedGraphError. */
export function parseOnnxMlp(bytes: Uint8Array): OnnxMlp {
  const model = onnx.ModelProto.decode(bytes);
  const graph = model.graph;
  if (!graph) throw new UnsupportedGraphError("the model has no graph");
  const constants = new Map<string, Tensor>();
  for (const t of graph.initializer ?? []) constants.set(t.name ?? "", floatTensor(t));
  const inputs = (graph.input ?? []).filter((i) => !constants.has(i.name ?? ""));
  if (inputs.length !== 1) throw new UnsupportedGraphError(`the graph has ${inputs.length} non-constant inputs, not 1`);
  const outputs = graph.output ?? [];
  if (outputs.length !== 1) throw new UnsupportedGraphError(`the graph has ${outputs.length} outputs, not 1`);
  const input = inputs[0]!;
  const dims = input.type?.tensorType?.shape?.dim ?? [];
  const width = dims.length === 2 ? Number(dims[1]!.dimValue ?? 0) : 0;
  if (!(width > 0)) throw new UnsupportedGraphError(`input "${input.name}" must have shape [N, F] with a fixed F`);

  const layers: DenseLayer[] = [];
  let current = input.name!;
  let currentWidth = width;
  /** The last layer can still take a bias (no Add or Relu yet after its MatMul). */
  let open: DenseLayer | undefined;
  let biasSet = false;
  let argmaxNode = false;
  const nodes = graph.node ?? [];
  nodes.forEach((node, n) => {
    const op = node.opType ?? "";
    const where = `${op} node "${node.name ?? n}"`;
    const ins = node.input ?? [];
    if (argmaxNode) throw new UnsupportedGraphError(`${where} follows ArgMax, which must be the last node`);
    if (!(SUPPORTED_OPS as readonly string[]).includes(op))
      throw new UnsupportedGraphError(`ONNX op "${op}" (node "${node.name ?? n}") is not supported`);
    const data = ins.filter((i) => !constants.has(i));
    const consts = ins.filter((i) => constants.has(i));
    if (data.length !== 1 || data[0] !== current) {
      throw new UnsupportedGraphError(`${where} must take exactly the previous result "${current}" and constants`);
    }
    if ((node.output ?? []).length !== 1) throw new UnsupportedGraphError(`${where} must have one output`);
    if (op === "MatMul" || op === "Gemm") {
      let weights: number[][];
      let bias = new Array<number>(0);
      if (op === "MatMul") {
        if (ins[0] !== current || consts.length !== 1)
          throw new UnsupportedGraphError(`${where} must be (previous result) × (constant matrix)`);
        weights = matrix(constants.get(ins[1]!)!, ins[1]!, false);
      } else {
        const alpha = attr(node, "alpha") ?? 1;
        const beta = attr(node, "beta") ?? 1;
        if (alpha !== 1 || beta !== 1 || (attr(node, "transA") ?? 0) !== 0) {
          throw new UnsupportedGraphError(
            `${where} has alpha ${alpha}, beta ${beta}, transA ${attr(node, "transA") ?? 0}`,
          );
        }
        if (ins[0] !== current || ins.length < 2)
          throw new UnsupportedGraphError(`${where} must be Gemm(previous result, B[, C])`);
        weights = matrix(constants.get(ins[1]!)!, ins[1]!, (attr(node, "transB") ?? 0) === 1);
        if (ins.length > 2 && ins[2]) bias = vector(constants.get(ins[2])!, ins[2], weights[0]!.length);
      }
      if (weights.length !== currentWidth) {
        throw new UnsupportedGraphError(`${where} takes ${weights.length} inputs but "${current}" has ${currentWidth}`);
      }
      currentWidth = weights[0]!.length;
      open = { weights, bias: bias.length > 0 ? bias : new Array<number>(currentWidth).fill(0), relu: false };
      biasSet = bias.length > 0;
      layers.push(open);
    } else if (op === "Add") {
      if (!open || biasSet)
        throw new UnsupportedGraphError(`${where} must add one constant bias right after a Gemm or MatMul`);
      const b = vector(constants.get(consts[0]!)!, consts[0]!, currentWidth);
      open.bias = open.bias.map((v, j) => Math.fround(v + b[j]!));
      biasSet = true;
    } else if (op === "Relu") {
      if (!open || open.relu) throw new UnsupportedGraphError(`${where} must follow a Gemm, MatMul or Add`);
      open.relu = true;
      open = undefined;
    } else {
      const axis = attr(node, "axis") ?? 0;
      if ((axis !== 1 && axis !== -1) || (attr(node, "select_last_index") ?? 0) !== 0) {
        throw new UnsupportedGraphError(`${where} must take the argmax over axis 1 with select_last_index 0`);
      }
      argmaxNode = true;
    }
    current = node.output![0]!;
  });
  if (layers.length === 0) throw new UnsupportedGraphError("the graph has no Gemm or MatMul");
  if (current !== outputs[0]!.name)
    throw new UnsupportedGraphError(`the chain ends at "${current}", not the graph output "${outputs[0]!.name}"`);
  return {
    inputName: input.name!,
    outputName: outputs[0]!.name!,
    inputs: width,
    layers,
    argmaxNode,
    outputs: currentWidth,
  };
}
