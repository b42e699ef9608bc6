// The grammar of every string a model file may carry into generated C: header names, C identifiers,
// shape expressions and the model's name. A model file is data: these rules make it impossible for a
// name to become a path outside the build folder, a preprocessor line, a string break or code.

/** Longest name accepted (C99 5.2.4.1 guarantees 63 significant initial characters). */
export const MAX_NAME_LENGTH = 64;

/** A model header: a plain file name ending in .h (no separator, no dot-dot, no leading dot). */
export const HEADER_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}\.h$/;

/** A C identifier (C99 6.4.2.1), at most 64 characters. */
export const C_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/**
 * The model's name: it is written into a `//` comment and a string literal of model.h, so no newline,
 * quote, backslash or other control character can occur.
 */
export const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9 ._+-]{0,63}$/;

/** C99 6.4.1 keywords (and C11's), which can be neither macro names nor identifiers of a model. */
const C_KEYWORDS = new Set([
  'auto',
  'break',
  'case',
  'char',
  'const',
  'continue',
  'default',
  'do',
  'double',
  'else',
  'enum',
  'extern',
  'float',
  'for',
  'goto',
  'if',
  'inline',
  'int',
  'long',
  'register',
  'restrict',
  'return',
  'short',
  'signed',
  'sizeof',
  'static',
  'struct',
  'switch',
  'typedef',
  'union',
  'unsigned',
  'void',
  'volatile',
  'while',
  'asm',
  'defined',
]);

/**
 * Why `name` cannot name a define, array, scalar, struct or buffer of a model, or null when it can.
 * Reserved: C keywords, identifiers reserved for the implementation (C99 7.1.3: a leading `__` or `_`
 * and an upper-case letter), and m4sim's own prefix (M4SIM_ macros, m4sim_ symbols of the firmware ABI).
 */
export function identifierProblem(name: string): string | null {
  if (!C_IDENTIFIER.test(name)) return 'expected a C identifier of at most 64 letters, digits and _';
  if (C_KEYWORDS.has(name)) return 'a C keyword';
  if (/^(__|_[A-Z])/.test(name)) return 'a name reserved for the C implementation (__ or _ and a capital)';
  if (/^m4sim_/i.test(name)) return "a name reserved for m4sim's own (M4SIM_ / m4sim_ prefix)";
  return null;
}

/**
 * A shape expression: integer literals and identifiers joined by `*` (the form EdgeML's headers use,
 * e.g. `1 * 1 * 1 * L1_CIN * L1_CTEMP`). Its identifiers must be defines; the caller checks that.
 */
export const SHAPE_EXPR =
  /^ *(?:[0-9]{1,9}|[A-Za-z_][A-Za-z0-9_]{0,63})(?: *\* *(?:[0-9]{1,9}|[A-Za-z_][A-Za-z0-9_]{0,63}))* *$/;
export const MAX_SHAPE_EXPR_LENGTH = 256;

/**
 * A value quoted for a one-line message: a string as JSON (a newline or quote escaped) cut to `max`
 * characters, so an error never echoes much of the file; lists and objects by kind only (stringifying
 * a deeply nested one would overflow the stack).
 */
export function quoted(value: unknown, max = 40): string {
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object' && value !== null) return 'an object';
  if (value === undefined) return 'nothing';
  const s = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/** `base.key` when key is an identifier-like name, else `base["key"]` (quoted, cut). */
export function pathTo(base: string, key: string): string {
  const k = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(key) ? `.${key}` : `[${quoted(key)}]`;
  return base === '' ? k.replace(/^\./, '') : base + k;
}

/** A file name for a message: control characters (a newline in a file name) shown as `?`. */
export function printableFileName(name: string): string {
  // eslint-disable-next-line no-control-regex
  return name.replace(/[\u0000-\u001f\u007f]/g, '?');
}
