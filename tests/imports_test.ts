/**
 * The import graph of `lib/`: every file's imports, re-exports and literal dynamic imports of
 * other `lib/` files, type-only ones included, read from the source. No file may reach itself
 * through them: a cycle means two files that can only be understood, changed and tested together.
 */
import assert from "node:assert/strict";
import { REPO_ROOT } from "../lib/util/mod.ts";

/**
 * `source` with comments and template literals blanked (newlines kept), so that an `import` in a
 * JSDoc example or in generated code is not taken for one. Quoted strings and regular expression
 * literals are skipped whole, so a `//` or a quote inside them starts nothing.
 */
function codeOnly(source: string): string {
  const out = source.split("");
  const blank = (from: number, to: number) => {
    for (let k = from; k < to; k++) if (out[k] !== "\n") out[k] = " ";
  };
  /** Index just past the string, template or regex literal opening at `i`. */
  const skipQuoted = (i: number, quote: string): number => {
    let j = i + 1;
    while (j < source.length && source[j] !== quote) {
      if (source[j] === "\\") j++;
      else if (quote === "/" && source[j] === "[") {
        // A character class may hold an unescaped "/".
        while (j < source.length && source[j] !== "]") j += source[j] === "\\" ? 2 : 1;
      } else if (quote === "`" && source[j] === "$" && source[j + 1] === "{") {
        j = skipBraces(j + 1);
        continue;
      }
      j++;
    }
    return j + 1;
  };
  /** Index just past the `}` that closes the `{` at `i` (code inside a template's `${…}`). */
  const skipBraces = (i: number): number => {
    let depth = 0;
    let j = i;
    while (j < source.length) {
      const c = source[j];
      if (c === "{") depth++;
      else if (c === "}" && --depth === 0) return j + 1;
      else if (c === '"' || c === "'" || c === "`") {
        j = skipQuoted(j, c);
        continue;
      }
      j++;
    }
    return j;
  };
  let i = 0;
  let previous = ""; // the last significant character, to tell a regex literal from a division
  while (i < source.length) {
    const c = source[i];
    const next = source[i + 1];
    if (c === "/" && next === "/") {
      const end = source.indexOf("\n", i);
      const to = end < 0 ? source.length : end;
      blank(i, to);
      i = to;
    } else if (c === "/" && next === "*") {
      const end = source.indexOf("*/", i + 2);
      const to = end < 0 ? source.length : end + 2;
      blank(i, to);
      i = to;
    } else if (c === '"' || c === "'") {
      i = skipQuoted(i, c);
      previous = c;
    } else if (c === "`") {
      const to = skipQuoted(i, c);
      blank(i, to);
      i = to;
      previous = c;
    } else if (c === "/" && (previous === "" || "(,=:[!&|?{};+-*%<>~^".includes(previous))) {
      i = skipQuoted(i, "/");
      previous = "/";
    } else {
      if (!/\s/.test(c)) previous = /[\w$)\]]/.test(c) ? "a" : c;
      i++;
    }
  }
  return out.join("");
}

/** The specifiers a file imports: static imports, `export … from`, literal `import("…")`. */
function importSpecifiers(source: string): string[] {
  const code = codeOnly(source);
  const specifiers: string[] = [];
  const statement =
    /(?:^|[;}\s])(?:import|export)\s+(?:type\s+)?(?:[\w*${},\s]+?\s+from\s*)?["']([^"']+)["']/g;
  for (const m of code.matchAll(statement)) specifiers.push(m[1]);
  for (const m of code.matchAll(/\bimport\s*\(\s*["']([^"']+)["']/g)) specifiers.push(m[1]);
  return specifiers;
}

/** Every `.ts` file under `dir` (relative to the repository root), sorted. */
function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of Deno.readDirSync(`${REPO_ROOT}/${dir}`)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) out.push(...tsFiles(path));
    else if (entry.isFile && entry.name.endsWith(".ts")) out.push(path);
  }
  return out.sort();
}

