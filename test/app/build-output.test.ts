// The desktop bundles `npm run build` leaves in out/ (npm test builds first).

import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../../src/shared/csp';
import { PICK_FOLDER_CHANNEL } from '../../src/shared/ipc';

const out = (path: string) => new URL(`../../out/${path}`, import.meta.url);

function read(path: string): string {
  if (!existsSync(out(path))) throw new Error(`out/${path} is missing: run \`npm run build\` first`);
  return readFileSync(out(path), 'utf8');
}

describe('electron-vite build output', () => {
  it('main is an ES module that leaves electron and Node built-ins external', () => {
    const main = read('main/index.js');
    expect(main).toMatch(/^import .* from "electron";$/m);
    expect(main).toMatch(/from "node:path"/);
    expect(main).toContain('strata:');
    // The folder picker: its channel, answered with the native dialog.
    expect(main).toContain(PICK_FOLDER_CHANNEL);
    expect(main).toContain('showOpenDialog');
  });

  it('preload is one CommonJS file: a sandboxed preload can only require electron', () => {
    const preload = read('preload/index.cjs');
    expect(preload).toContain('require("electron")');
    expect(preload).not.toMatch(/^\s*(import|export)\s/m);
    const requires = [...preload.matchAll(/require\("([^"]+)"\)/g)].map((match) => match[1]);
    expect(new Set(requires)).toEqual(new Set(['electron']));
    expect(preload).toContain(PICK_FOLDER_CHANNEL);
  });

  it('the renderer page carries the CSP and loads only local assets', () => {
    const html = read('renderer/index.html');
    const escaped = CONTENT_SECURITY_POLICY.replaceAll("'", '&#39;');
    expect(html.includes(CONTENT_SECURITY_POLICY) || html.includes(escaped)).toBe(true);
    const sources = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1] ?? '');
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) expect(source).toMatch(/^\.\//);
  });
});
