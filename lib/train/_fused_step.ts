/**
 * The `blas` backend's training step: the head's forward pass, cross-entropy and explicit backward
 * pass as direct loops over preallocated `Float32Array`s, every matrix product an OpenBLAS
 * `cblas_sgemm` call, then AdamW over one contiguous buffer holding every parameter (WebAssembly
 * SIMD, `_adamw_simd.ts`).
 *
 * It computes exactly what `headForward` + `headBackward` (lib/model) compute with tfjs ops — the
 * same stages in the same order, the same dropout masks drawn from the same stream in the same
 * order — without a tensor, an allocation or a kernel dispatch per operation. The tests check it
 * against those functions for every variant, and against PyTorch through the trainer.
 *
 * Element-wise stages are fused into single passes: bias + ReLU + dropout after each Linear, the
 * residual mix with its normalisation, the ReLU masks in the backward pass with the products they
 * gate. Intermediate arithmetic is float64 where a pass combines several operations, stored as
 * float32 (tfjs rounds each operation to float32; the two agree to ~1e-7 relative).
 *
 * @module
 */
import type { HeadConfig } from "../config/mod.ts";
import {
  fusedDim,
  headParamSpecs,
  type HeadWeights,
  shapeSize,
  usesImage,
  usesText,
} from "../model/mod.ts";
import type { Rng } from "../util/mod.ts";
import { AdamWBuffers, simdAvailable } from "./_adamw_simd.ts";
import { type AdamWOptions, adamwUpdate } from "./_adamw.ts";
import { sgemm } from "./blas_kernels.ts";
import { crossEntropyWithGradient } from "./_loss.ts";

/** `F.normalize`'s epsilon, as `NORM_EPS` in lib/model. */
const EPS = 1e-12;

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

/** One Linear layer: views of its weight (`[out, in]`), bias and their gradients. */
interface Linear {
  readonly w: Float32Array;
  readonly b: Float32Array | null;
  readonly dw: Float32Array;
  readonly db: Float32Array | null;
  readonly inDim: number;
  readonly outDim: number;
}

/** Buffers of one modality's branch, sized for the largest batch. */
interface Branch {
  readonly proj: Linear[];
  readonly adapterDown: Linear;
  readonly adapterUp: Linear;
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
  readonly #head: HeadConfig;
  readonly #classes: number;
  readonly #maxBatch: number;
  readonly #image: Branch | null;
  readonly #text: Branch | null;
  readonly #pre: Linear[];
  readonly #preInputMask: Float32Array | null;
  readonly #preInputs: Float32Array[];
  readonly #preActs: Float32Array[];
  readonly #preMasks: (Float32Array | null)[];
  readonly #preOut: Float32Array;
  readonly #fused: Float32Array;
  readonly #dFused: Float32Array;
  readonly #dPre: Float32Array;
  readonly #dPre2: Float32Array;
  readonly #cls: Linear;
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

