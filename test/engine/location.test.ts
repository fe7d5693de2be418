// Repository locations: a plain path, or a file:// URL of this machine whose
// escapes (%20) are decoded into the folder's real name.
import { describe, expect, it } from 'vitest';
import { localPath } from '../../src/engine/repo/location';
import { EngineError } from '../../src/engine/errors';

describe('localPath', () => {
  it('decodes a file URL into the folder it names, escapes included', () => {
    expect(localPath('file:///media/usb%20disk/strata')).toBe('/media/usb disk/strata');
    expect(localPath('/media/usb disk/strata')).toBe('/media/usb disk/strata');
  });

  it('refuses a file URL of another host, and an empty location, as invalid arguments', () => {
    expect(() => localPath('file://nas/share/strata')).toThrow(EngineError);
    expect(() => localPath('file://nas/share/strata')).toThrow(/not a file URL of this machine/);
    expect(() => localPath('  ')).toThrow(/no repository given/);
  });
});
