/**
 * AdamW exactly as `torch.optim.AdamW` (amsgrad off), fused into one in-place pass over each
 * parameter's `Float32Array` — no tensors, no allocation per step:
 *
 * ```
 * t ← t + 1
 * θ ← θ · (1 − lr·wd)                       decoupled weight decay, on every tensor (biases too)
 * m ← β1·m + (1 − β1)·g
 * v ← β2·v + (1 − β2)·g²
 * θ ← θ − (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + ε)
 * ```
 *
 * The reference puts every trainable tensor in one parameter group with weight decay 1e-4, so
 * biases and the classifier decay too. Intermediates are float64 (torch rounds each to float32);
 * states and parameters are stored as float32, as torch stores them. Over 3.67 M parameters a step
 * takes ~15–25 ms on one core, against ~75 ms for tfjs's Adam ops.
 *
 * @module
 */

/** AdamW hyper-parameters (torch's defaults except lr and weight decay, set by the config). */
export interface AdamWOptions {
  /** Learning rate. */
  readonly lr: number;
  /** Decoupled weight decay. */
  readonly weightDecay: number;
  /** First-moment decay (default 0.9, torch's). */
  readonly beta1?: number;
  /** Second-moment decay (default 0.999, torch's). */
  readonly beta2?: number;
  /** Added to the denominator (default 1e-8, torch's). */
  readonly eps?: number;
}

/** The optimiser state of one parameter. */
export interface AdamWState {
  /** First moment (`exp_avg`). */
  readonly m: Float32Array;
  /** Second moment (`exp_avg_sq`). */
  readonly v: Float32Array;
}

/**
 * One AdamW update of `param` in place, given its gradient, its state and the step number `t`
 * (1 for the first step).
 */
export function adamwUpdate(
  param: Float32Array,
  grad: Float32Array,
  state: AdamWState,
  t: number,
  options: AdamWOptions,
): void {
  const { lr, weightDecay } = options;
  const b1 = options.beta1 ?? 0.9;
  const b2 = options.beta2 ?? 0.999;
  const eps = options.eps ?? 1e-8;
  if (grad.length !== param.length) {
    throw new Error(`adamw: gradient has ${grad.length} values, parameter ${param.length}`);
  }
  const decay = 1 - lr * weightDecay;
  const stepSize = lr / (1 - b1 ** t);
  const bc2Sqrt = Math.sqrt(1 - b2 ** t);
  const { m, v } = state;
  for (let i = 0; i < param.length; i++) {
    const g = grad[i];
    const mi = (m[i] = b1 * m[i] + (1 - b1) * g);
    const vi = (v[i] = b2 * v[i] + (1 - b2) * g * g);
    param[i] = param[i] * decay - stepSize * mi / (Math.sqrt(vi) / bc2Sqrt + eps);
  }
}

/** AdamW over a named set of parameters, all stepping together (one `t`, as torch's). */
export class AdamW {
  #t = 0;
  readonly #states = new Map<string, AdamWState>();

  /** Creates zeroed moments for every parameter in `params`. */
  constructor(
    readonly params: Readonly<Record<string, Float32Array>>,
    readonly options: AdamWOptions,
  ) {
    for (const [name, p] of Object.entries(params)) {
      this.#states.set(name, { m: new Float32Array(p.length), v: new Float32Array(p.length) });
    }
  }

  /** Steps taken so far. */
  get step(): number {
    return this.#t;
  }

  /** The moments of a parameter. */
  state(name: string): AdamWState {
    const s = this.#states.get(name);
    if (!s) throw new Error(`adamw: unknown parameter ${name}`);
    return s;
  }

  /**
   * One step: updates every parameter in place from `grads` (same names). A parameter without a
   * gradient is an error, raised before anything changes — torch would skip the parameter, but
   * here it would mean a stage forgot one.
   */
  apply(grads: Readonly<Record<string, Float32Array>>): void {
    for (const name of Object.keys(this.params)) {
      if (!grads[name]) throw new Error(`adamw: no gradient for ${name}`);
    }
    this.#t++;
    for (const [name, param] of Object.entries(this.params)) {
      adamwUpdate(param, grads[name], this.state(name), this.#t, this.options);
    }
  }
}
