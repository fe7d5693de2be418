// This device's batches: its id, the batch numbers it reserves, and the last
// batch it stored (the `device`, `lastSeq` and `written` of this machine's
// state file, state-file.ts). It is the OwnWrites that history.ts checks a
// write against.

import type { OwnWrites } from '../history';
import { becomeNewDevice, type StateFileHandle } from '../state-file';

export class OwnBatches implements OwnWrites {
  constructor(private readonly file: StateFileHandle) {}

  /** This device's id (the `device` of its batches and records). */
  get device(): string {
    return this.file.data.device;
  }

  /** Reserves the next batch number of this device (persisted first, so a crash never reuses one). */
  async next(atLeast = 0): Promise<number> {
    const s = this.file.data;
    s.lastSeq = Math.max(s.lastSeq, atLeast) + 1;
    await this.file.save();
    return s.lastSeq;
  }

  /** The number of the last batch this device stored (undefined: none known). */
  lastWritten(): number | undefined {
    const written = this.file.data.written;
    return written?.device === this.file.data.device ? written.seq : undefined;
  }

  /** Batch `seq` of this device is stored. */
  async wrote(seq: number): Promise<void> {
    if (seq <= (this.lastWritten() ?? 0)) return;
    this.file.data.written = { device: this.file.data.device, seq };
    await this.file.save();
  }

  /** Another device already wrote under this id (a copied repository): take a new id. */
  async renewDevice(): Promise<void> {
    becomeNewDevice(this.file.data);
    await this.file.save();
  }
}
