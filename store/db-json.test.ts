import { describe, expect, it } from '@jest/globals';
import { dbJson } from './db-json.js';

describe('dbJson', () => {
  it('writes a NUL character as U+FFFD and leaves a written backslash-u0000 as it was', () => {
    expect(JSON.parse(dbJson({ text: 'a\u0000b', list: ['\u0000'] }))).toEqual({ text: 'a\ufffdb', list: ['\ufffd'] });
    expect(JSON.parse(dbJson({ text: 'C:\\u0000 and \\\\u0000' }))).toEqual({ text: 'C:\\u0000 and \\\\u0000' });
    expect(JSON.parse(dbJson({ text: '\\\u0000' }))).toEqual({ text: '\\\ufffd' });
  });
});
