import { fixedCode, templateIds } from './datatypes.js';
import type { FixedCode, TemplateRef } from './vocabulary.js';
import { el, type XmlChild, type XmlNode } from './xml-writer.js';

export interface SectionKind {
  readonly template: TemplateRef;
  readonly code: FixedCode;
  readonly title: string;
}

/** A section with its narrative and entries, as the structuredBody's component. */
export function section(kind: SectionKind, text: readonly XmlChild[], entries: readonly XmlNode[]): XmlNode {
  return el(
    'component',
    {},
    el(
      'section',
      {},
      templateIds(kind.template),
      fixedCode(kind.code),
      el('title', {}, kind.title),
      el('text', {}, text),
      entries.map((e) => el('entry', { typeCode: 'DRIV' }, e)),
    ),
  );
}

/**
 * C-CDA's "no information" form for a section we hold nothing for: `nullFlavor="NI"`, no entries (a null section
 * must have none), and a narrative that says why, so a reader never takes the empty section for "none known".
 */
export function noInformationSection(kind: SectionKind, text: readonly XmlChild[]): XmlNode {
  return el(
    'component',
    {},
    el('section', { nullFlavor: 'NI' }, templateIds(kind.template), fixedCode(kind.code), el('title', {}, kind.title), el('text', {}, text)),
  );
}
