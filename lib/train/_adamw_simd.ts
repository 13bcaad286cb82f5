/**
 * AdamW over one contiguous buffer with WebAssembly SIMD: parameters, gradients and both moments
 * live in one `WebAssembly.Memory`, and one loop updates four floats per instruction.
 *
 * The arithmetic is `torch.optim.AdamW`'s, in float32 and in torch's order of operations:
 *
 * ```
 * θ ← θ·decay                                 decay = 1 − lr·wd
 * m ← m·β1 + (1 − β1)·g
 * v ← v·β2 + ((1 − β2)·g)·g
 * θ ← θ + (−stepSize·m) / (√v / √(1 − β2ᵗ) + ε)
 * ```
 *
 * (The plain-TypeScript `adamwUpdate` computes the same in float64 and rounds once; the two agree
 * to float32 rounding.) Over the head's 3.67 M parameters the loop streams 4 buffers, ~59 MB per
 * step; it takes a few milliseconds against ~15–35 ms for the scalar loop.
 *
 * The module is assembled here from its instructions (no build step, nothing binary committed).
 *
 * @module
 */
import type { AdamWOptions } from "./_adamw.ts";

// Value types and opcodes of the WebAssembly binary format.
const I32 = 0x7f, F32 = 0x7d, V128 = 0x7b;
const LOCAL_GET = 0x20, LOCAL_SET = 0x21, I32_CONST = 0x41, I32_ADD = 0x6a, I32_GE_U = 0x4f;
const BLOCK = 0x02, LOOP = 0x03, BR = 0x0c, BR_IF = 0x0d, END = 0x0b, VOID = 0x40;
const SIMD = 0xfd;
const V128_LOAD = [SIMD, 0x00, 4, 0]; // align 2⁴ (a hint), offset 0
const V128_STORE = [SIMD, 0x0b, 4, 0];
const F32X4_SPLAT = [SIMD, 0x13];
const F32X4_SQRT = [SIMD, 0xe3, 0x01];
const F32X4_ADD = [SIMD, 0xe4, 0x01];
const F32X4_MUL = [SIMD, 0xe6, 0x01];
const F32X4_DIV = [SIMD, 0xe7, 0x01];

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

const name = (s: string) => [...leb(s.length), ...new TextEncoder().encode(s)];
const section = (id: number, body: number[]) => [id, ...leb(body.length), ...body];
const vec = (items: number[][]) => [...leb(items.length), ...items.flat()];

// Parameters of `adamw(bytes, θ, g, m, v, decay, β1, 1−β1, β2, 1−β2, −stepSize, √bc2, ε)`: byte
// length and four byte offsets, then the eight scalars.
const P = { bytes: 0, theta: 1, g: 2, m: 3, v: 4 } as const;
const SCALARS = 5; // first scalar parameter; their splats live in locals SPLATS + k
const OFF = 13; // i32 local: the byte offset
const SPLATS = 14; // 8 v128 locals
const G = 22, M = 23, V = 24; // v128 temporaries
const [DECAY, B1, OMB1, B2, OMB2, NEG_STEP, BC2, EPS] = [0, 1, 2, 3, 4, 5, 6, 7].map((k) =>
  SPLATS + k
);

const at = (base: number) => [LOCAL_GET, base, LOCAL_GET, OFF, I32_ADD];
const get = (local: number) => [LOCAL_GET, local];

