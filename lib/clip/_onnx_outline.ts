/**
 * The outline of an ONNX graph read from its file without its weights: the protobuf is walked
 * field by field, and every tensor's data (hundreds of megabytes for CLIP ViT-L/14) is skipped
 * with a seek, so reading the outline of a 1.2 GB graph reads a few hundred kilobytes.
 *
 * The fields read, from `onnx.proto`: `ModelProto.graph` (7); `GraphProto.node` (1),
 * `.initializer` (5), `.input` (11), `.output` (12); `NodeProto.input` (1), `.output` (2),
 * `.op_type` (4); `TensorProto.dims` (1), `.name` (8); `ValueInfoProto.name` (1) and its tensor
 * type's shape (`type.tensor_type.shape.dim`: `dim_value` 1, `dim_param` 2).
 *
 * @module
 */
/** A graph input or output: its name and shape (numbers, or names of symbolic dimensions). */
export interface OutlineValue {
  /** The value's name. */
  readonly name: string;
  /** Its dimensions. */
  readonly shape: readonly (number | string)[];
}

/** One node of a graph: its operator and the names of its inputs and outputs. */
export interface OutlineNode {
  /** The operator (`Conv`, `MatMul`, `Softmax`, …). */
  readonly op: string;
  /** Input value names. */
  readonly inputs: readonly string[];
  /** Output value names. */
  readonly outputs: readonly string[];
}

/** An ONNX graph without its weights: enough to tell its architecture. */
export interface GraphOutline {
  /** Graph inputs (for CLIP: `pixel_values`, `input_ids`). */
  readonly inputs: readonly OutlineValue[];
  /** Graph outputs (`image_embeds`, `text_embeds`, `last_hidden_state`). */
  readonly outputs: readonly OutlineValue[];
  /** Every node, in graph order. */
  readonly nodes: readonly OutlineNode[];
  /** Every initializer (constant tensor): name and dimensions. */
  readonly initializers: readonly { readonly name: string; readonly dims: readonly number[] }[];
}

/** Wire types of the protobuf encoding. */
const VARINT = 0, FIXED64 = 1, BYTES = 2, FIXED32 = 5;

/** Messages at most this long are read whole and parsed in memory. */
const SMALL = 1 << 20;

/** A buffered reader over a file that can skip ahead without reading. */
class FileReader {
  readonly #file: Deno.FsFile;
  readonly #buf = new Uint8Array(1 << 16);
  #bufStart = 0;
  #bufLen = 0;
  /** The file offset of the next byte. */
  pos = 0;

  constructor(file: Deno.FsFile, readonly size: number, readonly path: string) {
    this.#file = file;
  }

