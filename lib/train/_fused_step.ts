/**
 * The `blas` backend's training step: the head's forward pass, cross-entropy and explicit backward
 * pass as direct loops over preallocated `Float32Array`s, every matrix product an OpenBLAS
 * `cblas_sgemm` call, then AdamW over one contiguous buffer holding every parameter (WebAssembly
 * SIMD, `_adamw_simd.ts`).
 *
 * It computes exactly what `headForward` + `headBackward` (lib/model) compute with tfjs ops — the
 * same stages in the same order, the same dropout masks drawn from the same stream in the same
 * order — without a tensor, an allocation or a kernel dispatch per operation. Its layers (names,
 * widths), dropout probabilities, residual ratio, fusion, classifier and normalisation epsilon
 * all come from lib/model's `headLayout`, the table the stages themselves are declared in; what
 * stays here is the arithmetic, held to `headForward` + `headBackward` by the tests for every
 * variant, and to PyTorch through the trainer.
 *
 * Element-wise stages are fused into single passes: bias + ReLU + dropout after each Linear, the
 * residual mix with its normalisation, the ReLU masks in the backward pass with the products they
 * gate. Intermediate arithmetic is float64 where a pass combines several operations, stored as
 * float32 (tfjs rounds each operation to float32; the two agree to ~1e-7 relative).
 *
 * @module
 */
import {
  type BranchLayout,
  drawDropoutMask,
  type FusionLayout,
  headLayout,
  headParamSpecs,
  type HeadWeights,
  type LinearLayer,
  NORM_EPS,
  shapeSize,
} from "../model/mod.ts";
import type { Rng } from "../util/mod.ts";
import { AdamWBuffers, simdAvailable } from "./_adamw_simd.ts";
import { type AdamWOptions, adamwUpdate } from "./_adamw.ts";
import { sgemm } from "./_blas_kernels.ts";
import { crossEntropyWithGradient } from "./_loss.ts";

/** Milliseconds per part of a trainer's steps since the last reset. */
export interface StepProfile {
  /** Steps timed. */
  steps: number;
  /** Matrix products through OpenBLAS (`blas` backend only; 0 elsewhere). */
  gemm: number;
  /**
   * Everything else in forward and backward: element-wise passes and reductions, and on the
   * tfjs paths tensor allocation and kernel dispatch too.
   */
  elementwise: number;
  /** Drawing dropout masks (the fused path; inside `elementwise` on the tfjs paths). */
  dropout: number;
  /** Cross-entropy and its gradient (on the tfjs paths including reading the logits back). */
  loss: number;
  /** Reading gradients out of tfjs tensors (0 on the fused path). */
  readback: number;
  /** The AdamW update. */
  adamw: number;
}

/** A zeroed profile. */
export function emptyProfile(): StepProfile {
  return { steps: 0, gemm: 0, elementwise: 0, dropout: 0, loss: 0, readback: 0, adamw: 0 };
}

/** The parts of a step that are timed (`steps` counts them). */
type TimedPart = Exclude<keyof StepProfile, "steps">;

/** One Linear layer: views of its weight (`[out, in]`), bias and their gradients. */
interface Linear {
  readonly w: Float32Array;
  readonly b: Float32Array | null;
  readonly dw: Float32Array;
  readonly db: Float32Array | null;
  readonly inDim: number;
  readonly outDim: number;
}

/** One modality's branch: its layers, its constants and its buffers, sized for the largest batch. */
interface Branch {
  readonly proj: Linear[];
  /** p0, the dropout after each projection Linear. */
  readonly projDropout: number;
  readonly adapterDown: Linear;
  readonly adapterUp: Linear;
  /** α of the residual mix. */
  readonly ratio: number;
  /** Width of the branch (mapDim). */
  readonly dim: number;
  /** Input of each projection Linear (the features, then ReLU outputs). */
  readonly inputs: Float32Array[];
  /** Dropout mask after each projection Linear (null when p0 = 0). */
  readonly masks: (Float32Array | null)[];
  readonly projected: Float32Array;
  readonly hidden: Float32Array;
  readonly adapted: Float32Array;
  /** The normalised mix (the fusion's input). */
  readonly normalized: Float32Array;
  /** `max(‖mix‖, eps)` per row, and whether the norm was above eps. */
  readonly norm: Float64Array;
  readonly active: Uint8Array;
  /** Gradient scratch: `[B, mapDim]` ×2 and `[B, mapDim / r]`. */
  readonly d: Float32Array;
  readonly d2: Float32Array;
  readonly dHidden: Float32Array;
}

