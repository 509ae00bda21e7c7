/** Character data helpers the XML readers share (mappers/xml and mappers/ketenzorg). */

const REFERENCE = /&(#x[0-9a-fA-F]+|#[0-9]+|[A-Za-z_][\w.-]*);/g;
const PREDEFINED: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/**
 * XML's five predefined references and character references decoded. Any other named reference has no declaration
 * to come from (no DTD is accepted), and neither has a character reference XML cannot carry: `unknown` is told,
 * and the reference is left as written.
 */
export function decodeReferences(text: string, unknown: () => void): string {
  if (!text.includes('&')) return text;
  return text.replace(REFERENCE, (whole, body: string) => {
    const resolved = body.startsWith('#') ? characterReference(body) : PREDEFINED[body];
    if (resolved === undefined) {
      unknown();
      return whole;
    }
    return resolved;
  });
}

function characterReference(body: string): string | undefined {
  const code = body.startsWith('#x') ? Number.parseInt(body.slice(2), 16) : Number.parseInt(body.slice(1), 10);
  const legal = code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || (code >= 0x10000 && code <= 0x10ffff);
  return legal ? String.fromCodePoint(code) : undefined;
}

/** Offsets → 1-based line and column: one scan for line starts, then a binary search per position. */
export class LineIndex {
  private starts: number[] | undefined;

  constructor(private readonly text: string) {}

  at(offset: number): { line: number; column: number } {
    const line = this.lineAt(offset);
    return { line, column: offset - this.starts![line - 1]! + 1 };
  }

  /** The line alone, which a tree of every element of a message asks for once an element. */
  lineAt(offset: number): number {
    if (!this.starts) {
      this.starts = [0];
      for (let i = this.text.indexOf('\n'); i !== -1; i = this.text.indexOf('\n', i + 1)) this.starts.push(i + 1);
    }
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }
}

/** What fast-xml-parser's validator reports for text that is not well-formed. */
export interface ValidatorError {
  readonly code: string;
  readonly msg: string;
  readonly line: number;
  readonly col: number;
}

const UNCLOSED_ONE = /^Unclosed tag '([^']+)'\.$/;
const UNCLOSED_MANY = /^Invalid '(\[[^\]]*\])' found\.$/;

/**
 * The validator's refusal in words a sender can act on. A message cut off in transit is the common case, and the
 * validator places it where the unclosed root opened (line 1, column 1); it is told as where the text ends and which
 * elements were left open, innermost first.
 */
export function describeMalformed(text: string, error: ValidatorError, lines: LineIndex): { message: string; where: { line: number; column?: number } } {
  const open = unclosedElements(error.msg);
  const last = text.trimEnd().length - 1;
  if (open && last >= 0) {
    const end = lines.at(last);
    const opened = open.length === 1 && error.line > 0 ? ` (opened at line ${error.line}${error.col > 0 ? `, column ${error.col}` : ''})` : '';
    const names = open.map((name) => `<${name}>`).join(', ');
    return {
      message: `the message is not well-formed XML: it ends at line ${end.line}, column ${end.column} with ${names}${opened} not closed; was it cut off?`,
      where: end,
    };
  }
  const where = { line: Math.max(1, error.line), ...(error.col > 0 ? { column: error.col } : {}) };
  return { message: `the message is not well-formed XML at line ${where.line}${error.col > 0 ? `, column ${error.col}` : ''}: ${error.msg}`, where };
}

function unclosedElements(msg: string): string[] | undefined {
  const one = UNCLOSED_ONE.exec(msg);
  if (one) return [one[1]!];
  const many = UNCLOSED_MANY.exec(msg);
  if (!many) return undefined;
  try {
    const names: unknown = JSON.parse(many[1]!);
    return Array.isArray(names) && names.length > 0 && names.every((n) => typeof n === 'string') ? (names as string[]).reverse() : undefined;
  } catch {
    return undefined;
  }
}
