/**
 * The rules that tie the synthetic memes' labels to what can be seen and read, and the seeded
 * plan of every meme (labels, split, caption, drawing parameters) before anything is drawn.
 *
 * Every label is carried by a property a frozen encoder can pick up, so a working pipeline learns
 * all four tasks, even on the tiny random CLIP whose features are little more than random
 * projections of mean colour and of character counts:
 *
 * | task   | image                                   | caption (one word of the class) |
 * |--------|-----------------------------------------|---------------------------------|
 * | hate   | background hue family: cool 0, warm 1   | lovely/welcome · disgusting/vile |
 * | stance | shape kind and colour                   | maybe/unsure · support/proud · oppose/against |
 * | target | number of shapes = target + 1           | everyone/anybody · himself/herself · community/folks · agency/bank |
 * | humour | only the caption rendered in the band  | notice/serious · haha/lol |
 *
 * Humour is carried by the caption words alone: the image shows them only as rendered text, which
 * a random encoder barely reads, so the image-only ablation has a task it mostly cannot learn.
 * Counting shapes is hard for a random encoder too, so target leans on the caption. Benign memes
 * get a random shape count and target word, so neither leaks hate.
 *
 * @module
 */
import type { Split } from "../data/mod.ts";
import { Rng } from "../util/mod.ts";

/** The shape drawn on a meme; its kind (and colour) encodes the stance label. */
export type ShapeKind = "circle" | "square" | "triangle";

/** Everything about one synthetic meme: its CSV row and how it is drawn. */
export interface SyntheticMeme {
  /** Image file name, `img_<n>.png` with n from 1, as PrideMM names its images. */
  readonly name: string;
  /** 0 benign, 1 hateful. */
  readonly hate: 0 | 1;
  /** 0–3 for hateful memes; `null` (written `NA`) for benign ones, as in PrideMM. */
  readonly target: number | null;
  /** 0 neutral, 1 support, 2 oppose. */
  readonly stance: number;
  /** 0 no humour, 1 humour. */
  readonly humour: 0 | 1;
  /** Which split the meme belongs to. */
  readonly split: Split;
  /** The caption: lower-case words, no punctuation (PrideMM's texts are lower-case too). */
  readonly text: string;
  /** Background hue in degrees [0, 360). */
  readonly hue: number;
  /** Background saturation in [0, 1]. */
  readonly saturation: number;
  /** Background lightness in [0, 1]. */
  readonly lightness: number;
  /** Number of shapes, 1–4 (equal to target + 1 for hateful memes). */
  readonly shapeCount: number;
  /** Grid slots (0–3, row-major in a 2×2 grid) the shapes occupy. */
  readonly slots: readonly number[];
  /** Per-slot jitter of the shape centre, as a fraction of the image size, in [-1, 1]. */
  readonly jitter: readonly (readonly [number, number])[];
}

/** Background hue ranges (degrees) per hate label: cool hues benign, warm hues hateful. */
export const HATE_HUES: readonly (readonly [number, number])[] = [
  [185, 235], // cyan to blue
  [-15, 35], // red to orange (wraps below 0)
];

/** The shape kind per stance label (neutral, support, oppose). */
export const STANCE_SHAPES: readonly ShapeKind[] = ["circle", "square", "triangle"];

/** The shape fill colour per stance label: colours neither background family uses. */
export const STANCE_COLOURS: readonly string[] = ["#f0f0f0", "#ffd400", "#141414"];

/** The caption band at the bottom: the same for every meme, so it carries no label. */
export const CAPTION_BAND = { fill: "#262626", ink: "#fafafa", heightFraction: 0.3 } as const;

/**
 * Words per class for each task; one word of the meme's class appears in its caption. Two
 * synonyms per class keep a text probe strong (≈ 0.9–1.0 accuracy on the tiny CLIP) but not
 * trivially perfect, so ablations still show differences.
 */
export const TASK_WORDS: Readonly<{
  hate: readonly (readonly string[])[];
  target: readonly (readonly string[])[];
  stance: readonly (readonly string[])[];
  humour: readonly (readonly string[])[];
}> = {
  hate: [["lovely", "welcome"], ["disgusting", "vile"]],
  target: [["everyone", "anybody"], ["himself", "herself"], ["community", "folks"], [
    "agency",
    "bank",
  ]],
  stance: [["maybe", "unsure"], ["support", "proud"], ["oppose", "against"]],
  humour: [["notice", "serious"], ["haha", "lol"]],
};

/** Words that carry no label, mixed into every caption. */
export const FILLER_WORDS: readonly string[] = [
  "when",
  "you",
  "see",
  "this",
  "meme",
  "today",
  "again",
  "really",
  "just",
  "that",
  "moment",
  "so",
];

/** Fraction of humorous memes (PrideMM has 68 %). */
const HUMOUR_RATE = 0.6;

