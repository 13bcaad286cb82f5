/**
 * A built-in 5×7 pixel font that turns caption text into one SVG path of filled cells.
 *
 * Why not SVG `<text>`: librsvg (inside sharp) takes glyphs from the system's fontconfig, so on a
 * machine without fonts every letter becomes an empty box, and on machines with different fonts
 * the same seed would give different pixels. Drawing the glyphs as rectangles makes the captions
 * legible everywhere and the images byte-identical across machines.
 *
 * @module
 */

/** Glyph width in font cells. */
export const GLYPH_WIDTH = 5;
/** Glyph height in font cells. */
export const GLYPH_HEIGHT = 7;
/** Horizontal advance per character in cells (glyph plus one blank column). */
export const GLYPH_ADVANCE = GLYPH_WIDTH + 1;
/** Vertical advance per line in cells (glyph plus two blank rows). */
export const LINE_ADVANCE = GLYPH_HEIGHT + 2;

// Upper-case glyphs, as memes print their captions. Each string is one row, `#` = filled cell.
const GLYPHS: Readonly<Record<string, readonly string[]>> = {
  a: [".###.", "#...#", "#...#", "#####", "#...#", "#...#", "#...#"],
  b: ["####.", "#...#", "#...#", "####.", "#...#", "#...#", "####."],
  c: [".###.", "#...#", "#....", "#....", "#....", "#...#", ".###."],
  d: ["####.", "#...#", "#...#", "#...#", "#...#", "#...#", "####."],
  e: ["#####", "#....", "#....", "####.", "#....", "#....", "#####"],
  f: ["#####", "#....", "#....", "####.", "#....", "#....", "#...."],
  g: [".###.", "#...#", "#....", "#.###", "#...#", "#...#", ".####"],
  h: ["#...#", "#...#", "#...#", "#####", "#...#", "#...#", "#...#"],
  i: [".###.", "..#..", "..#..", "..#..", "..#..", "..#..", ".###."],
  j: ["..###", "...#.", "...#.", "...#.", "...#.", "#..#.", ".##.."],
  k: ["#...#", "#..#.", "#.#..", "##...", "#.#..", "#..#.", "#...#"],
  l: ["#....", "#....", "#....", "#....", "#....", "#....", "#####"],
  m: ["#...#", "##.##", "#.#.#", "#.#.#", "#...#", "#...#", "#...#"],
  n: ["#...#", "#...#", "##..#", "#.#.#", "#..##", "#...#", "#...#"],
  o: [".###.", "#...#", "#...#", "#...#", "#...#", "#...#", ".###."],
  p: ["####.", "#...#", "#...#", "####.", "#....", "#....", "#...."],
  q: [".###.", "#...#", "#...#", "#...#", "#.#.#", "#..#.", ".##.#"],
  r: ["####.", "#...#", "#...#", "####.", "#.#..", "#..#.", "#...#"],
  s: [".####", "#....", "#....", ".###.", "....#", "....#", "####."],
  t: ["#####", "..#..", "..#..", "..#..", "..#..", "..#..", "..#.."],
  u: ["#...#", "#...#", "#...#", "#...#", "#...#", "#...#", ".###."],
  v: ["#...#", "#...#", "#...#", "#...#", "#...#", ".#.#.", "..#.."],
  w: ["#...#", "#...#", "#...#", "#.#.#", "#.#.#", "#.#.#", ".#.#."],
  x: ["#...#", "#...#", ".#.#.", "..#..", ".#.#.", "#...#", "#...#"],
  y: ["#...#", "#...#", ".#.#.", "..#..", "..#..", "..#..", "..#.."],
  z: ["#####", "....#", "...#.", "..#..", ".#...", "#....", "#####"],
  "0": [".###.", "#...#", "#..##", "#.#.#", "##..#", "#...#", ".###."],
  "1": ["..#..", ".##..", "..#..", "..#..", "..#..", "..#..", ".###."],
  "2": [".###.", "#...#", "....#", "...#.", "..#..", ".#...", "#####"],
  "3": ["#####", "...#.", "..#..", "...#.", "....#", "#...#", ".###."],
  "4": ["...#.", "..##.", ".#.#.", "#..#.", "#####", "...#.", "...#."],
  "5": ["#####", "#....", "####.", "....#", "....#", "#...#", ".###."],
  "6": ["..##.", ".#...", "#....", "####.", "#...#", "#...#", ".###."],
  "7": ["#####", "....#", "...#.", "..#..", ".#...", ".#...", ".#..."],
  "8": [".###.", "#...#", "#...#", ".###.", "#...#", "#...#", ".###."],
  "9": [".###.", "#...#", "#...#", ".####", "....#", "...#.", ".##.."],
  "'": ["..#..", "..#..", ".#...", ".....", ".....", ".....", "....."],
  " ": [".....", ".....", ".....", ".....", ".....", ".....", "....."],
};

/** Whether every character of `text` has a glyph (lower-case letters, digits, `'` and space). */
export function canRender(text: string): boolean {
  for (const ch of text) if (!(ch in GLYPHS)) return false;
  return true;
}

/**
 * Greedy word wrap to at most `maxChars` characters per line. Throws when a single word is longer
 * than a line, since it could not be drawn.
 */
export function wrapWords(text: string, maxChars: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ").filter((w) => w.length > 0)) {
    if (word.length > maxChars) {
      throw new Error(`word "${word}" is longer than a caption line (${maxChars} characters)`);
    }
    if (line.length === 0) line = word;
    else if (line.length + 1 + word.length <= maxChars) line += ` ${word}`;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line.length > 0) lines.push(line);
  return lines;
}

/**
 * SVG path data drawing `lines` in the pixel font, each line centred on `centreX`, the first
 * line's top at `top`, with square cells of `cell` pixels. Horizontal runs of filled cells
 * become one rectangle each, which keeps the path short.
 */
export function textPath(
  lines: readonly string[],
  centreX: number,
  top: number,
  cell: number,
): string {
  const parts: string[] = [];
  lines.forEach((line, li) => {
    const width = (line.length * GLYPH_ADVANCE - 1) * cell;
    const left = Math.round(centreX - width / 2);
    const y0 = top + li * LINE_ADVANCE * cell;
    [...line].forEach((ch, ci) => {
      const glyph = GLYPHS[ch];
      if (!glyph) throw new Error(`no glyph for character ${JSON.stringify(ch)}`);
      const x0 = left + ci * GLYPH_ADVANCE * cell;
      glyph.forEach((row, r) => {
        for (let c = 0; c < GLYPH_WIDTH;) {
          if (row[c] !== "#") {
            c++;
            continue;
          }
          let end = c;
          while (end < GLYPH_WIDTH && row[end] === "#") end++;
          parts.push(
            `M${x0 + c * cell} ${y0 + r * cell}h${(end - c) * cell}v${cell}h${-(end - c) * cell}z`,
          );
          c = end;
        }
      });
    });
  });
  return parts.join("");
}
