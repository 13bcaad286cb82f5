/**
 * Cross-entropy with mean reduction, as the reference's `nn.CrossEntropyLoss(reduction='mean')`:
 * no label smoothing, no class weights. Computed in float64 on the host: the logits of a batch are
 * a handful of numbers, and the gradient `(softmax − onehot) / B` goes back as one small tensor.
 *
 * @module
 */

/** Mean cross-entropy of row-major `logits` (`n × numClasses`) and its gradient. */
export function crossEntropy(
  logits: Float32Array,
  labels: Int32Array,
  numClasses: number,
): { loss: number; dLogits: Float32Array } {
  const n = labels.length;
  if (logits.length !== n * numClasses) {
    throw new Error(
      `crossEntropy: ${logits.length} logits for ${n} labels × ${numClasses} classes`,
    );
  }
  const dLogits = new Float32Array(logits.length);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const row = logits.subarray(i * numClasses, (i + 1) * numClasses);
    let max = -Infinity;
    for (const v of row) if (v > max) max = v;
    let sum = 0;
    for (const v of row) sum += Math.exp(v - max);
    const logSum = max + Math.log(sum);
    total += logSum - row[labels[i]];
    for (let c = 0; c < numClasses; c++) {
      dLogits[i * numClasses + c] = (Math.exp(row[c] - logSum) - (c === labels[i] ? 1 : 0)) / n;
    }
  }
  return { loss: total / n, dLogits };
}
