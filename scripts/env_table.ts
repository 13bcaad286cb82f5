/**
 * Writes the README's table of `MEMESENSE_*` variables from `lib/config/settings.ts`
 * (`environmentTable()`: the defaults come from the constants the resolvers use), between the
 * README's `environment-table` markers, formatted as `deno fmt` formats it.
 *
 *   deno task docs:env           rewrite the table in README.md
 *   deno task docs:env --check   exit status 1 when README.md's table is not the generated one
 *
 * @module
 */
import { environmentTable, parseFlagsOrExit } from "../lib/config/mod.ts";
import { REPO_ROOT, writeFileAtomic } from "../lib/util/mod.ts";

/** The README the table is written into. */
export const README = `${REPO_ROOT}/README.md`;

/** The markers around the generated table (HTML comments: invisible once rendered). */
export const TABLE_MARKERS = {
  begin:
    "<!-- environment-table: generated from lib/config/settings.ts by `deno task docs:env` -->",
  end: "<!-- /environment-table -->",
} as const;

/** `readme` with the text between the markers replaced by the generated table (unformatted). */
export function withGeneratedTable(readme: string, table: string = environmentTable()): string {
  const begin = readme.indexOf(TABLE_MARKERS.begin);
  const end = readme.indexOf(TABLE_MARKERS.end);
  if (begin < 0 || end < begin) {
    throw new Error(`README.md lacks the markers ${TABLE_MARKERS.begin} … ${TABLE_MARKERS.end}`);
  }
  return `${readme.slice(0, begin + TABLE_MARKERS.begin.length)}\n\n${table}\n\n${
    readme.slice(end)
  }`;
}

/** Markdown as `deno fmt` (the repository's settings) formats it. */
export async function formatMarkdown(text: string): Promise<string> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--ext", "md", "-"],
    cwd: REPO_ROOT,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
  const out = await child.output();
  if (!out.success) throw new Error(`deno fmt: ${new TextDecoder().decode(out.stderr)}`);
  return new TextDecoder().decode(out.stdout);
}

/** The README as it should be: its table generated, the whole formatted. */
export async function generatedReadme(readme: string): Promise<string> {
  return await formatMarkdown(withGeneratedTable(readme));
}

if (import.meta.main) {
  const flags = parseFlagsOrExit(Deno.args, [
    { name: "check", type: "boolean", help: "only check that README.md's table is current" },
    { name: "help", type: "boolean", help: "show this help" },
  ], "deno task docs:env [--check]");
  const current = await Deno.readTextFile(README);
  const generated = await generatedReadme(current);
  if (flags.check) {
    if (generated !== current) {
      console.error("README.md: the table of environment variables is stale: deno task docs:env");
      Deno.exit(1);
    }
    console.log("README.md: the table of environment variables is current");
  } else if (generated !== current) {
    await writeFileAtomic(README, generated);
    console.log("README.md: the table of environment variables rewritten");
  } else {
    console.log("README.md: the table of environment variables is current");
  }
}
