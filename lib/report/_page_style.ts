/**
 * The style the report's page and a notebook's cards share: the page's colours and the meme
 * cards' rules.
 *
 * @module
 */

/** The page's colours, as CSS custom properties (`--fg`, `--muted`, `--line`, `--bg`, …). */
export const PAGE_COLOURS = `--fg: #1d2329; --muted: #5b6670; --line: #dde2e6; --bg: #ffffff;
  --accent: #0072B2; --stripe: #f6f8fa;`;

/** The meme cards' style sheet (`.meme-grid`, `.meme-card`), in the page's colours. */
export const MEME_CARD_CSS =
  `.meme-grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(180px, 1fr));
  gap: 12px; }
.meme-card { margin: 0; border: 1px solid var(--line); border-radius: 6px; padding: 8px;
  font-size: 12px; line-height: 1.4; background: var(--bg); }
.meme-card img, .meme-card .no-thumb { display: block; max-width: 160px; max-height: 160px;
  margin: 0 auto 6px; }
.meme-card .no-thumb { width: 160px; height: 90px; background: var(--stripe); color: var(--muted);
  display: flex; align-items: center; justify-content: center; }
.meme-card p { margin: 0 0 4px; }
.meme-card .meme-text { color: var(--fg); overflow-wrap: anywhere; }
.meme-card .meme-text.none, .meme-card .meme-name { color: var(--muted); }`;