/** Sizes of the train/val/test splits for `count` memes: about 85 / 5 / 10 %. */
export function splitSizes(count: number): Record<Split, number> {
  const val = Math.round(count * 0.05);
  const test = Math.round(count * 0.1);
  return { train: count - val - test, val, test };
}

/**
 * Plans `count` memes from `seed`: labels balanced within each split (every class appears in
 * every split of a reasonable size), splits interleaved through the file as in PrideMM, and the
 * caption and drawing parameters derived from the labels. Pure and deterministic.
 */
export function planSyntheticMemes(count: number, seed: number): SyntheticMeme[] {
  if (!Number.isInteger(count) || count < 1) {
    throw new Error(`synthetic meme count must be a positive integer, got ${count}`);
  }
  const rng = new Rng(seed);
  const sizes = splitSizes(count);
  const splitOrder: Split[] = [];
  for (const split of ["train", "val", "test"] as const) {
    for (let i = 0; i < sizes[split]; i++) splitOrder.push(split);
  }
  const order = rng.fork("split-order").permutation(count);
  const splitOf = (i: number): Split => splitOrder[order[i]];

  // Labels are drawn per split from shuffled, balanced lists, independently per task.
  const labels = new Map<number, { hate: 0 | 1; target: number; stance: number; humour: 0 | 1 }>();
  for (const split of ["train", "val", "test"] as const) {
    const members = [...Array(count).keys()].filter((i) => splitOf(i) === split);
    const n = members.length;
    const lr = rng.fork(`labels-${split}`);
    const hate = balanced(n, [0.5, 0.5], lr);
    const stance = balanced(n, [1 / 3, 1 / 3, 1 / 3], lr);
    const humour = balanced(n, [1 - HUMOUR_RATE, HUMOUR_RATE], lr);
    const target = balanced(n, [0.25, 0.25, 0.25, 0.25], lr);
    // Target is balanced over the hateful memes of the split; benign ones get a random count.
    const hateful = members.filter((_, k) => hate[k] === 1);
    const hatefulTargets = balanced(hateful.length, [0.25, 0.25, 0.25, 0.25], lr);
    members.forEach((i, k) => {
      const h = hate[k] as 0 | 1;
      labels.set(i, {
        hate: h,
        target: h === 1 ? hatefulTargets[hateful.indexOf(i)] : target[k],
        stance: stance[k],
        humour: humour[k] as 0 | 1,
      });
    });
  }

  return [...Array(count).keys()].map((i) => {
    const { hate, target, stance, humour } = labels.get(i)!;
    const r = rng.fork(`meme-${i}`);
    const [lo, hi] = HATE_HUES[hate];
    const shapeCount = target + 1;
    const slots = [...r.permutation(4)].slice(0, shapeCount).sort((a, b) => a - b);
    return {
      name: `img_${i + 1}.png`,
      hate,
      target: hate === 1 ? target : null,
      stance,
      humour,
      split: splitOf(i),
      text: caption(hate, target, stance, humour, r),
      hue: (r.uniform(lo, hi) + 360) % 360,
      // Narrow saturation and lightness: background variation is the nuisance the small shape
      // signal must be read against, so it is kept to the hue that carries the hate label.
      saturation: r.uniform(0.65, 0.75),
      lightness: r.uniform(0.48, 0.52),
      shapeCount,
      slots,
      jitter: slots.map(() => [r.uniform(-1, 1), r.uniform(-1, 1)] as const),
    };
  });
}

/** The caption: one word per task plus two fillers, in a random order. */
function caption(hate: number, target: number, stance: number, humour: number, r: Rng): string {
  const pick = (words: readonly string[]) => words[r.int(words.length)];
  const words = [
    pick(TASK_WORDS.hate[hate]),
    pick(TASK_WORDS.target[target]),
    pick(TASK_WORDS.stance[stance]),
    pick(TASK_WORDS.humour[humour]),
    pick(FILLER_WORDS),
  ];
  const perm = r.permutation(words.length);
  return [...perm].map((k) => words[k]).join(" ");
}

/** `n` labels with class frequencies as close to `probs` as rounding allows, shuffled. */
function balanced(n: number, probs: readonly number[], rng: Rng): number[] {
  const out: number[] = [];
  // Largest-remainder rounding, so the counts sum to n and the smallest class is not starved.
  const exact = probs.map((p) => p * n);
  const counts = exact.map(Math.floor);
  const byRemainder = exact.map((e, c) => [e - Math.floor(e), c]).sort((a, b) => b[0] - a[0]);
  for (let k = 0; counts.reduce((a, b) => a + b, 0) < n; k++) counts[byRemainder[k][1]]++;
  counts.forEach((c, label) => {
    for (let i = 0; i < c; i++) out.push(label);
  });
  const perm = rng.permutation(n);
  return [...perm].map((k) => out[k]);
}
