// This machine's user name, for labels (key slots, snapshots, the default
// author): undefined where the user has no passwd entry (some containers),
// so each label chooses its own stand-in.

import { userInfo } from 'node:os';

export function userName(): string | undefined {
  try {
    return userInfo().username;
  } catch {
    return undefined;
  }
}
