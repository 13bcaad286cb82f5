/**
 * Just enough ONNX for CLIP: build a graph from TypeScript (the tiny test model) and read one
 * weight matrix back out of an exported graph (CLIP's visual projection, which the ONNX exports
 * bake into a MatMul and which MemeCLIP needs for its prompt-initialised classifier).
 *
 * @module
 */
import onnxProto from "onnx-proto";
import { dirname, join } from "node:path";

const { onnx } = onnxProto;
type Long = { toNumber(): number };

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;

/** An ONNX attribute value: `int(…)`, `ints(…)` or `float(…)`. */
export type Attr =
  | { readonly kind: "int"; readonly value: number }
  | { readonly kind: "ints"; readonly value: readonly number[] }
  | { readonly kind: "float"; readonly value: number };

/** An integer attribute. */
export const int = (value: number): Attr => ({ kind: "int", value });
/** An integer-list attribute. */
export const ints = (value: readonly number[]): Attr => ({ kind: "ints", value });
/** A float attribute. */
export const float = (value: number): Attr => ({ kind: "float", value });

/** A graph input or output: name, element type and shape (strings are symbolic dims). */
export interface ValueSpec {
  readonly name: string;
  readonly type: "float32" | "int64";
  readonly shape: readonly (number | string)[];
}

/**
 * Accumulates nodes and initializers of one ONNX graph. Every op gets a generated output name
 * unless one is given, so graph code reads like the math it encodes.
 */
export class GraphBuilder {
  readonly #nodes: onnxProto.onnx.INodeProto[] = [];
  readonly #initializers: onnxProto.onnx.ITensorProto[] = [];
  #counter = 0;

  /** Adds a float32 initializer and returns its name. */
  weight(name: string, dims: readonly number[], data: Float32Array): string {
    const size = dims.reduce((a, b) => a * b, 1);
    if (size !== data.length) {
      throw new Error(`initializer ${name}: ${data.length} values for shape [${dims}]`);
    }
    this.#initializers.push({
      name,
      dims: [...dims],
      dataType: FLOAT,
      rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    });
    return name;
  }

  /** Adds an int64 initializer (shapes, axes, indices) and returns its name. */
  int64(name: string, dims: readonly number[], values: readonly number[]): string {
    const data = BigInt64Array.from(values, (v) => BigInt(v));
    this.#initializers.push({
      name,
      dims: [...dims],
      dataType: INT64,
      rawData: new Uint8Array(data.buffer),
    });
    return name;
  }

  /** Adds a node and returns the name of its (first) output. */
  op(
    type: string,
    inputs: readonly string[],
    attrs: Record<string, Attr> = {},
    output?: string,
  ): string {
    const out = output ?? `${type.toLowerCase()}_${this.#counter}`;
    this.#nodes.push({
      opType: type,
      name: `${type}_${this.#counter++}`,
      input: [...inputs],
      output: [out],
      attribute: Object.entries(attrs).map(([name, a]) => attribute(name, a)),
    });
    return out;
  }

  /** Encodes the graph as a complete model (opset 17) and returns the protobuf bytes. */
  encode(name: string, inputs: readonly ValueSpec[], outputs: readonly ValueSpec[]): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: "memesense",
      opsetImport: [{ domain: "", version: 17 }],
      graph: {
        name,
        node: this.#nodes,
        initializer: this.#initializers,
        input: inputs.map(valueInfo),
        output: outputs.map(valueInfo),
      },
    });
    const problem = onnx.ModelProto.verify(model);
    if (problem) throw new Error(`invalid ONNX graph ${name}: ${problem}`);
    return onnx.ModelProto.encode(model).finish();
  }
}

function attribute(name: string, a: Attr): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.kind) {
    case "int":
      return { name, type: T.INT, i: a.value };
    case "ints":
      return { name, type: T.INTS, ints: [...a.value] };
    case "float":
      return { name, type: T.FLOAT, f: a.value };
  }
}

function valueInfo(v: ValueSpec): onnxProto.onnx.IValueInfoProto {
  return {
    name: v.name,
    type: {
      tensorType: {
        elemType: v.type === "float32" ? FLOAT : INT64,
        shape: {
          dim: v.shape.map((d) => typeof d === "string" ? { dimParam: d } : { dimValue: d }),
        },
      },
    },
  };
}

/** A row-major float32 matrix read from a graph. */
export interface GraphMatrix {
  /** Values, `rows × cols`, row-major. */
  readonly data: Float32Array;
  /** Input width of the MatMul (rows of the weight). */
  readonly rows: number;
  /** Output width of the MatMul (columns of the weight). */
  readonly cols: number;
  /** The initializer's name in the graph. */
  readonly name: string;
}

// Ops that pass a tensor through unchanged in value (exports sometimes put one after the MatMul).
const PASS_THROUGH = new Set(["Identity", "Reshape", "Squeeze", "Unsqueeze", "Flatten"]);

/**
 * Reads the weight `W` of the MatMul (or Gemm) that produces graph output `output`, i.e. the
 * matrix with `output = x · W`, returned as `rows = width of x` × `cols = width of output`.
 *
 * For a CLIP vision export and `image_embeds` this is CLIP's visual projection (1024 × 768 for
 * ViT-L/14, the same matrix as OpenAI CLIP's `visual.proj`). Initializers stored as external
 * data next to the model are followed. Throws, naming the file, when the output is missing, is not
 * produced by a MatMul with a constant 2-D float32 weight (e.g. a quantised model), or the data
 * cannot be read.
 */
