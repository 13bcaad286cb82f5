/**
 * The head described for a reader, read off {@linkcode headLayout} and the code itself so that a
 * change to the architecture changes the description too: the trainable parameters stage by
 * stage, the whole pipeline (frozen CLIP encoders, then the head) as a text diagram, and the
 * source of `headForward` as written.
 *
 * @module
 */
import type { HeadConfig } from "../config/mod.ts";
import { type HeadLayout, headLayout } from "./layout.ts";
import { headParamSpecs, shapeSize } from "./params.ts";
import type { LinearLayer, ParamSpec } from "./specs.ts";

/** The trainable parameters of one stage of the head. */
export interface StageParams {
  /** The stage, e.g. `image projection`, `text adapter`, `pre-output`, `classifier`. */
  readonly stage: string;
  /** Its tensors, as {@linkcode headParamSpecs} names and shapes them. */
  readonly specs: readonly ParamSpec[];
  /** Its number of scalars. */
  readonly count: number;
}

/**
 * The head's trainable parameters grouped by stage: both projections, both adapters (a branch
 * the head does not use has none), the pre-output block, the classifier. The stages are
 * {@linkcode headLayout}'s and the tensors {@linkcode headParamSpecs}'s; every tensor belongs to
 * exactly one stage, so the counts add up to `countParams`.
 */
export function headStageParams(head: HeadConfig, numClasses: number): StageParams[] {
  const layout = headLayout(head, numClasses);
  const stages: [string, readonly LinearLayer[]][] = [];
  for (const [modality, branch] of [["image", layout.image], ["text", layout.text]] as const) {
    if (branch) stages.push([`${modality} projection`, branch.projection.linears]);
  }
  for (const [modality, branch] of [["image", layout.image], ["text", layout.text]] as const) {
    if (branch) stages.push([`${modality} adapter`, [branch.adapter.down, branch.adapter.up]]);
  }
  stages.push(["pre-output", layout.preOutput.linears], ["classifier", [layout.classifier.linear]]);
  const specs = headParamSpecs(head, numClasses);
  const owner = new Map<string, string>();
  for (const [stage, linears] of stages) {
    for (const layer of linears) {
      for (const name of [layer.weight, layer.bias]) if (name !== null) owner.set(name, stage);
    }
  }
  const unowned = specs.filter((spec) => !owner.has(spec.name)).map((spec) => spec.name);
  if (unowned.length > 0) {
    throw new Error(`headStageParams: ${unowned.join(", ")} belong to no stage of the layout`);
  }
  return stages.map(([stage]) => {
    const own = specs.filter((spec) => owner.get(spec.name) === stage);
    return { stage, specs: own, count: own.reduce((s, p) => s + shapeSize(p.shape), 0) };
  });
}

/** What {@linkcode pipelineDiagram} draws beside the head. */
export interface PipelineDiagramOptions {
  /** The CLIP model in use (hub id, directory or `tiny`), named at the top. */
  readonly clipModel: string;
  /** The tasks the head is trained for, with their numbers of classes, named at the bottom. */
  readonly tasks: readonly { readonly name: string; readonly numClasses: number }[];
}

const FUSION_SIGNS = {
  product: "⊙ element-wise product",
  concat: "⧺ concatenation",
  sum: "+ sum",
} as const;

/**
 * The pipeline as a text diagram: image and text through the frozen CLIP encoders, then each
 * branch of the head (projection, adapter, residual mix, L2 normalisation), the fusion, the
 * pre-output block and the classifier, with the widths, dropouts and constants of `head` as
 * {@linkcode headLayout} gives them. The text branch mirrors the image branch with weights of its
 * own; a head without one of them (a modality ablation) is refused.
 */
