/**
 * The training loss: cross-entropy with mean reduction, as the reference's
 * `nn.CrossEntropyLoss(reduction='mean')` (no label smoothing, no class weights), and its
 * gradient. The loss is `lib/metrics`' {@linkcode crossEntropy}, the one definition; the gradient
 * `(softmax − onehot) / B` is computed here in float64 on the host: the logits of a batch are a
 * handful of numbers, and the gradient goes back as one small tensor.
 *
 * @module
 */
import { crossEntropy } from "../metrics/mod.ts";

/** Mean cross-entropy of row-major `logits` (`n × numClasses`) and its gradient. */
export function crossEntropyWithGradient(
  logits: Float32Array,
  labels: Int32Array,
  numClasses: number,
): { loss: number; dLogits: Float32Array } {
  const loss = crossEntropy(logits, labels, numClasses);
  const n = labels.length;
  const dLogits = new Float32Array(logits.length);
  for (let i = 0; i < n; i++) {
    const row = logits.subarray(i * numClasses, (i + 1) * numClasses);
    let max = -Infinity;
    for (const v of row) if (v > max) max = v;
    let sum = 0;
    for (const v of row) sum += Math.exp(v - max);
    const logSum = max + Math.log(sum);
    for (let c = 0; c < numClasses; c++) {
      dLogits[i * numClasses + c] = (Math.exp(row[c] - logSum) - (c === labels[i] ? 1 : 0)) / n;
    }
  }
  return { loss, dLogits };
}
