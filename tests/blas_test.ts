import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/train/mod.ts";
import { REPO_ROOT } from "../lib/util/mod.ts";

let reason = "";
try {
  await initBackend("blas", { quiet: true });
} catch (e) {
  reason = (e as Error).message;
  console.log(`blas kernel tests skipped: ${reason}`);
}

/** Runs `f` on the stock cpu backend and on blas with the same inputs; returns both outputs. */
async function both(f: () => tf.Tensor): Promise<[Float32Array, Float32Array, number[]]> {
  await initBackend("cpu", { quiet: true });
  const expected = tf.tidy(f);
  const e = expected.dataSync() as Float32Array;
  expected.dispose();
  await initBackend("blas", { quiet: true });
  const actual = tf.tidy(f);
  const a = actual.dataSync() as Float32Array;
  const shape = actual.shape;
  actual.dispose();
  return [a, e, shape];
}

function close(a: Float32Array, e: Float32Array, what: string) {
  assert.equal(a.length, e.length, `${what}: length`);
  for (let i = 0; i < e.length; i++) {
    assert.ok(
      Math.abs(a[i] - e[i]) <= 1e-4 * Math.max(1, Math.abs(e[i])),
      `${what}[${i}]: ${a[i]} vs ${e[i]}`,
    );
  }
}

const t = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, "float32", seed);

Deno.test("blas matMul equals the cpu kernel in every transpose and batch variant", {
  ignore: reason !== "",
}, async () => {
  for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]]) {
    const a = ta ? [7, 5] : [5, 7];
    const b = tb ? [3, 7] : [7, 3];
    const [x, y, shape] = await both(() => tf.matMul(t(a, 1), t(b, 2), ta, tb));
    assert.deepEqual(shape, [5, 3]);
    close(x, y, `matMul transposeA=${ta} transposeB=${tb}`);
    // Batched, with the second operand broadcast over the batch.
    const [bx, by, bshape] = await both(() => tf.matMul(t([4, ...a], 3), t([1, ...b], 4), ta, tb));
    assert.deepEqual(bshape, [4, 5, 3]);
    close(bx, by, `batched transposeA=${ta} transposeB=${tb}`);
  }
  // Empty inner dimension: zeros.
  const [zx, , zshape] = await both(() => tf.matMul(tf.zeros([2, 0]), tf.zeros([0, 3])));
  assert.deepEqual(zshape, [2, 3]);
  assert.deepEqual([...zx], [0, 0, 0, 0, 0, 0]);
});

Deno.test("blas fused matMul: row bias, broadcast bias and activations", {
  ignore: reason !== "",
}, async () => {
  const cases: [string, () => tf.Tensor][] = [
    [
      "row bias + relu",
      () =>
        tf.fused.matMul({
          a: t([6, 4], 1),
          b: t([5, 4], 2),
          transposeB: true,
          bias: t([5], 3),
          activation: "relu",
        }),
    ],
    [
      "column bias (Add fallback)",
      () => tf.fused.matMul({ a: t([6, 4], 1), b: t([4, 5], 2), bias: t([6, 1], 3) }),
    ],
    ["elu", () => tf.fused.matMul({ a: t([3, 4], 1), b: t([4, 2], 2), activation: "elu" })],
    [
      "leakyrelu",
      () =>
        tf.fused.matMul({
          a: t([3, 4], 1),
          b: t([4, 2], 2),
          activation: "leakyrelu",
          leakyreluAlpha: 0.3,
        }),
    ],
    [
      "prelu",
      () =>
        tf.fused.matMul({
          a: t([3, 4], 1),
          b: t([4, 2], 2),
          activation: "prelu",
          preluActivationWeights: t([2], 5),
        }),
    ],
    [
      "sigmoid, transposeA",
      () =>
        tf.fused.matMul({
          a: t([4, 3], 1),
          b: t([4, 2], 2),
          transposeA: true,
          activation: "sigmoid",
        }),
    ],
  ];
  for (const [name, f] of cases) {
    const [x, y] = await both(f);
    close(x, y, name);
  }
});