const BODY = [
  ...vec([[1, I32], [12, V128]]),
  // Broadcast each scalar once.
  ...[0, 1, 2, 3, 4, 5, 6, 7].flatMap((k) => [
    LOCAL_GET,
    SCALARS + k,
    ...F32X4_SPLAT,
    LOCAL_SET,
    SPLATS + k,
  ]),
  BLOCK,
  VOID,
  LOOP,
  VOID,
  ...get(OFF),
  ...get(P.bytes),
  I32_GE_U,
  BR_IF,
  1,
  // g
  ...at(P.g),
  ...V128_LOAD,
  LOCAL_SET,
  G,
  // m ← m·β1 + (1 − β1)·g
  ...at(P.m),
  ...V128_LOAD,
  ...get(B1),
  ...F32X4_MUL,
  ...get(OMB1),
  ...get(G),
  ...F32X4_MUL,
  ...F32X4_ADD,
  LOCAL_SET,
  M,
  ...at(P.m),
  ...get(M),
  ...V128_STORE,
  // v ← v·β2 + ((1 − β2)·g)·g
  ...at(P.v),
  ...V128_LOAD,
  ...get(B2),
  ...F32X4_MUL,
  ...get(OMB2),
  ...get(G),
  ...F32X4_MUL,
  ...get(G),
  ...F32X4_MUL,
  ...F32X4_ADD,
  LOCAL_SET,
  V,
  ...at(P.v),
  ...get(V),
  ...V128_STORE,
  // θ ← θ·decay + (−stepSize·m) / (√v / √bc2 + ε)
  ...at(P.theta),
  ...at(P.theta),
  ...V128_LOAD,
  ...get(DECAY),
  ...F32X4_MUL,
  ...get(NEG_STEP),
  ...get(M),
  ...F32X4_MUL,
  ...get(V),
  ...F32X4_SQRT,
  ...get(BC2),
  ...F32X4_DIV,
  ...get(EPS),
  ...F32X4_ADD,
  ...F32X4_DIV,
  ...F32X4_ADD,
  ...V128_STORE,
  // off += 16
  ...get(OFF),
  I32_CONST,
  16,
  I32_ADD,
  LOCAL_SET,
  OFF,
  BR,
  0,
  END,
  END,
  END,
];

function moduleBytes(): Uint8Array {
  const params = [I32, I32, I32, I32, I32, F32, F32, F32, F32, F32, F32, F32, F32];
  const type = [0x60, ...leb(params.length), ...params, 0];
  const memoryImport = [...name("env"), ...name("memory"), 0x02, 0x00, 0x01];
  const exported = [...name("adamw"), 0x00, 0x00];
  const body = [...leb(BODY.length), ...BODY];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec([type])),
    ...section(2, vec([memoryImport])),
    ...section(3, vec([[0x00]])),
    ...section(7, vec([exported])),
    ...section(10, vec([body])),
  ]);
}

let compiled: WebAssembly.Module | null = null;

/** Whether this runtime runs WebAssembly SIMD (Deno, Node ≥ 16 and current browsers do). */
export function simdAvailable(): boolean {
  try {
    compiled ??= new WebAssembly.Module(moduleBytes() as Uint8Array<ArrayBuffer>);
    return true;
  } catch {
    return false;
  }
}

/**
 * Parameters, gradients and AdamW moments of `size` floats each, in one WebAssembly memory; the
 * four arrays are views into it (the memory never grows, so the views stay valid).
 */
export class AdamWBuffers {
  readonly params: Float32Array;
  readonly grads: Float32Array;
  readonly m: Float32Array;
  readonly v: Float32Array;
  readonly #update: (...args: number[]) => void;
  #t = 0;

  /** Allocates zeroed buffers of `size` floats. Throws when WebAssembly SIMD is unavailable. */
  constructor(readonly size: number) {
    if (!simdAvailable()) throw new Error("WebAssembly SIMD is unavailable");
    // Each buffer rounded up to whole 16-byte vectors.
    const stride = Math.ceil(size / 4) * 4;
    const pages = Math.ceil((4 * stride * 4) / 65536) || 1;
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    const instance = new WebAssembly.Instance(compiled!, { env: { memory } });
    this.#update = instance.exports.adamw as (...args: number[]) => void;
    const view = (k: number) => new Float32Array(memory.buffer, 4 * k * stride, size);
    [this.params, this.grads, this.m, this.v] = [0, 1, 2, 3].map(view);
    this.#stride = stride;
  }

  readonly #stride: number;

  /** Steps taken. */
  get steps(): number {
    return this.#t;
  }

  /** One AdamW step over every parameter from {@linkcode grads}. */
  step(options: AdamWOptions): void {
    const t = ++this.#t;
    const { lr, weightDecay } = options;
    const b1 = options.beta1 ?? 0.9;
    const b2 = options.beta2 ?? 0.999;
    const eps = options.eps ?? 1e-8;
    const stride = this.#stride;
    // The tail beyond a whole vector is zero padding: zero gradients keep it zero.
    this.#update(
      4 * stride,
      0,
      4 * stride,
      8 * stride,
      12 * stride,
      1 - lr * weightDecay,
      b1,
      1 - b1,
      b2,
      1 - b2,
      -lr / (1 - b1 ** t),
      Math.sqrt(1 - b2 ** t),
      eps,
    );
  }
}
