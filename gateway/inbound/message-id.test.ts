import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { parseKetenzorg } from '../../mappers/ketenzorg/parser.js';
import { parseMedlab } from '../../mappers/medlab/to-canonical.js';
import { channelOf, messageIdOf } from './message-id.js';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures');
const files = (kind: string, ext: string) => readdirSync(path.join(fixtures, kind)).filter((f) => f.endsWith(ext)).map((f) => [f, readFileSync(path.join(fixtures, kind, f))] as const);
const bytes = (text: string) => new TextEncoder().encode(text);

describe('the message id read from the header, before parsing', () => {
  it.each(files('ketenzorg', '.xml'))('is the id the ketenzorg parser reads, for %s', (_name, raw) => {
    const parsed = parseKetenzorg(raw).messageId;
    if (parsed) expect(messageIdOf(raw)).toBe(parsed);
  });

  it.each(files('medlab', '.edi'))('is the UNB sender and interchange reference, for %s', (_name, raw) => {
    const parsed = parseMedlab(raw);
    expect(messageIdOf(raw)).toBe(`${parsed.sender}/${parsed.interchangeRef}`);
  });

  it('reads past a declaration, a comment and a prefix, and unescapes the attributes', () => {
    const xml = '\uFEFF<?xml version="1.0"?>\n<!-- <id root="1.2" extension="no"/> -->\n<hl7:MCCI_IN200101 xmlns:hl7="urn:hl7-org:v3"><hl7:id extension=\'A&amp;B\' root="2.16.1"/></hl7:MCCI_IN200101>';
    expect(messageIdOf(bytes(xml))).toBe('2.16.1^A&B');
  });

  it("takes only the wrapper's own id, never an id further in, so two messages without one stay two", () => {
    const dm2 = readFileSync(path.join(fixtures, 'ketenzorg', 'dm2.xml'), 'utf8');
    const withoutOwnId = dm2.replace(/(<MCCI_IN200101[^>]*>\s*)<id [^>]*\/>/, '$1');
    expect(withoutOwnId).not.toBe(dm2);
    expect(withoutOwnId).toMatch(/<device[^>]*>\s*<id /);
    const other = withoutOwnId.replace('999900006', '999900018');
    expect(messageIdOf(bytes(withoutOwnId))).toMatch(/^sha256:/);
    expect(messageIdOf(bytes(other))).not.toBe(messageIdOf(bytes(withoutOwnId)));
    expect(messageIdOf(bytes('<x a="1>2"><!-- c --><id root="2.16.9" extension="7"/></x>'))).toBe('2.16.9^7');
  });

  it('honours a UNA that redefines the separators, and released separators in the reference', () => {
    expect(messageIdOf(bytes("UNA|^.\\ ~UNB^UNOA|1^500000111^500000222^250314|1012^IC\\^1~UNH^1^MEDLAB|1~"))).toBe('500000111/IC^1');
    expect(messageIdOf(bytes("UNB+UNOA:1+500000111+500000222+250314:1012+IC?+?'2'"))).toBe("500000111/IC+'2");
  });

  it('falls back to the digest of the bytes when no id can be read, and keeps a long id as its digest', () => {
    expect(messageIdOf(bytes('<POLB_IN364001NL03><id nullFlavor="NI"/></POLB_IN364001NL03>'))).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(messageIdOf(bytes('not a message'))).toBe(messageIdOf(bytes('not a message')));
    expect(messageIdOf(bytes(`<x><id root="1.2" extension="${'9'.repeat(300)}"/></x>`))).toMatch(/^id-sha256:[0-9a-f]{64}$/);
  });

  it('tells a lab interchange from ketenzorg for `crossgate ingest`', () => {
    expect(channelOf(readFileSync(path.join(fixtures, 'medlab', 'custom-separators.edi')))).toBe('lab');
    expect(channelOf(readFileSync(path.join(fixtures, 'ketenzorg', 'ozis.edi')))).toBe('ketenzorg');
    expect(channelOf(readFileSync(path.join(fixtures, 'ketenzorg', 'dm2.xml')))).toBe('ketenzorg');
    expect(channelOf(bytes('{"resourceType":"Bundle"}'))).toBeUndefined();
  });
});