Deno.test("blas element-wise kernels equal the cpu ones, broadcasting included", {
  ignore: reason !== "",
}, async () => {
  const shapes: [number[], number[]][] = [
    [[4, 6], [4, 6]],
    [[4, 6], [6]],
    [[4, 6], [1, 6]],
    [[4, 6], [4, 1]],
    [[4, 1], [4, 6]],
    [[4, 6], []],
    [[2, 3, 4], [2, 3, 4]],
    [[2, 3, 4], [4]], // rank 3 with broadcasting: handed to the cpu kernel
  ];
  const ops: [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor][] = [
    ["add", tf.add],
    ["sub", tf.sub],
    ["mul", tf.mul],
    ["div", (a, b) => tf.div(a, tf.add(tf.abs(b), 0.5))],
  ];
  for (const [sa, sb] of shapes) {
    for (const [name, op] of ops) {
      const [x, y, shape] = await both(() => op(t(sa, 1), t(sb, 2)));
      assert.deepEqual(shape, tf.backend_util.assertAndGetBroadcastShape(sa, sb));
      close(x, y, `${name} [${sa}] ∘ [${sb}]`);
    }
  }
  // Integer tensors keep the cpu kernel (and their dtype).
  await initBackend("blas", { quiet: true });
  const ints = tf.add(tf.tensor1d([1, 2], "int32"), tf.tensor1d([3, 4], "int32"));
  assert.equal(ints.dtype, "int32");
  assert.deepEqual([...ints.dataSync()], [4, 6]);
  ints.dispose();
});

Deno.test("the blas backend names OpenBLAS's kernels, which OPENBLAS_CORETYPE overrides", {
  ignore: reason !== "",
}, async () => {
  const kernels = async (env: Record<string, string>) => {
    const code = 'import { describeBackend } from "./lib/train/mod.ts"; ' +
      'console.log(describeBackend("blas"));';
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", code],
      cwd: new URL("..", import.meta.url).pathname,
      env: { ...env, NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout).trim();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    return text.match(/, (\w+) kernels, \d+ threads?\)$/)?.[1];
  };
  const chosen = await kernels({});
  assert.ok(chosen && chosen !== "unknown", `kernels: ${chosen}`);
  // A dynamic-architecture build (Debian's, Homebrew's) takes the override; others ignore it.
  const forced = await kernels({ OPENBLAS_CORETYPE: "Sandybridge" });
  assert.ok(forced === "Sandybridge" || forced === chosen, `forced: ${forced}`);
});

Deno.test("a generic-kernel fallback on an AVX2 CPU is named, with how to choose faster kernels", async () => {
  const flags = (await Deno.readTextFile("/proc/cpuinfo").catch(() => "")).match(
    /^flags\s*:(.*)$/m,
  )?.[1] ?? "";
  const avx2 = /\bavx2\b/.test(flags) && /\bfma\b/.test(flags);
  const noteWith = async (coreType: string) => {
    const code = `import { blasKernelNote } from "${REPO_ROOT}/lib/train/mod.ts";\n` +
      "console.log(JSON.stringify(blasKernelNote()));";
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", code],
      env: { OPENBLAS_CORETYPE: coreType },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    return JSON.parse(new TextDecoder().decode(out.stdout).trim()) as string | null;
  };
  // OPENBLAS_CORETYPE forces the kernels OpenBLAS would otherwise pick for an unknown CPU.
  const prescott = await noteWith("Prescott");
  if (avx2 && Deno.build.os === "linux") {
    assert.match(prescott ?? "", /generic Prescott kernels.*OPENBLAS_CORETYPE=Haswell/);
    assert.equal(await noteWith("Haswell"), null);
  } else {
    assert.equal(prescott, null, "no AVX2 here: Prescott is the right choice");
  }
});
