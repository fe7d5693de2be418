// The author set on this machine (`strata config set author`, the app's
// Settings): the `author` of this machine's state file (state-file.ts). Which
// author new versions record (the environment wins) is ops/author.ts.

import type { StateFileHandle } from '../state-file';

export class AuthorSetting {
  constructor(private readonly file: StateFileHandle) {}

  /** The author set here (undefined: none). */
  get(): string | undefined {
    return this.file.data.author;
  }

  async set(author: string): Promise<void> {
    this.file.data.author = author;
    await this.file.save();
  }
}
