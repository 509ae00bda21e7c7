import type { Observation, ObservationValue, ReferenceRange } from '../../canonical/index.js';
import { el, type XmlChild, type XmlNode } from './xml-writer.js';

/**
 * The human-readable side of each section (CDA NarrativeBlock). Entries point into it with `reference`, so every
 * row and every name cell an entry refers to carries an ID; what a cell shows is the stored value as written.
 */
export interface Cell {
  readonly text: string;
  readonly id?: string;
}

export function table(caption: Cell | undefined, headers: readonly string[], rows: readonly XmlNode[]): XmlNode {
  return el(
    'table',
    { border: '1', width: '100%' },
    caption !== undefined && el('caption', { ID: caption.id }, caption.text),
    el('thead', {}, el('tr', {}, headers.map((h) => el('th', {}, h)))),
    el('tbody', {}, rows),
  );
}

/** A row; `last` is a cell built by the caller (one holding several addressable notes). */
export function row(id: string | undefined, cells: readonly (Cell | string)[], last?: XmlNode): XmlNode {
  return el(
    'tr',
    { ID: id },
    cells.map((c) => (typeof c === 'string' ? el('td', {}, lines(c)) : el('td', { ID: c.id }, lines(c.text)))),
    last,
  );
}

/** Line breaks a reader should see are `br` in a narrative: a bare line feed is only white space there. */
export function lines(text: string): XmlChild[] {
  return text.split(/\r\n|\r|\n/).flatMap((line, i) => (i === 0 ? [line] : [el('br'), line]));
}

export function paragraph(text: string): XmlNode {
  return el('paragraph', {}, lines(text));
}

/** A date or date-time as stored, with the date and time apart so a reader does not parse an ISO 8601 "T". */
export function when(value: string | undefined): string {
  return value ? value.replace('T', ' ') : '';
}

export function period(start: string | undefined, end: string | undefined): string {
  if (start && end) return `${when(start)} – ${when(end)}`;
  if (start) return `since ${when(start)}`;
  return end ? `until ${when(end)}` : '';
}

export function valueText(value: ObservationValue | undefined, status: Observation['status']): string {
  if (!value) return status === 'registered' ? 'pending' : '';
  switch (value.kind) {
    case 'quantity': {
      const q = value.quantity;
      const unit = q.unitText ?? q.unit;
      return `${q.comparator ?? ''}${q.value}${unit ? ` ${unit}` : ''}`;
    }
    case 'coded':
      return value.coding.display ?? value.coding.code;
    case 'string':
      return value.text;
    case 'boolean':
      return value.value ? 'yes' : 'no';
    case 'date':
      return when(value.date);
    case 'period':
      return period(value.period.start, value.period.end);
  }
}

export function rangeText(range: ReferenceRange | undefined): string {
  if (!range) return '';
  const limits = range.low !== undefined || range.high !== undefined ? `${range.low ?? ''}–${range.high ?? ''}${range.unit ? ` ${range.unit}` : ''}` : '';
  return [limits, range.text].filter(Boolean).join('; ');
}

/** The name a reader sees for a coded record: its own text, else the display or code of its first coding. */
export function conceptName(text: string | undefined, codings: readonly { code: string; display?: string | undefined }[]): string {
  const first = codings[0];
  return text ?? first?.display ?? first?.code ?? '';
}
