/**
 * The four PrideMM tasks and their class names, spelled exactly as the reference prompts them
 * (`a photo of a {class name}.`): changing a name changes the prompt-initialised classifier.
 *
 * @module
 */

/** The name of a PrideMM classification task (also its CSV column). */
export type TaskName = "hate" | "target" | "stance" | "humour";

/** Everything the suite needs to know about one task. */
export interface TaskSpec {
  /** Task name, equal to the CSV column holding its label. */
  readonly name: TaskName;
  /** Class names in label order (label `i` is `classNames[i]`). */
  readonly classNames: readonly string[];
  /**
   * Whether only hateful memes (hate = 1) carry a label. PrideMM annotates the target of hate
   * only where there is hate; elsewhere the column holds `NA`.
   */
  readonly hatefulOnly: boolean;
  /** A human-readable title for tables and figures. */
  readonly title: string;
}

/** The four tasks, in the order the paper reports them. */
export const TASKS: Readonly<Record<TaskName, TaskSpec>> = Object.freeze({
  hate: {
    name: "hate",
    classNames: ["Benign Meme", "Harmful Meme"],
    hatefulOnly: false,
    title: "Hate speech detection",
  },
  target: {
    name: "target",
    classNames: ["No particular target", "Individual", "Community", "Organization"],
    hatefulOnly: true,
    title: "Target identification",
  },
  stance: {
    name: "stance",
    classNames: ["Neutral", "Support", "Oppose"],
    hatefulOnly: false,
    title: "Stance classification",
  },
  humour: {
    name: "humour",
    classNames: ["No Humour", "Humour"],
    hatefulOnly: false,
    title: "Humour recognition",
  },
});

/** Task names in the paper's order: hate, target, stance, humour. */
export const TASK_NAMES: readonly TaskName[] = ["hate", "target", "stance", "humour"];

/** Returns the task spec for `name`, or throws an error listing the valid names. */
export function taskSpec(name: string): TaskSpec {
  if (!(TASK_NAMES as readonly string[]).includes(name)) {
    throw new Error(`unknown task "${name}": expected one of ${TASK_NAMES.join(", ")}`);
  }
  return TASKS[name as TaskName];
}

/** The CLIP prompt for a class name, as the reference writes it (underscores become spaces). */
export function classPrompt(className: string): string {
  return `a photo of a ${className.replaceAll("_", " ")}.`;
}
