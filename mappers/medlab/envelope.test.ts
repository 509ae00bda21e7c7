import { describe, expect, it } from '@jest/globals';
import { readEnvelope } from './envelope.js';
import { readInterchange } from './syntax.js';

const envelopeOf = (text: string) => readEnvelope(readInterchange(new TextEncoder().encode(text)));
const issue = (severity: string, code: string, segment: string, line?: number, field?: string) => ({
  severity, code, message: expect.any(String), where: { segment, ...(line ? { line, column: 1 } : {}), ...(field ? { field } : {}) },
});

describe('interchange envelope', () => {
  it('groups messages between UNH and UNT and reads the UNB fields', () => {
    const env = envelopeOf("UNB+UNOA:1+111+222+250314:1012+IC1'\nUNH+M1+MEDLAB:1'\nPID+x'\nUNT+3+M1'\nUNH+M2+MEDLAB:1'\nUNT+2+M2'\nUNZ+2+IC1'\n");
    expect(env).toMatchObject({ sender: '111', recipient: '222', reference: 'IC1', prepared: { date: '250314', time: '1012' }, issues: [] });
    expect(env.messages.map((m) => [m.index, m.reference, m.type, m.segments.map((s) => s.tag), m.complete])).toEqual([
      [0, 'M1', ['MEDLAB', '1'], ['UNH', 'PID', 'UNT'], true],
      [1, 'M2', ['MEDLAB', '1'], ['UNH', 'UNT'], true],
    ]);
  });

  it('warns when UNT disagrees with its message, naming the segment and line', () => {
    const env = envelopeOf("UNB+UNOA:1+111+222+250314:1012+IC1'\nUNH+M1+MEDLAB:1'\nUNT+3+M9'\nUNZ+1+IC1'\n");
    expect(env.issues).toEqual([issue('warning', 'UNT_COUNT_MISMATCH', 'UNT', 3, 'UNT.1'), issue('warning', 'UNT_REFERENCE_MISMATCH', 'UNT', 3, 'UNT.2')]);
  });

  it('warns when UNZ disagrees with the interchange', () => {
    const env = envelopeOf("UNB+UNOA:1+111+222+250314:1012+IC1'\nUNH+M1+MEDLAB:1'\nUNT+2+M1'\nUNZ+2+IC2'\n");
    expect(env.issues).toEqual([issue('warning', 'UNZ_COUNT_MISMATCH', 'UNZ', 4, 'UNZ.1'), issue('warning', 'UNZ_REFERENCE_MISMATCH', 'UNZ', 4, 'UNZ.2')]);
  });

  it('rejects a message without UNT and an interchange without UNZ', () => {
    const env = envelopeOf("UNB+UNOA:1+111+222+250314:1012+IC1'\nUNH+M1+MEDLAB:1'\nPID+x'\nUNH+M2+MEDLAB:1'\nUNT+2+M2'\n");
    expect(env.issues).toEqual([
      issue('error', 'MISSING_UNT', 'UNH', 2),
      { severity: 'error', code: 'MISSING_UNZ', message: expect.any(String), where: { segment: 'UNZ' } },
    ]);
    expect(env.messages.map((m) => m.complete)).toEqual([false, true]);
  });

  it('rejects an interchange that does not start with UNB, or that is empty', () => {
    expect(envelopeOf("UNH+M1+MEDLAB:1'\nUNT+2+M1'\nUNZ+1+IC1'").issues).toEqual([issue('error', 'MISSING_UNB', 'UNH', 1)]);
    expect(envelopeOf('').issues).toEqual([
      { severity: 'error', code: 'MISSING_UNB', message: expect.any(String), where: { segment: 'UNB' } },
      { severity: 'error', code: 'MISSING_UNZ', message: expect.any(String), where: { segment: 'UNZ' } },
    ]);
  });

  it('rejects a UNB without sender or reference and warns without recipient', () => {
    expect(envelopeOf("UNB+UNOA:1++++'\nUNZ+0+'").issues).toEqual([
      issue('error', 'MISSING_SENDER', 'UNB', 1, 'UNB.2'),
      issue('warning', 'MISSING_RECIPIENT', 'UNB', 1, 'UNB.3'),
      issue('error', 'MISSING_INTERCHANGE_REF', 'UNB', 1, 'UNB.5'),
    ]);
  });

  it('keeps segments outside messages or after UNZ and warns about them', () => {
    const env = envelopeOf("UNB+UNOA:1+111+222+250314:1012+IC1'\nZKH+x'\nUNT+2+M1'\nUNZ+0+IC1'\nPID+x'");
    expect(env.issues).toEqual([
      issue('warning', 'SEGMENT_OUTSIDE_MESSAGE', 'ZKH', 2),
      issue('warning', 'SEGMENT_OUTSIDE_MESSAGE', 'UNT', 3),
      issue('warning', 'SEGMENT_AFTER_UNZ', 'PID', 5),
    ]);
  });
});
