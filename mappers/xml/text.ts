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
