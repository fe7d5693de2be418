// Micro-benchmark of the crypto module: AEAD throughput on 1 MiB buffers
// (native fast path vs. pure-JS @noble/ciphers), keyed content-id (HMAC-SHA256)
// throughput, and the wall time of one scrypt derivation at the default cost.
// Run: npx tsx bench/crypto-micro.ts

import { randomBytes } from 'node:crypto';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { xchachaDecrypt, xchachaEncrypt } from '../src/engine/crypto/aead';
import { ContentIdHasher } from '../src/engine/crypto/content-id';
import { defaultKdfParams, deriveKey } from '../src/engine/crypto/kdf';

const MIB = 1024 * 1024;
const buffer = new Uint8Array(randomBytes(MIB));
const key = new Uint8Array(randomBytes(32));
const nonce = new Uint8Array(randomBytes(24));
const ad = new TextEncoder().encode('bench');

// Runs `op` on the 1 MiB buffer for at least `minMs` (after a warm-up) and returns MiB/s.
function throughput(op: () => void, minMs = 1000): number {
  for (let i = 0; i < 3; i++) op();
  let iterations = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < minMs) {
    op();
    iterations++;
    elapsed = performance.now() - start;
  }
  return (iterations * buffer.length) / MIB / (elapsed / 1000);
}

function report(name: string, mibPerSecond: number): void {
  console.log(`${name.padEnd(44)} ${mibPerSecond.toFixed(0).padStart(6)} MiB/s`);
}

const sealed = xchachaEncrypt(key, nonce, buffer, ad);
const hasher = new ContentIdHasher(key);

console.log(`node ${process.version}, 1 MiB buffers`);
report('xchachaEncrypt (HChaCha20 + native)', throughput(() => xchachaEncrypt(key, nonce, buffer, ad)));
report('xchachaDecrypt (HChaCha20 + native)', throughput(() => xchachaDecrypt(key, nonce, sealed, ad)));
report('@noble/ciphers xchacha20poly1305 encrypt', throughput(() => xchacha20poly1305(key, nonce, ad).encrypt(buffer)));
report('@noble/ciphers xchacha20poly1305 decrypt', throughput(() => xchacha20poly1305(key, nonce, ad).decrypt(sealed)));
report('ContentIdHasher.id (HMAC-SHA256)', throughput(() => hasher.id(buffer)));

const params = defaultKdfParams();
await deriveKey('warm-up passphrase', params);
const runs = 3;
const times: number[] = [];
for (let i = 0; i < runs; i++) {
  const start = performance.now();
  await deriveKey('correct horse battery staple', params);
  times.push(performance.now() - start);
}
const sorted = [...times].sort((a, b) => a - b);
console.log(
  `scrypt N=2^17 r=8 p=1 (~128 MiB), ${runs} runs:`.padEnd(44),
  `median ${(sorted[Math.floor(runs / 2)] ?? 0).toFixed(0)} ms (min ${(sorted[0] ?? 0).toFixed(0)}, max ${(sorted[runs - 1] ?? 0).toFixed(0)})`,
);
