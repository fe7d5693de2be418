import { describe, expect, it } from 'vitest';
import { parseRate } from './remote-commands';

describe('parseRate', () => {
  it('reads bytes per second with binary K, M, G', () => {
    expect(parseRate('2M')).toBe(2 * 1024 * 1024);
    expect(parseRate('500k')).toBe(500 * 1024);
    expect(parseRate('1.5G')).toBe(1.5 * 1024 ** 3);
    expect(parseRate('4096')).toBe(4096);
  });

  it('refuses what is not a rate, or too slow to be meant', () => {
    for (const bad of ['', 'fast', '2MB', '-1M', '100', '1T']) expect(() => parseRate(bad)).toThrow(/--limit-rate takes/);
  });
});
