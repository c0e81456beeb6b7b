// Makes untrusted log text safe for Slack: no markup, mentions or links from a log line; lengths cut with a note.

/** Slack's Block Kit limits that firewatch's messages must respect (api.slack.com/reference/block-kit). */
export const SLACK_LIMITS = {
  blocks: 50,
  sectionText: 3000,
  sectionField: 2000,
  sectionFields: 10,
  headerText: 150,
  buttonText: 75,
  buttonValue: 2000,
  actionId: 255,
  blockId: 255,
  actionsElements: 25,
  contextElements: 10,
  /** Top-level `text` of chat.postMessage: Slack truncates past 40 000; we stay well below. */
  messageText: 4000,
} as const;

const ENTITIES: Readonly<Record<string, string>> = { "&": "&amp;", "<": "&lt;", ">": "&gt;" };
// U+2060 WORD JOINER: invisible, and it breaks the words Slack turns into notifications even without angle brackets.
const WJ = "\u2060";
const BROADCAST = /@(here|channel|everyone)\b/gi;

/**
 * Escapes text for a mrkdwn text object: `&`, `<`, `>` become entities (so `<!channel>`, `<@U1>`, `<http://x|y>` stay
 * text), and `@here`/`@channel`/`@everyone` get a word joiner. Text objects holding it must also set `verbatim: true`
 * so Slack does not turn bare URLs or #channel names into links.
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/[&<>]/g, (c) => ENTITIES[c] ?? c).replace(BROADCAST, (_m, word: string) => `@${WJ}${word}`);
}

/** Escapes and also neutralises mrkdwn formatting characters, for log text shown inline (not in a code block). */
export function escapeMrkdwnInline(text: string): string {
  return escapeMrkdwn(text.replace(/[\r\n\u2028\u2029]+/g, " ")).replace(/[*_~`]/g, (c) => `${c}${WJ}`);
}

/**
 * Log text as a mrkdwn code block of at most `max` characters, fences included: escaped, runs of backticks broken by a
 * word joiner (log text cannot close the block early), then cut with a note, then fenced (the cut never eats a fence).
 */
export function codeBlockMrkdwn(text: string, max: number): string {
  let body = escapeMrkdwn(text.replace(/\r\n?/g, "\n")).replace(/`(?=`)/g, `\`${WJ}`);
  if (body.endsWith("`")) body += WJ;
  if (body.startsWith("`")) body = WJ + body;
  return "```" + truncate(body, Math.max(0, max - 6), (n) => `\n… (${n} more characters truncated)`) + "```";
}

/**
 * Cuts `text` to at most `max` UTF-16 code units, ending with a note saying how much was left out. Never cuts inside
 * an entity (`&amp;`) or a surrogate pair, so what remains is still valid escaped text.
 */
export function truncate(text: string, max: number, note: (omitted: number) => string = (n) => `… (${n} more characters truncated)`): string {
  if (text.length <= max) return text;
  // No room for the note: a bare cut (still never inside an entity or a surrogate pair).
  const room = max - note(text.length).length;
  if (room < 0) return truncate(text, max, () => "");
  let keep = room;
  const entityStart = text.lastIndexOf("&", keep);
  if (entityStart >= 0 && entityStart > keep - 6 && text.indexOf(";", entityStart) >= keep) keep = entityStart;
  const code = text.charCodeAt(keep - 1);
  if (code >= 0xd800 && code <= 0xdbff) keep -= 1;
  return text.slice(0, keep) + note(text.length - keep);
}

/** Plain text (header, button label) cut to `max` with an ellipsis, never splitting a surrogate pair. */
export function truncatePlain(text: string, max: number): string {
  const flat = text.replace(/[\r\n\u2028\u2029]+/g, " ");
  if (flat.length <= max) return flat;
  let keep = max - 1;
  const code = flat.charCodeAt(keep - 1);
  if (code >= 0xd800 && code <= 0xdbff) keep -= 1;
  return flat.slice(0, keep) + "…";
}
