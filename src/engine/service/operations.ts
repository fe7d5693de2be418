// Long operations (scan, restore, sync): each gets an id, reports its
// progress as 'operation.progress' events (running, then exactly one of
// finished, failed, cancelled) and can be cancelled by id. Cancelling aborts
// the operation's AbortSignal; the engine stops between files or objects and
// the operation's call rejects with CANCELLED.

import { randomBytes } from 'node:crypto';
import type { EventSink, OperationProgress } from '../../shared/api';
import { StrataError } from '../../shared/errors';

/** Running progress events are sent at most this often (the last one always). */
const PROGRESS_INTERVAL_MS = 100;

export class Operation {
  readonly id = randomBytes(8).toString('hex');
  private readonly controller = new AbortController();
  private done = 0;
  private total: number | undefined;
  private lastEmit = 0;
  private ended = false;

  constructor(
    readonly operation: string,
    private readonly unit: OperationProgress['unit'],
    private readonly emit: (progress: OperationProgress) => void,
    private readonly onEnd: (op: Operation) => void,
  ) {}

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Throws CANCELLED if the operation was cancelled (for work done in steps). */
  check(): void {
    if (this.signal.aborted) throw cancelled(this.operation);
  }

  cancel(): void {
    this.controller.abort(cancelled(this.operation));
  }

  start(message?: string): void {
    this.send('running', message, true);
  }

  progress(done: number, total?: number, message?: string): void {
    if (this.ended) return;
    this.done = done;
    if (total !== undefined) this.total = total;
    const now = Date.now();
    if (now - this.lastEmit < PROGRESS_INTERVAL_MS) return;
    this.lastEmit = now;
    this.send('running', message);
  }

  finish(message?: string): void {
    this.end(this.signal.aborted ? 'cancelled' : 'finished', message);
  }

  /** Ends the operation after `error`: cancelled if it was, failed otherwise. */
  fail(error: unknown): void {
    const code = error instanceof StrataError ? error.code : undefined;
    if (this.signal.aborted || code === 'CANCELLED') this.end('cancelled');
    else this.end('failed', error instanceof Error ? error.message : String(error));
  }

  private end(phase: OperationProgress['phase'], message?: string): void {
    if (this.ended) return;
    this.send(phase, message, true);
    this.ended = true;
    this.onEnd(this);
  }

  private send(phase: OperationProgress['phase'], message: string | undefined, force = false): void {
    if (this.ended) return;
    if (force) this.lastEmit = Date.now();
    this.emit({
      operation: this.operation,
      id: this.id,
      done: this.done,
      ...(this.total !== undefined ? { total: this.total } : {}),
      unit: this.unit,
      phase,
      ...(message !== undefined ? { message } : {}),
    });
  }
}

export class Operations {
  private readonly running = new Map<string, Operation>();

  constructor(private readonly emit: EventSink) {}

  /** Starts an operation (emits its first 'running' event). */
  begin(operation: string, unit: OperationProgress['unit'], message?: string): Operation {
    const op = new Operation(operation, unit, (p) => this.emit('operation.progress', p), (o) => this.running.delete(o.id));
    this.running.set(op.id, op);
    op.start(message);
    return op;
  }

  /**
   * Runs `work` as an operation: finished when it resolves, failed or
   * cancelled when it rejects (an abort becomes CANCELLED).
   */
  async run<T>(operation: string, unit: OperationProgress['unit'], work: (op: Operation) => Promise<T>, message?: string): Promise<T> {
    const op = this.begin(operation, unit, message);
    try {
      const result = await work(op);
      op.check();
      op.finish();
      return result;
    } catch (error) {
      op.fail(error);
      throw op.signal.aborted ? cancelled(operation) : error;
    }
  }

  cancel(id: string): boolean {
    const op = this.running.get(id);
    if (!op) return false;
    op.cancel();
    return true;
  }

  /** Cancels every running operation (the repository is being locked). */
  cancelAll(): void {
    for (const op of this.running.values()) op.cancel();
  }
}

export function cancelled(operation: string): StrataError {
  return new StrataError('CANCELLED', `The ${operation} was cancelled.`);
}