/** `lib/` file → the `lib/` files it imports. */
function libImportGraph(root = REPO_ROOT): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of tsFiles("lib")) {
    const source = Deno.readTextFileSync(`${root}/${file}`);
    const targets = new Set<string>();
    for (const specifier of importSpecifiers(source)) {
      if (!specifier.startsWith(".")) continue; // npm packages, node: builtins, the import map
      const url = new URL(specifier, `file:///${file}`);
      const target = decodeURIComponent(url.pathname.slice(1));
      if (target.startsWith("lib/")) targets.add(target);
    }
    graph.set(file, [...targets].sort());
  }
  return graph;
}

/** One import cycle: the files that reach each other, and one closed path through them. */
interface ImportCycle {
  /** Every file of the strongly connected set, sorted. */
  readonly files: string[];
  /** From the first file back to it, breadth-first: the shortest such path. */
  readonly path: string[];
}

/**
 * The import cycles of a graph: its strongly connected sets of more than one file (or a file
 * importing itself), sorted by their first file.
 */
function importCycles(graph: Map<string, string[]>): ImportCycle[] {
  // Tarjan's algorithm.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) components.push(component);
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return components.map((component) => {
    const files = [...component].sort();
    return { files, path: closedPath(graph, files) };
  }).sort((a, b) => a.files[0].localeCompare(b.files[0]));
}

/** The shortest path from the first of `files` back to it, inside `files`. */
function closedPath(graph: Map<string, string[]>, files: string[]): string[] {
  const inside = new Set(files);
  const start = files[0];
  const parent = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (w === start) {
        const path = [v];
        while (path[0] !== start) path.unshift(parent.get(path[0])!);
        return [...path, start];
      }
      if (inside.has(w) && !parent.has(w)) {
        parent.set(w, v);
        queue.push(w);
      }
    }
  }
  throw new Error(`no path from ${start} back to itself`);
}

Deno.test("no import cycle among lib/ files", () => {
  const graph = libImportGraph();
  assert.ok(graph.size >= 100, `only ${graph.size} lib/ files found`);
  const cycles = importCycles(graph);
  assert.deepEqual(
    cycles.map((c) => `${c.path.join(" → ")} (the cycle's files: ${c.files.join(", ")})`),
    [],
    `${cycles.length} import cycle(s) among lib/ files`,
  );
});

Deno.test("import parsing: statements, re-exports, type-only and dynamic imports; not comments", () => {
  const source = [
    `/**`,
    ` * import { nope } from "./in_a_doc_comment.ts";`,
    ` */`,
    `import * as tf from "@tensorflow/tfjs";`,
    `import {`,
    `  a,`,
    `  type B,`,
    `} from "./multi_line.ts";`,
    `import type { C } from "../config/mod.ts";`,
    `export { d } from "./re_export.ts";`,
    `export type { E } from './single_quoted.ts';`,
    `import "./side_effect.ts";`,
    `// import { f } from "./line_comment.ts";`,
    'const code = `import { g } from "./in_a_template.ts";`;',
    `const re = /"|'/g; const s = "// not a comment"; const path = "lib/*/mod.ts";`,
    `const later = await import("../model/mod.ts");`,
    `const computed = await import(specifier);`,
  ].join("\n");
  assert.deepEqual(importSpecifiers(source), [
    "@tensorflow/tfjs",
    "./multi_line.ts",
    "../config/mod.ts",
    "./re_export.ts",
    "./single_quoted.ts",
    "./side_effect.ts",
    "../model/mod.ts",
  ]);
});

Deno.test("import cycles: every strongly connected set of files, as a closed path", () => {
  const graph = new Map(Object.entries({
    "a.ts": ["b.ts", "i.ts"],
    "b.ts": ["c.ts", "d.ts"],
    "i.ts": ["a.ts"],
    "c.ts": ["a.ts"],
    "d.ts": ["e.ts"],
    "e.ts": [],
    "f.ts": ["f.ts"],
    "g.ts": ["h.ts"],
    "h.ts": ["g.ts", "e.ts"],
  }));
  assert.deepEqual(importCycles(graph), [
    { files: ["a.ts", "b.ts", "c.ts", "i.ts"], path: ["a.ts", "i.ts", "a.ts"] },
    { files: ["f.ts"], path: ["f.ts", "f.ts"] },
    { files: ["g.ts", "h.ts"], path: ["g.ts", "h.ts", "g.ts"] },
  ]);
  graph.set("c.ts", ["e.ts"]);
  graph.set("i.ts", []);
  graph.set("f.ts", []);
  graph.set("h.ts", ["e.ts"]);
  assert.deepEqual(importCycles(graph), []);
});