  async #fill(): Promise<void> {
    await this.#file.seek(this.pos, Deno.SeekMode.Start);
    const n = await this.#file.read(this.#buf);
    if (n === null || n === 0) throw this.fail("the file ends inside a message");
    this.#bufStart = this.pos;
    this.#bufLen = n;
  }

  async byte(): Promise<number> {
    const at = this.pos - this.#bufStart;
    if (at < 0 || at >= this.#bufLen) await this.#fill();
    return this.#buf[this.pos++ - this.#bufStart];
  }

  async varint(): Promise<number> {
    let value = 0, scale = 1;
    for (let i = 0; i < 10; i++) {
      const b = await this.byte();
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
      scale *= 128;
    }
    throw this.fail("a varint longer than 10 bytes");
  }

  async bytes(n: number): Promise<Uint8Array> {
    if (this.pos + n > this.size) throw this.fail("a field runs past the end of the file");
    const out = new Uint8Array(n);
    let got = 0;
    while (got < n) {
      const at = this.pos - this.#bufStart;
      if (at < 0 || at >= this.#bufLen) await this.#fill();
      const from = this.pos - this.#bufStart;
      const take = Math.min(n - got, this.#bufLen - from);
      out.set(this.#buf.subarray(from, from + take), got);
      got += take;
      this.pos += take;
    }
    return out;
  }

  skip(n: number): void {
    if (this.pos + n > this.size) throw this.fail("a field runs past the end of the file");
    this.pos += n;
  }

  fail(why: string): Error {
    return new Error(`${this.path}: not an ONNX model (${why}, at byte ${this.pos})`);
  }
}

/** One field's header. */
interface Field {
  readonly number: number;
  readonly wire: number;
  /** The length of a length-delimited field. */
  readonly length: number;
}

async function nextField(r: FileReader): Promise<Field> {
  const key = await r.varint();
  const wire = key % 8, number = Math.floor(key / 8);
  const length = wire === BYTES ? await r.varint() : 0;
  return { number, wire, length };
}

async function skipValue(r: FileReader, f: Field): Promise<void> {
  switch (f.wire) {
    case VARINT:
      await r.varint();
      return;
    case FIXED64:
      r.skip(8);
      return;
    case BYTES:
      r.skip(f.length);
      return;
    case FIXED32:
      r.skip(4);
      return;
    default:
      throw r.fail(`wire type ${f.wire}`);
  }
}

/**
 * Reads the outline of the ONNX graph in `path`: its inputs and outputs with their shapes, its
 * nodes (operator, inputs, outputs) and its initializers (name, dimensions), no weights. Throws,
 * naming the file, for a file that is not an ONNX model.
 */
export async function readGraphOutline(path: string): Promise<GraphOutline> {
  using file = await Deno.open(path);
  const size = (await file.stat()).size;
  const r = new FileReader(file, size, path);
  const outline = { inputs: [], outputs: [], nodes: [], initializers: [] } as {
    inputs: OutlineValue[];
    outputs: OutlineValue[];
    nodes: OutlineNode[];
    initializers: { name: string; dims: number[] }[];
  };
  let graphs = 0;
  while (r.pos < size) {
    const f = await nextField(r);
    if (f.number !== 7 || f.wire !== BYTES) {
      await skipValue(r, f);
      continue;
    }
    graphs++;
    const end = r.pos + f.length;
    while (r.pos < end) {
      const g = await nextField(r);
      if (g.wire !== BYTES || ![1, 5, 11, 12].includes(g.number)) {
        await skipValue(r, g);
        continue;
      }
      if (g.number === 5) {
        outline.initializers.push(await readTensorHeader(r, r.pos + g.length));
        continue;
      }
      if (g.length > SMALL) {
        // A node carrying a large constant: its operator and names come before the tensor.
        if (g.number === 1) outline.nodes.push(await readNodeStreaming(r, r.pos + g.length));
        else r.skip(g.length);
        continue;
      }
      const bytes = await r.bytes(g.length);
      if (g.number === 1) outline.nodes.push(parseNode(bytes));
      else (g.number === 11 ? outline.inputs : outline.outputs).push(parseValueInfo(bytes));
    }
  }
  if (graphs === 0) throw r.fail("no graph");
  return outline;
}

/** A tensor's name and dimensions, its data skipped. */
async function readTensorHeader(
  r: FileReader,
  end: number,
): Promise<{ name: string; dims: number[] }> {
  let name = "";
  const dims: number[] = [];
  while (r.pos < end) {
    const f = await nextField(r);
    if (f.number === 1 && f.wire === VARINT) dims.push(await r.varint());
    else if (f.number === 1 && f.wire === BYTES) {
      const stop = r.pos + f.length;
      while (r.pos < stop) dims.push(await r.varint());
    } else if (f.number === 8 && f.wire === BYTES) {
      name = new TextDecoder().decode(await r.bytes(f.length));
    } else await skipValue(r, f);
  }
  return { name, dims };
}

/** A large node's operator, inputs and outputs, its attributes skipped. */
async function readNodeStreaming(r: FileReader, end: number): Promise<OutlineNode> {
  const node = { op: "", inputs: [] as string[], outputs: [] as string[] };
  const text = new TextDecoder();
  while (r.pos < end) {
    const f = await nextField(r);
    if (f.wire === BYTES && [1, 2, 4].includes(f.number) && f.length <= SMALL) {
      const value = text.decode(await r.bytes(f.length));
      if (f.number === 1) node.inputs.push(value);
      else if (f.number === 2) node.outputs.push(value);
      else node.op = value;
    } else await skipValue(r, f);
  }
  return node;
}

/** An in-memory protobuf message, read field by field. */
class Message {
  pos = 0;
  constructor(readonly bytes: Uint8Array) {}

  get done(): boolean {
    return this.pos >= this.bytes.length;
  }

  varint(): number {
    let value = 0, scale = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.bytes[this.pos++];
      if (b === undefined) throw new Error("ONNX outline: a message ends inside a varint");
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
      scale *= 128;
    }
    throw new Error("ONNX outline: a varint longer than 10 bytes");
  }

  field(): Field {
    const key = this.varint();
    const wire = key % 8;
    return { number: Math.floor(key / 8), wire, length: wire === BYTES ? this.varint() : 0 };
  }

  take(n: number): Uint8Array {
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  skip(f: Field): void {
    if (f.wire === VARINT) this.varint();
    else if (f.wire === FIXED64) this.pos += 8;
    else if (f.wire === BYTES) this.pos += f.length;
    else if (f.wire === FIXED32) this.pos += 4;
    else throw new Error(`ONNX outline: wire type ${f.wire}`);
  }
}

const decoder = new TextDecoder();

function parseNode(bytes: Uint8Array): OutlineNode {
  const m = new Message(bytes);
  const node = { op: "", inputs: [] as string[], outputs: [] as string[] };
  while (!m.done) {
    const f = m.field();
    if (f.wire === BYTES && f.number === 1) node.inputs.push(decoder.decode(m.take(f.length)));
    else if (f.wire === BYTES && f.number === 2) {
      node.outputs.push(decoder.decode(m.take(f.length)));
    } else if (f.wire === BYTES && f.number === 4) node.op = decoder.decode(m.take(f.length));
    else m.skip(f);
  }
  return node;
}

function parseValueInfo(bytes: Uint8Array): OutlineValue {
  const m = new Message(bytes);
  let name = "";
  let shape: (number | string)[] = [];
  while (!m.done) {
    const f = m.field();
    if (f.wire === BYTES && f.number === 1) name = decoder.decode(m.take(f.length));
    else if (f.wire === BYTES && f.number === 2) shape = parseTypeShape(m.take(f.length));
    else m.skip(f);
  }
  return { name, shape };
}

/** `TypeProto.tensor_type.shape.dim` as numbers (dim_value) or names (dim_param). */
function parseTypeShape(bytes: Uint8Array): (number | string)[] {
  const nested = (b: Uint8Array, number: number): Uint8Array | null => {
    const m = new Message(b);
    while (!m.done) {
      const f = m.field();
      if (f.wire === BYTES && f.number === number) return m.take(f.length);
      m.skip(f);
    }
    return null;
  };
  const tensor = nested(bytes, 1);
  const shape = tensor && nested(tensor, 2);
  if (!shape) return [];
  const dims: (number | string)[] = [];
  const m = new Message(shape);
  while (!m.done) {
    const f = m.field();
    if (f.wire !== BYTES || f.number !== 1) {
      m.skip(f);
      continue;
    }
    const d = new Message(m.take(f.length));
    let dim: number | string = "?";
    while (!d.done) {
      const g = d.field();
      if (g.number === 1 && g.wire === VARINT) dim = d.varint();
      else if (g.number === 2 && g.wire === BYTES) dim = decoder.decode(d.take(g.length));
      else d.skip(g);
    }
    dims.push(dim);
  }
  return dims;
}
