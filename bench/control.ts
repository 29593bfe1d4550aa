import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The runner's handle on one bench/peer.ts child process. */
export class Peer {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly eventWaiters: ((event: Record<string, unknown>) => void)[] = [];
  private readonly ready: Promise<void>;
  readonly child: ChildProcess;

  constructor(readonly label: string) {
    const script = fileURLToPath(new URL('./peer.js', import.meta.url));
    this.child = fork(script, [], { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let markReady: () => void;
    this.ready = new Promise((resolve) => (markReady = resolve));
    this.child.on('message', (message: Record<string, unknown>) => {
      if (message.event === 'ready') return markReady();
      if (message.event !== undefined) {
        const waiter = this.eventWaiters.shift();
        waiter?.(message);
        return;
      }
      const entry = this.pending.get(message.id as number);
      if (!entry) return;
      this.pending.delete(message.id as number);
      if (message.error) entry.reject(new Error(`${this.label}: ${String(message.error)}`));
      else entry.resolve(message.result);
    });
    this.child.on('exit', (code) => {
      for (const { reject } of this.pending.values()) reject(new Error(`${this.label} exited with ${code}`));
      this.pending.clear();
    });
  }

  async call<T>(cmd: string, args: Record<string, unknown> = {}): Promise<T> {
    await this.ready;
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ id, cmd, ...args });
    });
  }

  /** The next unsolicited event (e.g. a sink's byte count). */
  nextEvent(): Promise<Record<string, unknown>> {
    return new Promise((resolve) => this.eventWaiters.push(resolve));
  }

  async close(): Promise<void> {
    try {
      await Promise.race([this.call('exit'), new Promise((r) => setTimeout(r, 1000))]);
    } catch {
      // already gone
    }
    if (this.child.exitCode === null) this.child.kill();
  }
}