Deno.test("the lib/ import graph holds the edges the source has", () => {
  const graph = libImportGraph();
  // A static import, a type-only import and a dynamic import, each checked by hand.
  assert.ok(graph.get("lib/model/params.ts")!.includes("lib/model/layout.ts"));
  assert.ok(graph.get("lib/model/head.ts")!.includes("lib/model/specs.ts"));
  assert.ok(graph.get("lib/experiment/experiment.ts")!.includes("lib/model/mod.ts"));
  assert.deepEqual(graph.get("lib/model/specs.ts"), []);
});

/**
 * The modules of `lib/` from the bottom layer up, as the README's layout draws them: a file may
 * import its own module and the modules of lower layers, never one of its own layer or above.
 */
const LIB_LAYERS: readonly (readonly string[])[] = [
  ["util"],
  ["config", "metrics", "cluster", "tensorboard"],
  ["data", "model"],
  ["clip", "synthetic", "fetch", "train", "report"],
  ["features"],
  ["run"],
  ["analysis"],
  ["outputs"],
  ["experiment"],
];

/** The imports of `lib/` files that do not run downward, as `file → imported file`. */
function upwardImports(graph: Map<string, string[]>): string[] {
  const layer = new Map(LIB_LAYERS.flatMap((mods, i) => mods.map((m) => [m, i] as const)));
  const moduleOf = (file: string) => file.split("/")[1];
  const out: string[] = [];
  for (const [file, targets] of graph) {
    for (const target of targets) {
      const from = moduleOf(file), to = moduleOf(target);
      if (from !== to && !(layer.get(to)! < layer.get(from)!)) out.push(`${file} → ${target}`);
    }
  }
  return out.sort();
}

Deno.test("lib/ is layered: every import runs down the layers of the README's layout", () => {
  const modules = [...Deno.readDirSync(`${REPO_ROOT}/lib`)].filter((e) => e.isDirectory)
    .map((e) => e.name).sort();
  assert.deepEqual([...LIB_LAYERS.flat()].sort(), modules, "every module has its layer");
  assert.deepEqual(upwardImports(libImportGraph()), []);
  // The check itself: an import of a higher layer, and one of the same layer, are both found.
  const graph = new Map([
    ["lib/run/a.ts", ["lib/analysis/mod.ts", "lib/run/b.ts", "lib/util/mod.ts"]],
    ["lib/data/c.ts", ["lib/model/mod.ts"]],
  ]);
  assert.deepEqual(upwardImports(graph), [
    "lib/data/c.ts → lib/model/mod.ts",
    "lib/run/a.ts → lib/analysis/mod.ts",
  ]);
});

Deno.test("the README's layout names every lib/ module in its layer, and every script", async () => {
  const readme = await Deno.readTextFile(`${REPO_ROOT}/README.md`);
  const layout = readme.slice(
    readme.indexOf("## Layout"),
    readme.indexOf("\n## ", 10 + readme.indexOf("## Layout")),
  );
  for (const [i, mods] of LIB_LAYERS.entries()) {
    for (const m of mods) {
      assert.match(layout, new RegExp(`^ {2}${m}/ `, "m"), `lib/${m}/ in the layout`);
    }
    assert.match(layout, new RegExp(`^ {4}layer ${i}: ${mods.join(", ")}$`, "m"), `layer ${i}`);
  }
  for (const e of Deno.readDirSync(`${REPO_ROOT}/experiments`)) {
    if (!e.name.endsWith(".ts")) continue;
    assert.ok(layout.includes(e.name.replace(/\.ts$/, "")), `experiments/${e.name} in the layout`);
  }
});

Deno.test("nothing outside tests/ imports from it: not bench/, scripts/, experiments/ or lib/", () => {
  const found: string[] = [];
  for (const dir of ["bench", "scripts", "experiments", "lib"]) {
    for (const file of tsFiles(dir)) {
      for (const specifier of importSpecifiers(Deno.readTextFileSync(`${REPO_ROOT}/${file}`))) {
        if (/(^|\/)tests\//.test(specifier)) found.push(`${file}: ${specifier}`);
      }
    }
  }
  assert.deepEqual(found, []);
});
