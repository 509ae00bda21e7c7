import { describe, expect, it } from '@jest/globals';
import { base64 } from './dom.js';

describe('base64 (xs:base64Binary)', () => {
  const bytes = Buffer.from([0xfb, 0xff, 0x00, 0x10, 0x3e]);

  it('reads canonical base64 with white space anywhere', () => {
    expect(base64('+/8AED4=')).toEqual(bytes);
    expect(base64(' +/8A\r\n\tED4= ')).toEqual(bytes);
    expect(base64('')).toEqual(Buffer.alloc(0));
  });

  it.each([
    ['the URL-safe alphabet', '-_8AED4='],
    ['missing padding', '+/8AED4'],
    ['padding bits that are not zero', '+/8AED5='],
    ['a character outside the alphabet', '+/8A*ED4='],
    ['data after the padding', '+/8AED4=AAAA'],
  ])('refuses %s', (_, text) => {
    expect(base64(text)).toBeUndefined();
  });
});