  /**
   * Copies `initial` into fresh buffers sized for batches of up to `maxBatch` rows. With
   * `evalOnly`, only {@linkcode forward} is usable: no gradient or optimizer buffers.
   */
  constructor(initial: HeadWeights, maxBatch: number, options: { evalOnly?: boolean } = {}) {
    const head = (this.#head = initial.head);
    const C = (this.#classes = initial.numClasses);
    this.#maxBatch = maxBatch;
    const specs = headParamSpecs(head, C);
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
    this.weights = { head, numClasses: C, params };
    const linear = (name: string, inDim: number, outDim: number): Linear => ({
      w: params[`${name}.weight`],
      b: params[`${name}.bias`] ?? null,
      dw: grads[`${name}.weight`],
      db: grads[`${name}.bias`] ?? null,
      inDim,
      outDim,
    });
    const B = maxBatch, D = head.mapDim, U = head.unmappedDim;
    const R = D / head.adapterReduction;
    const p = head.dropProbs;
    const branch = (map: string, adapter: string): Branch => {
      const proj: Linear[] = [];
      for (let k = 0; k < head.numMappingLayers; k++) {
        proj.push(linear(`${map}.proj.${3 * k}`, k === 0 ? U : D, D));
      }
      return {
        proj,
        adapterDown: linear(`${adapter}.fc.0`, D, R),
        adapterUp: linear(`${adapter}.fc.2`, R, D),
        inputs: proj.map((_, k) => new Float32Array(B * (k === 0 ? U : D))),
        masks: proj.map(() => (p[0] > 0 ? new Float32Array(B * D) : null)),
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
    this.#image = usesImage(head) ? branch("image_map", "img_adapter") : null;
    this.#text = usesText(head) ? branch("text_map", "text_adapter") : null;
    const F = fusedDim(head);
    this.#pre = [];
    for (let k = 0; k < head.numPreOutputLayers; k++) {
      this.#pre.push(linear(`pre_output.${1 + 3 * k}`, k === 0 ? F : D, D));
    }
    this.#fused = new Float32Array(B * F);
    this.#dFused = new Float32Array(B * F);
    this.#preInputMask = p[1] > 0 ? new Float32Array(B * F) : null;
    this.#preInputs = this.#pre.map((l) => new Float32Array(B * l.inDim));
    this.#preActs = this.#pre.map(() => new Float32Array(B * D));
    this.#preMasks = this.#pre.map(() => (p[2] > 0 ? new Float32Array(B * D) : null));
    this.#preOut = new Float32Array(B * D);
    this.#dPre = new Float32Array(B * Math.max(F, D));
    this.#dPre2 = new Float32Array(B * Math.max(F, D));
    this.#cls = linear("classifier", D, C);
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
    const head = this.#head;
    const D = head.mapDim;
    const p = head.dropProbs;
    this.#masked = dropout !== null;
    if (this.#image) this.#branchForward(this.#image, need(image, "image"), b, dropout);
    if (this.#text) this.#branchForward(this.#text, need(text, "text"), b, dropout);

    // Fusion of the normalised modalities.
    let t0 = performance.now();
    const F = fusedDim(head);
    const fused = this.#fused.subarray(0, b * F);
    const ni = this.#image?.normalized, nt = this.#text?.normalized;
    if (ni && nt) {
      if (head.fusion === "product") { for (let i = 0; i < b * D; i++) fused[i] = ni[i] * nt[i]; }
      else if (head.fusion === "sum") { for (let i = 0; i < b * D; i++) fused[i] = ni[i] + nt[i]; }
      else {
        for (let r = 0; r < b; r++) {
          fused.set(ni.subarray(r * D, (r + 1) * D), r * F);
          fused.set(nt.subarray(r * D, (r + 1) * D), r * F + D);
        }
      }
    } else fused.set((ni ?? nt)!.subarray(0, b * D));
    this.profile.elementwise += performance.now() - t0;

    // Pre-output: Dropout(p1), then [Linear → ReLU → Dropout(p2)] per layer.
    let h = fused;
    if (dropout && this.#preInputMask) {
      const mask = this.#drawMask(dropout, this.#preInputMask, b * F, p[1]);
      const x = this.#preInputs[0].subarray(0, b * F);
      t0 = performance.now();
      for (let i = 0; i < b * F; i++) x[i] = h[i] * mask[i];
      this.profile.elementwise += performance.now() - t0;
      h = x;
    } else this.#preInputs[0].set(h);
    // Each layer's output is written straight into the next layer's input buffer.
    for (let k = 0; k < this.#pre.length; k++) {
      const layer = this.#pre[k];
      const input = this.#preInputs[k].subarray(0, b * layer.inDim);
      const act = this.#preActs[k].subarray(0, b * D);
      this.#linear(layer, input, act, b);
      t0 = performance.now();
      for (let i = 0; i < b * D; i++) if (act[i] < 0) act[i] = 0;
      this.profile.elementwise += performance.now() - t0;
      const mask = dropout && this.#preMasks[k]
        ? this.#drawMask(dropout, this.#preMasks[k]!, b * D, p[2])
        : null;
      const out = k + 1 < this.#pre.length ? this.#preInputs[k + 1] : this.#preOut;
      h = out.subarray(0, b * D);
      t0 = performance.now();
      if (mask) { for (let i = 0; i < b * D; i++) h[i] = act[i] * mask[i]; }
      else h.set(act);
      this.profile.elementwise += performance.now() - t0;
    }

    // Classifier.
    const C = this.#classes;
    const logits = this.#logits.subarray(0, b * C);
    if (head.classifier === "linear") {
      this.#linear(this.#cls, h, logits, b);
      return logits;
    }
    t0 = performance.now();
    const nx = this.#nx.subarray(0, b * D);
    normalizeRows(h, nx, b, D, this.#nxNorm, this.#nxActive);
    normalizeRows(this.#cls.w, this.#nw, C, D, this.#nwNorm, this.#nwActive);
    this.profile.elementwise += performance.now() - t0;
    this.#gemm(false, true, b, C, D, nx, this.#nw, 0, logits);
    t0 = performance.now();
    const scale = Math.fround(head.scale);
    for (let i = 0; i < b * C; i++) logits[i] = logits[i] * scale;
    this.profile.elementwise += performance.now() - t0;
    return logits;
  }

  /** Fills {@linkcode grad} with the gradient of the loss whose logit gradient is `dLogits`. */
  backward(dLogits: Float32Array, b: number): void {
    const head = this.#head;
    const D = head.mapDim;
    const C = this.#classes;
    let t0 = performance.now();
    const h = this.#preOut.subarray(0, b * D);
    let d = this.#dPre.subarray(0, b * D);
    if (head.classifier === "linear") {
      this.#linearBackward(this.#cls, h, dLogits, d, b);
    } else {
      const dCos = this.#dCos.subarray(0, b * C);
      const scale = Math.fround(head.scale);
      for (let i = 0; i < b * C; i++) dCos[i] = dLogits[i] * scale;
      this.profile.elementwise += performance.now() - t0;
      this.#gemm(true, false, C, D, b, dCos, this.#nx, 0, this.#dNw);
      this.#gemm(false, false, b, D, C, dCos, this.#nw, 0, d);
      t0 = performance.now();
      normalizeGrad(this.#dNw, this.#nw, this.#nwNorm, this.#nwActive, C, D, this.#cls.dw);
      normalizeGrad(d, this.#nx, this.#nxNorm, this.#nxActive, b, D, d);
      this.profile.elementwise += performance.now() - t0;
    }

    // Pre-output, last layer first.
    let other = this.#dPre2;
    for (let k = this.#pre.length - 1; k >= 0; k--) {
      const layer = this.#pre[k];
      const act = this.#preActs[k];
      const mask = this.#masked ? this.#preMasks[k] : null;
      t0 = performance.now();
      // ReLU and dropout backward in one pass: dz = d ⊙ mask ⊙ [act > 0].
      for (let i = 0; i < b * D; i++) {
        d[i] = act[i] > 0 ? (mask ? d[i] * mask[i] : d[i]) : 0;
      }
      this.profile.elementwise += performance.now() - t0;
      const dIn = other.subarray(0, b * layer.inDim);
      this.#linearBackward(layer, this.#preInputs[k].subarray(0, b * layer.inDim), d, dIn, b);
      other = other === this.#dPre ? this.#dPre2 : this.#dPre;
      d = dIn;
    }
    t0 = performance.now();
    const F = fusedDim(head);
    if (this.#masked && this.#preInputMask) {
      const mask = this.#preInputMask;
      for (let i = 0; i < b * F; i++) d[i] *= mask[i];
    }
    // Fusion backward into each branch's gradient buffer.
    const img = this.#image, txt = this.#text;
    if (img && txt) {
      const di = img.d, dt = txt.d;
      if (head.fusion === "product") {
        const ni = img.normalized, nt = txt.normalized;
        for (let i = 0; i < b * D; i++) {
          di[i] = d[i] * nt[i];
          dt[i] = d[i] * ni[i];
        }
      } else if (head.fusion === "sum") {
        di.set(d.subarray(0, b * D));
        dt.set(d.subarray(0, b * D));
      } else {
        for (let r = 0; r < b; r++) {
          di.set(d.subarray(r * F, r * F + D), r * D);
          dt.set(d.subarray(r * F + D, (r + 1) * F), r * D);
        }
      }
    } else (img ?? txt)!.d.set(d.subarray(0, b * D));
    this.profile.elementwise += performance.now() - t0;
    if (img) this.#branchBackward(img, b);
    if (txt) this.#branchBackward(txt, b);
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
    let t0 = performance.now();
    const ce = crossEntropyWithGradient(logits, labels, this.#classes);
    this.profile.loss += performance.now() - t0;
    this.backward(ce.dLogits, b);
    t0 = performance.now();
    this.#t++;
    if (this.#simd) this.#simd.step(optimizer);
    else adamwUpdate(this.flat, this.grad, { m: this.#m, v: this.#v }, this.#t, optimizer);
    this.profile.adamw += performance.now() - t0;
    this.profile.steps++;
    return ce.loss;
  }

  #branchForward(br: Branch, x: Float32Array, b: number, dropout: Rng | null): void {
    const D = this.#head.mapDim;
    const p0 = this.#head.dropProbs[0];
    const L = br.proj.length;
    // Projection: Linear → Dropout, then [ReLU → Linear → Dropout] per extra layer.
    let h = x.subarray(0, b * br.proj[0].inDim);
    br.inputs[0].set(h);
    for (let k = 0; k < L; k++) {
      const z = k + 1 < L ? br.inputs[k + 1].subarray(0, b * D) : br.projected.subarray(0, b * D);
      this.#linear(br.proj[k], br.inputs[k].subarray(0, b * br.proj[k].inDim), z, b);
      const mask = dropout && br.masks[k] ? this.#drawMask(dropout, br.masks[k]!, b * D, p0) : null;
      const t0 = performance.now();
      // Dropout, and the next layer's ReLU (the next Linear's input is relu(dropout(z))).
      const last = k + 1 === L;
      if (mask) {
        if (last) { for (let i = 0; i < b * D; i++) z[i] = z[i] * mask[i]; }
        else for (let i = 0; i < b * D; i++) z[i] = z[i] > 0 ? z[i] * mask[i] : 0;
      } else if (!last) { for (let i = 0; i < b * D; i++) if (z[i] < 0) z[i] = 0; }
      this.profile.elementwise += performance.now() - t0;
      h = z;
    }
    // Adapter: relu(relu(h·A0ᵀ)·A2ᵀ).
    const R = br.adapterDown.outDim;
    const hidden = br.hidden.subarray(0, b * R);
    const adapted = br.adapted.subarray(0, b * D);
    this.#linear(br.adapterDown, h, hidden, b);
    let t0 = performance.now();
    for (let i = 0; i < b * R; i++) if (hidden[i] < 0) hidden[i] = 0;
    this.profile.elementwise += performance.now() - t0;
    this.#linear(br.adapterUp, hidden, adapted, b);
    t0 = performance.now();
    for (let i = 0; i < b * D; i++) if (adapted[i] < 0) adapted[i] = 0;
    // Residual mix and L2 normalisation in one pass per row.
    const ratio = Math.fround(this.#head.ratio);
    const keep = Math.fround(1 - this.#head.ratio);
    const out = br.normalized;
    for (let r = 0; r < b; r++) {
      let sq = 0;
      for (let i = r * D; i < (r + 1) * D; i++) {
        const mix = Math.fround(Math.fround(adapted[i] * ratio) + Math.fround(h[i] * keep));
        out[i] = mix;
        sq += mix * mix;
      }
      const raw = Math.sqrt(sq);
      const norm = raw > EPS ? raw : EPS;
      br.norm[r] = norm;
      br.active[r] = raw > EPS ? 1 : 0;
      for (let i = r * D; i < (r + 1) * D; i++) out[i] = out[i] / norm;
    }
    this.profile.elementwise += performance.now() - t0;
  }

  /** Backward through normalisation, mix, adapter and projection, from `br.d`. */
  #branchBackward(br: Branch, b: number): void {
    const D = this.#head.mapDim;
    const ratio = this.#head.ratio;
    const keep = 1 - ratio;
    let t0 = performance.now();
    const d = br.d.subarray(0, b * D);
    normalizeGrad(d, br.normalized, br.norm, br.active, b, D, d);
    // Residual mix: the adapter's output gets ratio·d (gated by its ReLU), the projection
    // (1 − ratio)·d directly.
    const dAdapted = br.d2.subarray(0, b * D);
    const adapted = br.adapted;
    for (let i = 0; i < b * D; i++) {
      dAdapted[i] = adapted[i] > 0 ? d[i] * ratio : 0;
      d[i] = d[i] * keep;
    }
    this.profile.elementwise += performance.now() - t0;
    const R = br.adapterDown.outDim;
    const dHidden = br.dHidden.subarray(0, b * R);
    const h = br.projected.subarray(0, b * D);
    const hidden = br.hidden.subarray(0, b * R);
    this.#gemm(true, false, D, R, b, dAdapted, hidden, 0, br.adapterUp.dw);
    this.#gemm(false, false, b, R, D, dAdapted, br.adapterUp.w, 0, dHidden);
    t0 = performance.now();
    for (let i = 0; i < b * R; i++) if (!(hidden[i] > 0)) dHidden[i] = 0;
    this.profile.elementwise += performance.now() - t0;
    this.#gemm(true, false, R, D, b, dHidden, h, 0, br.adapterDown.dw);
    // dProjected += dHidden·A0 (beta = 1 accumulates onto the residual path's share).
    this.#gemm(false, false, b, D, R, dHidden, br.adapterDown.w, 1, d);

    const L = br.proj.length;
    for (let k = L - 1; k >= 0; k--) {
      const layer = br.proj[k];
      const mask = br.masks[k];
      if (mask && this.#masked) {
        t0 = performance.now();
        for (let i = 0; i < b * D; i++) d[i] *= mask[i];
        this.profile.elementwise += performance.now() - t0;
      }
      const input = br.inputs[k].subarray(0, b * layer.inDim);
      // Layer 0's input is the frozen CLIP feature: its gradient is never needed.
      if (k === 0) this.#linearBackward(layer, input, d, null, b);
      else {
        const dIn = br.d2.subarray(0, b * D);
        this.#linearBackward(layer, input, d, dIn, b);
        t0 = performance.now();
        // ReLU backward: the input of layer k is relu(·) of the previous layer's output.
        for (let i = 0; i < b * D; i++) d[i] = input[i] > 0 ? dIn[i] : 0;
        this.profile.elementwise += performance.now() - t0;
      }
    }
  }

  /** `y = x·Wᵀ + b`. */
  #linear(layer: Linear, x: Float32Array, y: Float32Array, b: number): void {
    if (layer.b) {
      const t0 = performance.now();
      for (let r = 0; r < b; r++) y.set(layer.b, r * layer.outDim);
      this.profile.elementwise += performance.now() - t0;
    }
    this.#gemm(false, true, b, layer.outDim, layer.inDim, x, layer.w, layer.b ? 1 : 0, y);
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
    if (layer.db) {
      const t0 = performance.now();
      const db = layer.db;
      for (let j = 0; j < outDim; j++) {
        let s = 0;
        for (let r = 0; r < b; r++) s += dy[r * outDim + j];
        db[j] = s;
      }
      this.profile.elementwise += performance.now() - t0;
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
    const t0 = performance.now();
    sgemm(transA, transB, M, N, K, A, B, beta, C);
    this.profile.gemm += performance.now() - t0;
  }

  /** Draws an inverted-dropout mask exactly as `dropoutMask` (lib/model) does. */
  #drawMask(rng: Rng, buffer: Float32Array, n: number, p: number): Float32Array {
    const t0 = performance.now();
    const keep = Math.fround(1 / (1 - p));
    const mask = buffer.subarray(0, n);
    for (let i = 0; i < n; i++) mask[i] = rng.next() < p ? 0 : keep;
    this.profile.dropout += performance.now() - t0;
    return mask;
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
    const norm = raw > EPS ? raw : EPS;
    norms[r] = norm;
    active[r] = raw > EPS ? 1 : 0;
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
