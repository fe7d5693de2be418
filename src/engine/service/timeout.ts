// Waiting for a remote that may never answer (an unreachable S3 endpoint can
// hang rather than fail): the Dashboard's remote figures and reaching a
// remote before it is kept give up after a while.

/**
 * Resolves or rejects as `work` does, or rejects with "`what` did not answer
 * in N s" after `ms`. `work` is not cancelled; its late failure is swallowed.
 */
export async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer in ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
    work.catch(() => undefined);
  }
}
