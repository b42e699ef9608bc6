// JSON from a file the user named, with a syntax error reported by where it is (line and column) and
// what kind of mistake it is, never by quoting the text: Node's JSON.parse messages quote a snippet of
// the input (`Unexpected token 'r', "root:x:0:0:"... is not valid JSON`), which would echo whatever
// file was named into a log.

/** A syntax error in a JSON file; `message` names the line and column, never the file's content. */
export class JsonSyntaxError extends Error {
  override name = 'JsonSyntaxError';
  constructor(
    readonly line: number,
    readonly column: number,
    readonly problem: string,
  ) {
    super(`not valid JSON at line ${line}, column ${column}: ${problem}`);
  }
}

/** JSON.parse, with a JsonSyntaxError (line, column, kind of mistake) in place of V8's message. */
export function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e;
    const { offset, problem } = locateJsonError(text);
    const before = text.slice(0, offset);
    const line = before.split('\n').length;
    const column = offset - (before.lastIndexOf('\n') + 1) + 1;
    throw new JsonSyntaxError(line, column, problem);
  }
}

interface Located {
  offset: number;
  problem: string;
}

/**
 * The offset of the first syntax error of `text` (RFC 8259 grammar), found by a small recursive-descent
 * scan; only called after JSON.parse has failed, so its speed does not matter. Depth is bounded by
 * an explicit stack, so a deeply nested file cannot overflow the host stack.
 */
export function locateJsonError(text: string): Located {
  let i = 0;
  const fail = (problem: string): never => {
    throw { offset: Math.min(i, text.length), problem } satisfies Located;
  };
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const literal = (word: string) => {
    for (const ch of word) {
      if (text[i] !== ch) fail(i >= text.length ? 'unexpected end of the file' : 'unexpected character');
      i++;
    }
  };
  const string = () => {
    i++; // opening quote
    for (;;) {
      if (i >= text.length) fail('unterminated string');
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return;
      }
      if (c < 0x20) fail('control character in a string');
      if (c === 0x5c) {
        i++;
        const esc = text[i];
        if (esc === 'u') {
          for (let k = 1; k <= 4; k++) {
            if (!/[0-9a-fA-F]/.test(text[i + k] ?? '')) {
              i += k;
              fail('bad \\u escape in a string');
            }
          }
          i += 5;
        } else if (esc !== undefined && '"\\/bfnrt'.includes(esc)) {
          i++;
        } else {
          fail('bad escape in a string');
        }
      } else {
        i++;
      }
    }
  };
  const number = () => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m) fail('malformed number');
    i += m![0].length;
  };
  const scalar = () => {
    const c = text[i];
    if (c === '"') string();
    else if (c === 't') literal('true');
    else if (c === 'f') literal('false');
    else if (c === 'n') literal('null');
    else if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) number();
    else fail(i >= text.length ? 'unexpected end of the file' : 'unexpected character');
  };
  // Containers on an explicit stack: '{' or '['.
  const stack: string[] = [];
  try {
    ws();
    for (;;) {
      // Expect a value.
      ws();
      const c = text[i];
      if (c === '{' || c === '[') {
        stack.push(c);
        i++;
        ws();
        if (text[i] === (c === '{' ? '}' : ']')) {
          i++;
          stack.pop();
        } else {
          if (c === '{') {
            if (text[i] !== '"') fail('expected a property name in double quotes');
            string();
            ws();
            if (text[i] !== ':') fail('expected ":" after a property name');
            i++;
          }
          continue;
        }
      } else {
        scalar();
      }
      // After a value: close containers or go on to the next element.
      for (;;) {
        ws();
        const top = stack[stack.length - 1];
        if (top === undefined) {
          if (i < text.length) fail('unexpected text after the end of the JSON value');
          return { offset: text.length, problem: 'not valid JSON' };
        }
        const close = top === '{' ? '}' : ']';
        if (text[i] === close) {
          i++;
          stack.pop();
          continue;
        }
        if (text[i] !== ',') {
          fail(i >= text.length ? 'unexpected end of the file' : `expected "," or "${close}"`);
        }
        i++;
        ws();
        if (top === '{') {
          if (text[i] !== '"') fail('expected a property name in double quotes');
          string();
          ws();
          if (text[i] !== ':') fail('expected ":" after a property name');
          i++;
        }
        break;
      }
    }
  } catch (e) {
    if (typeof e === 'object' && e !== null && 'problem' in e) return e as Located;
    throw e;
  }
}