/**
 * Weights, gradients and AdamW moments of one head in four contiguous buffers, plus the
 * activations of one step, allocated once.
 */
export class FusedStep {
  /** Every parameter, in `headParamSpecs` order; `weights.params` are views into it. */
  readonly flat: Float32Array;
  readonly grad: Float32Array;
  /** The WebAssembly SIMD AdamW over the four buffers, or null (scalar `adamwUpdate`). */
  readonly #simd: AdamWBuffers | null;
  readonly #m: Float32Array;
  readonly #v: Float32Array;
  /** The head's weights as views into {@linkcode flat}. */
  readonly weights: HeadWeights;
  readonly profile: StepProfile = emptyProfile();
  #t = 0;
  readonly #maxBatch: number;
  readonly #image: Branch | null;
  readonly #text: Branch | null;
  readonly #fusion: FusionLayout;
  readonly #pre: Linear[];
  /** p1 (on the pre-output block's input) and p2 (after each of its layers). */
  readonly #preDropout: { readonly input: number; readonly layer: number };
  readonly #preInputMask: Float32Array | null;
  readonly #preInputs: Float32Array[];
  readonly #preActs: Float32Array[];
  readonly #preMasks: (Float32Array | null)[];
  readonly #preOut: Float32Array;
  readonly #fused: Float32Array;
  readonly #dPre: Float32Array;
  readonly #dPre2: Float32Array;
  readonly #cls: Linear;
  /** The cosine classifier's logit scale, or null for the linear classifier. */
  readonly #cosineScale: number | null;
  /** Cosine classifier: normalised input rows and weight rows, and their norms. */
  readonly #nx: Float32Array;
  readonly #nxNorm: Float64Array;
  readonly #nxActive: Uint8Array;
  readonly #nw: Float32Array;
  readonly #nwNorm: Float64Array;
  readonly #nwActive: Uint8Array;
  readonly #dNw: Float32Array;
  readonly #logits: Float32Array;
  readonly #dCos: Float32Array;
  /** Whether the last forward pass drew dropout masks (training mode). */
  #masked = false;
  /** Milliseconds of the timed sections completed so far (what `#timed` subtracts when nested). */
  #nestedMs = 0;

