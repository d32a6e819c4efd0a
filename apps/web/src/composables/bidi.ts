/** U+2068 FIRST STRONG ISOLATE and U+2069 POP DIRECTIONAL ISOLATE (UAX #9 §2.4). */
const FIRST_STRONG_ISOLATE = '\u2068';
const POP_DIRECTIONAL_ISOLATE = '\u2069';
/** Embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069): anything that could close or outlast the isolate. */
const EXPLICIT_FORMATTING = /[\u202a-\u202e\u2066-\u2069]/gu;

/**
 * Wraps user text (a name) that goes into a translated plain string, such as a placeholder or a
 * tooltip, where a `<bdi>` cannot go: the name then takes its direction from its own first strong
 * character and cannot reorder the words around it (W3C, "Inline markup and bidirectional text in
 * HTML": use FSI…PDI when markup is not available). Embedding, override and isolate characters
 * inside the name (only names stored before the server refused them) are dropped, so none can close
 * the isolate early or leak out of it.
 */
export function isolate(text: string): string {
  return `${FIRST_STRONG_ISOLATE}${text.replace(EXPLICIT_FORMATTING, '')}${POP_DIRECTIONAL_ISOLATE}`;
}