export async function readOutputMatrix(onnxPath: string, output: string): Promise<GraphMatrix> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(onnxPath);
  } catch (e) {
    throw new Error(`cannot read ONNX model ${onnxPath}: ${(e as Error).message}`);
  }
  const model = onnx.ModelProto.decode(bytes);
  const graph = model.graph;
  const fail = (why: string): never => {
    throw new Error(
      `${onnxPath}: cannot find the weight matrix producing "${output}": ${why}. ` +
        `MemeSense reads CLIP's projection from fp32 ONNX exports (transformers.js layout, ` +
        `onnx/vision_model.onnx); quantised or fused graphs are not supported.`,
    );
  };
  if (!graph) return fail("the file has no graph");
  const outputs = graph.output ?? [], nodes = graph.node ?? [];
  if (!outputs.some((o) => o.name === output)) {
    return fail(
      `the graph has no output "${output}" (outputs: ${outputs.map((o) => o.name).join(", ")})`,
    );
  }
  const producer = new Map<string, onnxProto.onnx.INodeProto>();
  for (const n of nodes) for (const o of n.output ?? []) producer.set(o, n);
  const inits = new Map((graph.initializer ?? []).map((t) => [t.name ?? "", t]));
  const constants = new Map<string, onnxProto.onnx.ITensorProto>();
  for (const n of nodes) {
    const t = n.opType === "Constant" ? n.attribute?.find((a) => a.name === "value")?.t : null;
    if (t && n.output?.[0]) constants.set(n.output[0], t);
  }
  const tensorFor = (name: string) => inits.get(name) ?? constants.get(name);

  let name = output;
  for (let hops = 0; hops < 16; hops++) {
    const node = producer.get(name);
    if (!node) return fail(`"${name}" is not produced by any node`);
    const op = node.opType ?? "";
    const ins = node.input ?? [];
    if (PASS_THROUGH.has(op)) {
      name = ins[0];
      continue;
    }
    if (op === "MatMul" || op === "Gemm") {
      const weightName = ins.slice(0, 2).find((i) => tensorFor(i));
      if (!weightName) return fail(`${op} node "${node.name}" has no constant weight input`);
      if (ins[0] === weightName && op === "MatMul") {
        return fail(`${op} node "${node.name}" multiplies a constant from the left`);
      }
      const t = tensorFor(weightName)!;
      const dims = (t.dims ?? []).map(toNumber);
      if (dims.length !== 2) return fail(`weight "${weightName}" has shape [${dims}], not 2-D`);
      if (t.dataType !== FLOAT) {
        return fail(`weight "${weightName}" has ONNX data type ${t.dataType}, not float32`);
      }
      const data = await tensorData(t, onnxPath);
      const transB = op === "Gemm" &&
        node.attribute?.some((a) => a.name === "transB" && toNumber(a.i ?? 0) === 1);
      if (!transB) return { data, rows: dims[0], cols: dims[1], name: weightName };
      return {
        data: transpose(data, dims[0], dims[1]),
        rows: dims[1],
        cols: dims[0],
        name: weightName,
      };
    }
    return fail(`"${name}" comes from a ${op} node, not a MatMul`);
  }
  return fail("too many pass-through nodes");
}

function toNumber(v: number | Long): number {
  return typeof v === "number" ? v : v.toNumber();
}

async function tensorData(
  t: onnxProto.onnx.ITensorProto,
  modelPath: string,
): Promise<Float32Array> {
  const dims = (t.dims ?? []).map(toNumber);
  const n = dims.reduce((a, b) => a * b, 1);
  let raw: Uint8Array | undefined;
  if (t.rawData && t.rawData.length > 0) raw = t.rawData;
  else if (t.floatData && t.floatData.length > 0) return Float32Array.from(t.floatData);
  else if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) {
    const entry = (key: string) => t.externalData?.find((e) => e.key === key)?.value;
    const location = entry("location");
    if (!location) throw new Error(`${modelPath}: external tensor ${t.name} has no location`);
    const offset = Number(entry("offset") ?? 0);
    const length = Number(entry("length") ?? n * 4);
    const file = await Deno.open(join(dirname(modelPath), location));
    try {
      await file.seek(offset, Deno.SeekMode.Start);
      raw = new Uint8Array(length);
      let got = 0;
      while (got < length) {
        const r = await file.read(raw.subarray(got));
        if (r === null) break;
        got += r;
      }
      if (got !== length) throw new Error(`${location}: short read (${got} of ${length} bytes)`);
    } finally {
      file.close();
    }
  }
  if (!raw || raw.byteLength !== n * 4) {
    throw new Error(
      `${modelPath}: tensor ${t.name} has ${raw?.byteLength ?? 0} bytes, want ${n * 4}`,
    );
  }
  // Copy: the protobuf buffer is not 4-byte aligned in general, and ONNX stores little-endian.
  const out = new Float32Array(n);
  new Uint8Array(out.buffer).set(raw);
  return out;
}

function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c];
  return out;
}
