import { describe, expect, it } from '@jest/globals';
import type { Issue } from '../../../canonical/index.js';
import { parseBinary } from './index.js';

const PATH = 'Bundle.entry[1].resource';
const problems = (issues: readonly Issue[]) => issues.map((i) => [i.where?.path, i.message]);

describe('parseBinary', () => {
  it('decodes the bytes, whitespace between base64 groups allowed', () => {
    expect(parseBinary({ resourceType: 'Binary', id: 'b1', contentType: 'application/pdf', data: 'JVBE\nRi0x' }, PATH)).toEqual({
      binary: { id: 'b1', contentType: 'application/pdf', bytes: new Uint8Array(Buffer.from('%PDF-1')) },
      issues: [],
    });
    expect(parseBinary({ resourceType: 'Binary', contentType: 'text/plain', data: '' }, PATH).binary!.bytes).toEqual(new Uint8Array());
  });

  it('needs the bytes inline, as strict base64, and a MIME type', () => {
    expect(problems(parseBinary({ resourceType: 'Binary', contentType: 'text/plain' }, PATH).issues)).toEqual([
      [`${PATH}.data`, 'Binary.data is required: the import stores the bytes the file holds and fetches nothing'],
    ]);
    expect(problems(parseBinary({ resourceType: 'Binary', contentType: 'plain text', data: 'abc' }, PATH).issues)).toEqual([
      [`${PATH}.contentType`, 'Binary.contentType must be a MIME type'],
      [`${PATH}.data`, 'Binary.data must be base64'],
    ]);
    expect(problems(parseBinary({ resourceType: 'Binary', data: 'eA==' }, PATH).issues)).toEqual([[`${PATH}.contentType`, 'Binary.contentType is required']]);
  });
});