  /**
   * Copies `initial` into fresh buffers sized for batches of up to `maxBatch` rows. With
   * `evalOnly`, only {@linkcode forward} is usable: no gradient or optimizer buffers.
   */
  constructor(initial: HeadWeights, maxBatch: number, options: { evalOnly?: boolean } = {}) {
    const { head, numClasses } = initial;
    this.#maxBatch = maxBatch;
    const specs = headParamSpecs(head, numClasses);
    const total = specs.reduce((s, p) => s + shapeSize(p.shape), 0);
    const training = !options.evalOnly;
    this.#simd = training && simdAvailable() ? new AdamWBuffers(total) : null;
    this.flat = this.#simd?.params ?? new Float32Array(total);
    this.grad = this.#simd?.grads ?? new Float32Array(training ? total : 0);
    this.#m = this.#simd?.m ?? new Float32Array(training ? total : 0);
    this.#v = this.#simd?.v ?? new Float32Array(training ? total : 0);
    const params: Record<string, Float32Array> = {};
    const grads: Record<string, Float32Array> = {};
    let offset = 0;
    for (const spec of specs) {
      const size = shapeSize(spec.shape);
      params[spec.name] = this.flat.subarray(offset, offset + size);
      grads[spec.name] = this.grad.subarray(offset, offset + size);
      params[spec.name].set(initial.params[spec.name]);
      offset += size;
    }
    this.weights = { head, numClasses, params };
    const linear = (layer: LinearLayer): Linear => ({
      w: params[layer.weight],
      b: layer.bias ? params[layer.bias] : null,
      dw: grads[layer.weight],
      db: layer.bias ? grads[layer.bias] : null,
      inDim: layer.inDim,
      outDim: layer.outDim,
    });

    const layout = headLayout(head, numClasses);
    const B = maxBatch;
    const branch = ({ projection, adapter, ratio }: BranchLayout): Branch => {
      const proj = projection.linears.map(linear);
      const D = adapter.up.outDim, R = adapter.down.outDim;
      return {
        proj,
        projDropout: projection.dropout,
        adapterDown: linear(adapter.down),
        adapterUp: linear(adapter.up),
        ratio,
        dim: D,
        inputs: proj.map((l) => new Float32Array(B * l.inDim)),
        masks: proj.map((l) => (projection.dropout > 0 ? new Float32Array(B * l.outDim) : null)),
        projected: new Float32Array(B * D),
        hidden: new Float32Array(B * R),
        adapted: new Float32Array(B * D),
        normalized: new Float32Array(B * D),
        norm: new Float64Array(B),
        active: new Uint8Array(B),
        d: new Float32Array(B * D),
        d2: new Float32Array(B * D),
        dHidden: new Float32Array(B * R),
      };
    };
    this.#image = layout.image && branch(layout.image);
    this.#text = layout.text && branch(layout.text);

    this.#fusion = layout.fusion;
    const F = layout.fusion.dim;
    const { preOutput, classifier } = layout;
    this.#pre = preOutput.linears.map(linear);
    this.#preDropout = { input: preOutput.inputDropout, layer: preOutput.dropout };
    this.#fused = new Float32Array(B * F);
    this.#preInputMask = preOutput.inputDropout > 0 ? new Float32Array(B * F) : null;
    this.#preInputs = this.#pre.map((l) => new Float32Array(B * l.inDim));
    this.#preActs = this.#pre.map((l) => new Float32Array(B * l.outDim));
    this.#preMasks = this.#pre.map((l) =>
      preOutput.dropout > 0 ? new Float32Array(B * l.outDim) : null
    );
    const preWidth = Math.max(F, ...this.#pre.map((l) => l.outDim));
    this.#dPre = new Float32Array(B * preWidth);
    this.#dPre2 = new Float32Array(B * preWidth);

    this.#cls = linear(classifier.linear);
    this.#cosineScale = classifier.kind === "cosine" ? classifier.scale : null;
    const { inDim: D, outDim: C } = this.#cls;
    this.#preOut = new Float32Array(B * D);
    this.#nx = new Float32Array(B * D);
    this.#nxNorm = new Float64Array(B);
    this.#nxActive = new Uint8Array(B);
    this.#nw = new Float32Array(C * D);
    this.#nwNorm = new Float64Array(C);
    this.#nwActive = new Uint8Array(C);
    this.#dNw = new Float32Array(C * D);
    this.#logits = new Float32Array(B * C);
    this.#dCos = new Float32Array(B * C);
  }

  /** AdamW steps taken. */
  get steps(): number {
    return this.#t;
  }

  /** Zeroes the profile counters. */
  resetProfile(): void {
    for (const k of Object.keys(this.profile) as (keyof StepProfile)[]) this.profile[k] = 0;
  }

