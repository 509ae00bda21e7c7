import { fork, type ChildProcess, type ForkOptions, type Serializable } from 'node:child_process';

/**
 * A bench helper process spoken to over IPC, and the messages it has sent that nobody has taken yet. A message of
 * type `error` from the child, a failure to start, or an exit before the awaited message fails whoever waits.
 */
export class Forked<ToChild extends Serializable, FromChild extends { readonly type: string }> {
  private readonly child: ChildProcess;
  private readonly inbox: FromChild[] = [];
  private waiting: { resolve(m: FromChild): void; reject(e: Error): void } | undefined;
  private failure: Error | undefined;
  /** Resolves when the process exits with code 0; rejects on any other end. */
  readonly exited: Promise<void>;

  constructor(script: string, options: ForkOptions, private readonly name: string) {
    this.child = fork(script, [], options);
    this.child.on('message', (m: FromChild) => {
      if (this.waiting) {
        this.waiting.resolve(m);
        this.waiting = undefined;
      } else {
        this.inbox.push(m);
      }
    });
    const fail = (error: Error) => {
      this.failure ??= error;
      this.waiting?.reject(error);
      this.waiting = undefined;
    };
    this.child.on('error', fail);
    this.exited = new Promise((resolve, reject) =>
      this.child.on('exit', (code, signal) => {
        const error = code === 0 ? undefined : new Error(`${this.label} exited with ${code ?? signal}`);
        fail(error ?? new Error(`${this.label} exited`));
        if (error) reject(error);
        else resolve();
      }),
    );
    // Whoever awaits `exited` sees the failure; an unobserved one must not end the bench on its own.
    this.exited.catch(() => undefined);
  }

  private get label(): string {
    return `${this.name} ${this.child.pid}`;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  send(message: ToChild): void {
    if (this.failure) throw this.failure;
    this.child.send(message);
  }

  /** The next message, which must be of `type`. */
  async expect<T extends FromChild['type']>(type: T): Promise<Extract<FromChild, { type: T }>> {
    const message = this.inbox.shift() ?? (await new Promise<FromChild>((resolve, reject) => {
      if (this.failure) reject(this.failure);
      else this.waiting = { resolve, reject };
    }));
    if (message.type === 'error') throw new Error(`${this.label} failed: ${String((message as { message?: unknown }).message)}`);
    if (message.type !== type) throw new Error(`${this.label} sent "${message.type}", expected "${type}"`);
    return message as Extract<FromChild, { type: T }>;
  }

  /** Sends `message` and waits for the reply of type `reply`. */
  async call<T extends FromChild['type']>(message: ToChild, reply: T): Promise<Extract<FromChild, { type: T }>> {
    this.send(message);
    return this.expect(reply);
  }

  /**
   * Asks the process to stop with `message` and waits for `reply` and its exit, so it ends cleanly (a --cpu-prof
   * profile is written on exit); killed if it has not ended within `timeoutMs` or the request fails.
   */
  async stop(message: ToChild, reply: FromChild['type'], timeoutMs: number): Promise<void> {
    if (!this.running) return;
    const timer = setTimeout(() => this.kill(), timeoutMs);
    try {
      await this.call(message, reply);
    } catch {
      this.kill();
    }
    // A killed process ends with a signal: that is the stop asked for, not a failure.
    await this.exited.catch(() => undefined);
    clearTimeout(timer);
  }

  kill(): void {
    if (this.running) this.child.kill();
  }
}
