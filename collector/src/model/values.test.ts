import { describe, expect, it } from 'vitest';
import { hexIdToBytes, idToHex } from './values.js';

describe('trace and span ID hex', () => {
  it('round-trips IDs, views into larger buffers included', () => {
    const backing = Uint8Array.from([0xaa, 0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff, 0x10, 0x20, 0xbb]);
    const view = backing.subarray(1, 9);
    expect(idToHex(view)).toBe('00017f80feff1020');
    expect(hexIdToBytes(idToHex(view), 8)).toEqual(Uint8Array.from(view));
    expect(idToHex(undefined)).toBe('');
    expect(idToHex(new Uint8Array(0))).toBe('');
  });

  it('writes the hex of every byte value in IDs of every length, as Buffer does', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    for (const n of [8, 16, 1, 3, 32]) {
      for (let at = 0; at + n <= 256; at += n) {
        const id = all.subarray(at, at + n);
        expect(idToHex(id)).toBe(Buffer.from(id).toString('hex'));
      }
    }
  });

  it('accepts only lowercase hex of the exact length', () => {
    expect(hexIdToBytes('0af7651916cd43dd8448eb211c80319c', 16)).toEqual(
      Uint8Array.from(Buffer.from('0af7651916cd43dd8448eb211c80319c', 'hex')),
    );
    for (const bad of [
      '0AF7651916CD43DD8448EB211C80319C',
      '0af7651916cd43dd8448eb211c80319',
      '0af7651916cd43dd8448eb211c80319cz',
      'g'.repeat(32),
      'é'.repeat(32),
    ]) {
      expect(hexIdToBytes(bad, 16)).toBeUndefined();
    }
  });
});