  /**
   * The logits of a batch in training mode (`dropout` given) or eval mode (null), as
   * `headForward` computes them; the activations stay for {@linkcode backward}. The returned
   * array is a view that the next call overwrites.
   */
  forward(
    image: Float32Array | null,
    text: Float32Array | null,
    b: number,
    dropout: Rng | null,
  ): Float32Array {
    if (b > this.#maxBatch) throw new Error(`fused step: batch ${b} > ${this.#maxBatch}`);
    return this.#timed("elementwise", () => this.#forward(image, text, b, dropout));
  }

  /** Fills {@linkcode grad} with the gradient of the loss whose logit gradient is `dLogits`. */
  backward(dLogits: Float32Array, b: number): void {
    this.#timed("elementwise", () => this.#backward(dLogits, b));
  }

  /**
   * One training step on a batch: forward with dropout, cross-entropy, backward, AdamW. Returns
   * the batch's mean loss.
   */
  step(
    image: Float32Array | null,
    text: Float32Array | null,
    labels: Int32Array,
    dropout: Rng,
    optimizer: AdamWOptions,
  ): number {
    const b = labels.length;
    const logits = this.forward(image, text, b, dropout);
    const { loss, dLogits } = this.#timed(
      "loss",
      () => crossEntropyWithGradient(logits, labels, this.#cls.outDim),
    );
    this.backward(dLogits, b);
    this.#t++;
    this.#timed("adamw", () => {
      if (this.#simd) this.#simd.step(optimizer);
      else adamwUpdate(this.flat, this.grad, { m: this.#m, v: this.#v }, this.#t, optimizer);
    });
    this.profile.steps++;
    return loss;
  }

  #forward(
    image: Float32Array | null,
    text: Float32Array | null,
    b: number,
    dropout: Rng | null,
  ): Float32Array {
    this.#masked = dropout !== null;
    const img = this.#image, txt = this.#text;
    if (img) this.#branchForward(img, need(image, "image"), b, dropout);
    if (txt) this.#branchForward(txt, need(text, "text"), b, dropout);

    // Fusion of the normalised modalities.
    const F = this.#fusion.dim;
    const fused = this.#fused.subarray(0, b * F);
    fuse(this.#fusion, img, txt, fused, b);

    // Pre-output: Dropout(p1), then [Linear → ReLU → Dropout(p2)] per layer; each layer's output
    // is written straight into the next layer's input buffer.
    const inputMask = this.#drawMask(dropout, this.#preInputMask, b * F, this.#preDropout.input);
    const x = this.#preInputs[0].subarray(0, b * F);
    if (inputMask) { for (let i = 0; i < b * F; i++) x[i] = fused[i] * inputMask[i]; }
    else x.set(fused);
    let h = x;
    for (let k = 0; k < this.#pre.length; k++) {
      const layer = this.#pre[k];
      const n = b * layer.outDim;
      const act = this.#preActs[k].subarray(0, n);
      this.#linear(layer, this.#preInputs[k].subarray(0, b * layer.inDim), act, b);
      for (let i = 0; i < n; i++) if (act[i] < 0) act[i] = 0;
      const mask = this.#drawMask(dropout, this.#preMasks[k], n, this.#preDropout.layer);
      h = (k + 1 < this.#pre.length ? this.#preInputs[k + 1] : this.#preOut).subarray(0, n);
      if (mask) { for (let i = 0; i < n; i++) h[i] = act[i] * mask[i]; }
      else h.set(act);
    }

    // Classifier.
    const cls = this.#cls;
    const logits = this.#logits.subarray(0, b * cls.outDim);
    const scale = this.#cosineScale;
    if (scale === null) {
      this.#linear(cls, h, logits, b);
      return logits;
    }
    const D = cls.inDim, C = cls.outDim;
    const nx = this.#nx.subarray(0, b * D);
    normalizeRows(h, nx, b, D, this.#nxNorm, this.#nxActive);
    normalizeRows(cls.w, this.#nw, C, D, this.#nwNorm, this.#nwActive);
    this.#gemm(false, true, b, C, D, nx, this.#nw, 0, logits);
    const s = Math.fround(scale);
    for (let i = 0; i < b * C; i++) logits[i] = logits[i] * s;
    return logits;
  }

  #backward(dLogits: Float32Array, b: number): void {
    const cls = this.#cls;
    const D = cls.inDim, C = cls.outDim;
    const h = this.#preOut.subarray(0, b * D);
    let d = this.#dPre.subarray(0, b * D);
    const scale = this.#cosineScale;
    if (scale === null) {
      this.#linearBackward(cls, h, dLogits, d, b);
    } else {
      const dCos = this.#dCos.subarray(0, b * C);
      const s = Math.fround(scale);
      for (let i = 0; i < b * C; i++) dCos[i] = dLogits[i] * s;
      this.#gemm(true, false, C, D, b, dCos, this.#nx, 0, this.#dNw);
      this.#gemm(false, false, b, D, C, dCos, this.#nw, 0, d);
      normalizeGrad(this.#dNw, this.#nw, this.#nwNorm, this.#nwActive, C, D, cls.dw);
      normalizeGrad(d, this.#nx, this.#nxNorm, this.#nxActive, b, D, d);
    }

    // Pre-output, last layer first.
    let other = this.#dPre2;
    for (let k = this.#pre.length - 1; k >= 0; k--) {
      const layer = this.#pre[k];
      const act = this.#preActs[k];
      const mask = this.#masked ? this.#preMasks[k] : null;
      // ReLU and dropout backward in one pass: d ← d ⊙ mask ⊙ [act > 0].
      for (let i = 0; i < b * layer.outDim; i++) {
        d[i] = act[i] > 0 ? (mask ? d[i] * mask[i] : d[i]) : 0;
      }
      const dIn = other.subarray(0, b * layer.inDim);
      this.#linearBackward(layer, this.#preInputs[k].subarray(0, b * layer.inDim), d, dIn, b);
      other = other === this.#dPre ? this.#dPre2 : this.#dPre;
      d = dIn;
    }
    const inputMask = this.#masked ? this.#preInputMask : null;
    if (inputMask) { for (let i = 0; i < b * this.#fusion.dim; i++) d[i] *= inputMask[i]; }
    // Fusion backward into each branch's gradient buffer.
    unfuse(this.#fusion, this.#image, this.#text, d, b);
    if (this.#image) this.#branchBackward(this.#image, b);
    if (this.#text) this.#branchBackward(this.#text, b);
  }

  #branchForward(br: Branch, x: Float32Array, b: number, dropout: Rng | null): void {
    const D = br.dim;
    const L = br.proj.length;
    // Projection: Linear → Dropout, then [ReLU → Linear → Dropout] per extra layer.
    br.inputs[0].set(x.subarray(0, b * br.proj[0].inDim));
    for (let k = 0; k < L; k++) {
      const z = (k + 1 < L ? br.inputs[k + 1] : br.projected).subarray(0, b * D);
      this.#linear(br.proj[k], br.inputs[k].subarray(0, b * br.proj[k].inDim), z, b);
      const mask = this.#drawMask(dropout, br.masks[k], b * D, br.projDropout);
      // Dropout, and the next layer's ReLU (the next Linear's input is relu(dropout(z))).
      const last = k + 1 === L;
      if (mask) {
        if (last) { for (let i = 0; i < b * D; i++) z[i] = z[i] * mask[i]; }
        else for (let i = 0; i < b * D; i++) z[i] = z[i] > 0 ? z[i] * mask[i] : 0;
      } else if (!last) { for (let i = 0; i < b * D; i++) if (z[i] < 0) z[i] = 0; }
    }
    // Adapter: relu(relu(h·A0ᵀ)·A2ᵀ).
    const h = br.projected.subarray(0, b * D);
    const R = br.adapterDown.outDim;
    const hidden = br.hidden.subarray(0, b * R);
    const adapted = br.adapted.subarray(0, b * D);
    this.#linear(br.adapterDown, h, hidden, b);
    for (let i = 0; i < b * R; i++) if (hidden[i] < 0) hidden[i] = 0;
    this.#linear(br.adapterUp, hidden, adapted, b);
    for (let i = 0; i < b * D; i++) if (adapted[i] < 0) adapted[i] = 0;
    mixAndNormalize(br, h, b);
  }

  /** Backward through normalisation, mix, adapter and projection, from `br.d`. */
  #branchBackward(br: Branch, b: number): void {
    const D = br.dim;
    const d = br.d.subarray(0, b * D);
    const dAdapted = br.d2.subarray(0, b * D);
    normalizeGrad(d, br.normalized, br.norm, br.active, b, D, d);
    // Residual mix: the adapter's output gets α·d (gated by its ReLU), the projection (1 − α)·d.
    const ratio = br.ratio, keep = 1 - br.ratio;
    const adapted = br.adapted;
    for (let i = 0; i < b * D; i++) {
      dAdapted[i] = adapted[i] > 0 ? d[i] * ratio : 0;
      d[i] = d[i] * keep;
    }
    const R = br.adapterDown.outDim;
    const dHidden = br.dHidden.subarray(0, b * R);
    const h = br.projected.subarray(0, b * D);
    const hidden = br.hidden.subarray(0, b * R);
    this.#gemm(true, false, D, R, b, dAdapted, hidden, 0, br.adapterUp.dw);
    this.#gemm(false, false, b, R, D, dAdapted, br.adapterUp.w, 0, dHidden);
    for (let i = 0; i < b * R; i++) if (!(hidden[i] > 0)) dHidden[i] = 0;
    this.#gemm(true, false, R, D, b, dHidden, h, 0, br.adapterDown.dw);
    // dProjected += dHidden·A0 (beta = 1 accumulates onto the residual path's share).
    this.#gemm(false, false, b, D, R, dHidden, br.adapterDown.w, 1, d);

    for (let k = br.proj.length - 1; k >= 0; k--) {
      const layer = br.proj[k];
      const mask = br.masks[k];
      if (mask && this.#masked) { for (let i = 0; i < b * D; i++) d[i] *= mask[i]; }
      const input = br.inputs[k].subarray(0, b * layer.inDim);
      // Layer 0's input is the frozen CLIP feature: its gradient is never needed.
      if (k === 0) this.#linearBackward(layer, input, d, null, b);
      else {
        const dIn = br.d2.subarray(0, b * D);
        this.#linearBackward(layer, input, d, dIn, b);
        // ReLU backward: the input of layer k is relu(·) of the previous layer's output.
        for (let i = 0; i < b * D; i++) d[i] = input[i] > 0 ? dIn[i] : 0;
      }
    }
  }

  /** `y = x·Wᵀ + b`. */
  #linear(layer: Linear, x: Float32Array, y: Float32Array, b: number): void {
    const bias = layer.b;
    if (bias) { for (let r = 0; r < b; r++) y.set(bias, r * layer.outDim); }
    this.#gemm(false, true, b, layer.outDim, layer.inDim, x, layer.w, bias ? 1 : 0, y);
  }

  /** Weight and bias gradients of `y = x·Wᵀ + b` from `dy`, and `dx` unless null. */
  #linearBackward(
    layer: Linear,
    x: Float32Array,
    dy: Float32Array,
    dx: Float32Array | null,
    b: number,
  ): void {
    const { inDim, outDim } = layer;
    this.#gemm(true, false, outDim, inDim, b, dy, x, 0, layer.dw);
    const db = layer.db;
    if (db) {
      // The bias gradient: the column sums of dy.
      for (let j = 0; j < outDim; j++) {
        let s = 0;
        for (let r = 0; r < b; r++) s += dy[r * outDim + j];
        db[j] = s;
      }
    }
    if (dx) this.#gemm(false, false, b, inDim, outDim, dy, layer.w, 0, dx);
  }

  #gemm(
    transA: boolean,
    transB: boolean,
    M: number,
    N: number,
    K: number,
    A: Float32Array,
    B: Float32Array,
    beta: number,
    C: Float32Array,
  ): void {
    this.#timed("gemm", () => sgemm(transA, transB, M, N, K, A, B, beta, C));
  }

  /**
   * In training mode (`rng` given) and where the stage drops anything (`buffer` allocated), draws
   * an inverted-dropout mask of `n` elements into `buffer` exactly as lib/model does; else null.
   */
  #drawMask(
    rng: Rng | null,
    buffer: Float32Array | null,
    n: number,
    p: number,
  ): Float32Array | null {
    if (!rng || !buffer) return null;
    const mask = buffer.subarray(0, n);
    this.#timed("dropout", () => drawDropoutMask(rng, mask, p));
    return mask;
  }

  /**
   * Runs `run` and adds the milliseconds it took to the profile's `part`, less those of the timed
   * parts nested in it: a pass counts as element-wise work except for its products and masks.
   */
  #timed<T>(part: TimedPart, run: () => T): T {
    const nestedBefore = this.#nestedMs;
    const t0 = performance.now();
    const result = run();
    const ms = performance.now() - t0;
    this.profile[part] += ms - (this.#nestedMs - nestedBefore);
    this.#nestedMs = nestedBefore + ms;
    return result;
  }
}

// The larger element-wise passes. The small ones are loops in the methods above, on purpose: V8's
// mid-tier compiler (Maglev) inlines a function this small into its caller, and a loop inlined
// there is not moved to optimised code while it runs, as a loop written in the caller is; as
// separate functions they made the element-wise part of a step about twice as slow.

/**
 * The residual mix `α·adapted + (1 − α)·projected` and its L2 normalisation, one pass per row,
 * into `br.normalized`. Each product and the sum are rounded to float32, as tfjs computes them.
 */
function mixAndNormalize(br: Branch, projected: Float32Array, b: number): void {
  const D = br.dim;
  const adapted = br.adapted, out = br.normalized;
  const ratio = Math.fround(br.ratio);
  const keep = Math.fround(1 - br.ratio);
  for (let r = 0; r < b; r++) {
    let sq = 0;
    for (let i = r * D; i < (r + 1) * D; i++) {
      const mix = Math.fround(Math.fround(adapted[i] * ratio) + Math.fround(projected[i] * keep));
      out[i] = mix;
      sq += mix * mix;
    }
    const raw = Math.sqrt(sq);
    const norm = raw > NORM_EPS ? raw : NORM_EPS;
    br.norm[r] = norm;
    br.active[r] = raw > NORM_EPS ? 1 : 0;
    for (let i = r * D; i < (r + 1) * D; i++) out[i] = out[i] / norm;
  }
}

/** The fused vector of `b` rows from the branches' normalised outputs (one of them may be absent). */
function fuse(
  fusion: FusionLayout,
  image: Branch | null,
  text: Branch | null,
  out: Float32Array,
  b: number,
): void {
  if (!image || !text) {
    const one = (image ?? text)!;
    out.set(one.normalized.subarray(0, b * one.dim));
    return;
  }
  const D = image.dim, F = fusion.dim;
  const ni = image.normalized, nt = text.normalized;
  if (fusion.kind === "product") { for (let i = 0; i < b * D; i++) out[i] = ni[i] * nt[i]; }
  else if (fusion.kind === "sum") { for (let i = 0; i < b * D; i++) out[i] = ni[i] + nt[i]; }
  else {
    for (let r = 0; r < b; r++) {
      out.set(ni.subarray(r * D, (r + 1) * D), r * F);
      out.set(nt.subarray(r * D, (r + 1) * D), r * F + D);
    }
  }
}

/** Backward of {@linkcode fuse}: the gradient `d` of the fused vector into each branch's `d`. */
function unfuse(
  fusion: FusionLayout,
  image: Branch | null,
  text: Branch | null,
  d: Float32Array,
  b: number,
): void {
  if (!image || !text) {
    const one = (image ?? text)!;
    one.d.set(d.subarray(0, b * one.dim));
    return;
  }
  const D = image.dim, F = fusion.dim;
  const di = image.d, dt = text.d;
  if (fusion.kind === "product") {
    const ni = image.normalized, nt = text.normalized;
    for (let i = 0; i < b * D; i++) {
      di[i] = d[i] * nt[i];
      dt[i] = d[i] * ni[i];
    }
  } else if (fusion.kind === "sum") {
    di.set(d.subarray(0, b * D));
    dt.set(d.subarray(0, b * D));
  } else {
    for (let r = 0; r < b; r++) {
      di.set(d.subarray(r * F, r * F + D), r * D);
      dt.set(d.subarray(r * F + D, (r + 1) * F), r * D);
    }
  }
}

/** Row-wise `y = x / max(‖x‖, eps)`, recording the divisor and whether it was clamped. */
function normalizeRows(
  x: Float32Array,
  y: Float32Array,
  rows: number,
  cols: number,
  norms: Float64Array,
  active: Uint8Array,
): void {
  for (let r = 0; r < rows; r++) {
    let sq = 0;
    for (let i = r * cols; i < (r + 1) * cols; i++) sq += x[i] * x[i];
    const raw = Math.sqrt(sq);
    const norm = raw > NORM_EPS ? raw : NORM_EPS;
    norms[r] = norm;
    active[r] = raw > NORM_EPS ? 1 : 0;
    for (let i = r * cols; i < (r + 1) * cols; i++) y[i] = x[i] / norm;
  }
}

/** Backward of {@linkcode normalizeRows}: `dx = (dy − y·⟨y, dy⟩) / norm` (`⟨⟩` dropped when clamped). */
function normalizeGrad(
  dy: Float32Array,
  y: Float32Array,
  norms: Float64Array,
  active: Uint8Array,
  rows: number,
  cols: number,
  dx: Float32Array,
): void {
  for (let r = 0; r < rows; r++) {
    let dot = 0;
    if (active[r]) { for (let i = r * cols; i < (r + 1) * cols; i++) dot += y[i] * dy[i]; }
    const norm = norms[r];
    for (let i = r * cols; i < (r + 1) * cols; i++) dx[i] = (dy[i] - y[i] * dot) / norm;
  }
}

function need(x: Float32Array | null, what: string): Float32Array {
  if (!x) throw new Error(`fused step: the ${what} features are missing`);
  return x;
}
