/**
 * The two onnxruntime sessions of a CLIP model (text and vision towers), on CUDA when asked and
 * available, else on the CPU, and the check that their graphs are CLIP exports.
 *
 * @module
 */
import {
  CLIPTextModelWithProjection,
  CLIPVisionModelWithProjection,
} from "@huggingface/transformers";
import type { ClipDevice } from "../config/mod.ts";
import { LAYOUT_HELP } from "./_model_files.ts";

/** An onnxruntime output tensor, as far as the encoders read it. */
export interface OrtTensor {
  readonly data: Float32Array;
  readonly dims: readonly number[];
}

/** An onnxruntime inference session, as far as the encoders use it. */
export interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(
    feeds: Record<string, unknown>,
    fetches?: readonly string[],
  ): Promise<Record<string, OrtTensor>>;
}

/** A transformers.js model: its session, its `config.json`, and its release. */
export interface LoadedModel {
  readonly sessions: Record<string, OrtSession>;
  readonly config: Record<string, unknown>;
  dispose(): Promise<unknown>;
}

/** Both towers of a model, and where they run. */
export interface ClipSessions {
  readonly text: LoadedModel;
  readonly vision: LoadedModel;
  readonly device: "cpu" | "cuda";
}

/** How {@linkcode loadSessions} loads the towers. */
export interface SessionOptions {
  /** `cpu`, or `cuda`/`auto` to try CUDA first. */
  readonly device: ClipDevice;
  /** onnxruntime intra-op threads (default: onnxruntime's choice). */
  readonly threads?: number;
  /** Where the CUDA fallback is said. */
  readonly log: (line: string) => void;
  /** Called with the error when the CPU sessions cannot be loaded. */
  readonly fail: (e: unknown) => never;
}

/**
 * Loads the text and vision towers of the model at `location` in fp32. A device other than
 * `cpu` tries CUDA first and falls back to the CPU, saying why in the log.
 */
export async function loadSessions(
  location: string,
  opts: SessionOptions,
): Promise<ClipSessions> {
  const load = async (device: "cpu" | "cuda") => {
    const options = {
      dtype: "fp32" as const,
      device,
      session_options: {
        ...(opts.threads ? { intraOpNumThreads: opts.threads } : {}),
        interOpNumThreads: 1,
      },
    };
    const text = await CLIPTextModelWithProjection.from_pretrained(location, options);
    try {
      const vision = await CLIPVisionModelWithProjection.from_pretrained(location, options);
      return { text: text as unknown as LoadedModel, vision: vision as unknown as LoadedModel };
    } catch (e) {
      await text.dispose();
      throw e;
    }
  };
  if (opts.device !== "cpu") {
    try {
      return { ...(await load("cuda")), device: "cuda" };
    } catch (e) {
      const why = ((e as Error).message ?? String(e)).split("\n")[0];
      opts.log(
        `clip: CUDA unavailable (${why}); falling back to CPU. onnxruntime-node's CUDA 12 ` +
          `provider is not part of its npm package: install it with ONNXRUNTIME_NODE_INSTALL=cuda12 ` +
          `in a node_modules setup where lifecycle scripts run.`,
      );
    }
  }
  return { ...(await load("cpu").catch(opts.fail)), device: "cpu" };
}

/**
 * Checks that both graphs have the inputs and outputs of a CLIP export (`where` names the model
 * in the error); on failure releases both sessions before throwing.
 */
export async function checkGraphs(sessions: ClipSessions, where: string): Promise<void> {
  const { text, vision } = sessions;
  for (
    const [session, file, input, outputs] of [
      [text.sessions.model, "onnx/text_model.onnx", "input_ids", [
        "text_embeds",
        "last_hidden_state",
      ]],
      [vision.sessions.model, "onnx/vision_model.onnx", "pixel_values", ["image_embeds"]],
    ] as const
  ) {
    const missing = [...outputs].filter((o) => !session.outputNames.includes(o));
    if (!session.inputNames.includes(input) || missing.length > 0) {
      await text.dispose();
      await vision.dispose();
      throw new Error(
        `${where}: ${file} has inputs [${session.inputNames}] and outputs [${session.outputNames}]; ` +
          `a CLIP export needs input ${input} and outputs ${outputs.join(", ")}. ${LAYOUT_HELP}`,
      );
    }
  }
}