export function pipelineDiagram(head: HeadConfig, options: PipelineDiagramOptions): string {
  const numClasses = options.tasks[0]?.numClasses ?? 2;
  const layout: HeadLayout = headLayout(head, numClasses);
  const branch = layout.image;
  if (!branch || !layout.text) {
    throw new Error("pipelineDiagram draws a head that uses both image and text");
  }
  const { linears, dropout } = branch.projection;
  const [first] = linears;
  const unmapped = first.inDim, mapped = first.outDim;
  const projection = linears.length === 1
    ? `Linear + Dropout ${dropout}`
    : `${linears.length} × Linear (ReLU between), Dropout ${dropout}`;
  const bottleneck = branch.adapter.down.outDim;
  const ratio = branch.ratio;
  const { preOutput, classifier, fusion } = layout;
  const right = 44; // column of the text branch
  const mid = 22; // column of the shared trunk
  const both = (image: string, text: string) => `  ${image.padEnd(right - 2)}${text}`;
  const trunk = (line: string) => `${" ".repeat(mid)}${line}`;
  const model = options.clipModel === "tiny"
    ? "tiny (the generated test model: random weights, ViT-L/14's widths)"
    : options.clipModel;
  return [
    `  CLIP model: ${model}`,
    "",
    both("image, 224×224 RGB", "text, ≤ 77 tokens"),
    both("│", "│"),
    both("CLIP image encoder (frozen)", "CLIP text encoder (frozen)"),
    both(`│ ${unmapped}`, `│ ${unmapped}`),
    both(`projection ${unmapped}→${mapped}`, "projection (own weights)"),
    both(`│ ${projection}`, "│"),
    both(`├─ adapter ${mapped}→${bottleneck}→${mapped}`, "├─ adapter (own weights)"),
    both(
      `mix ${Number((1 - ratio).toFixed(6))}·projected + ${ratio}·adapted`,
      `mix, same α = ${ratio}`,
    ),
    both("L2 normalise", "L2 normalise"),
    `  └${"─".repeat(mid - 3)}┬${"─".repeat(right - mid - 1)}┘`,
    trunk(`fusion: ${FUSION_SIGNS[fusion.kind]} → ${fusion.dim}`),
    trunk("│"),
    trunk(`Dropout ${preOutput.inputDropout}, then pre-output: ${preOutput.linears.length} ×`),
    trunk(`[Linear ${fusion.dim}→${mapped}, ReLU, Dropout ${preOutput.dropout}]`),
    trunk("│"),
    trunk(`${classifier.kind} classifier (${head.classifierInit}-initialised)`),
    trunk(
      classifier.kind === "cosine"
        ? `logits = ${classifier.scale} · cos(x, w)`
        : "logits = W·x + b",
    ),
    trunk("│"),
    trunk(options.tasks.map((t) => `${t.name} ${t.numClasses}`).join(" · ") + " classes"),
  ].join("\n");
}

/**
 * The source of `headForward` as written in `lib/model/head.ts`, its doc comment
 * included: the whole forward pass, for a notebook or a report to show.
 */
export function headForwardSource(): Promise<string> {
  return exportedFunctionSource(new URL("./head.ts", import.meta.url), "headForward");
}

/**
 * The doc comment and text of the exported function `name` in the TypeScript file at `url`, up
 * to its closing brace at the start of a line, ending with a newline.
 */
async function exportedFunctionSource(url: URL, name: string): Promise<string> {
  const source = await Deno.readTextFile(url);
  const start = source.search(new RegExp(`^export (async )?function\\*? ?${name}\\b`, "m"));
  const end = start < 0 ? -1 : source.indexOf("\n}\n", start);
  if (end < 0) throw new Error(`${url.pathname}: no exported function ${name}`);
  const doc = source.lastIndexOf("/**", start);
  const between = doc < 0 ? "" : source.slice(doc, start);
  // The doc comment counts only when nothing but whitespace follows it.
  const documented = doc >= 0 && /^\/\*\*[\s\S]*?\*\/\s*$/.test(between) &&
    between.indexOf("*/") === between.lastIndexOf("*/");
  return source.slice(documented ? doc : start, end + 3);
}
