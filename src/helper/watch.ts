// Waiting for file descriptors without blocking the helper: one poll(2) at a time runs in a libuv
// worker thread over every watched fd (ring buffer and perf buffer epoll fds, the tracing pipe)
// plus an eventfd that interrupts it when the set changes. Handlers run on the main thread between
// requests and must drain what they are told is readable (poll is level-triggered).
import * as L from './libbpf';

const POLLIN = 0x1;
const POLLERR = 0x8;
const POLLHUP = 0x10;
const POLLNVAL = 0x20;

export class FdWatcher {
  private readonly handlers = new Map<number, () => void>();
  private wake = -1;
  private running = false;
  private disposed = false;
  /** Resolves when the poll(2) now running in the worker returns. */
  private polling: Promise<unknown> = Promise.resolve();

  /**
   * Calls `onReadable` whenever `fd` has data, until the returned function is called. That function
   * resolves once no poll holds the fd any more: poll(2) keeps a reference to the file while it
   * waits, so closing the fd before then does not release it (the tracing pipe stays busy).
   */
  watch(fd: number, onReadable: () => void): () => Promise<void> {
    if (this.wake < 0) this.wake = L.eventFd();
    this.handlers.set(fd, onReadable);
    this.interrupt();
    void this.loop();
    return () => {
      if (this.handlers.get(fd) !== onReadable) return Promise.resolve();
      this.handlers.delete(fd);
      this.interrupt();
      return this.running ? this.polling.then(() => undefined) : Promise.resolve();
    };
  }

  get size(): number {
    return this.handlers.size;
  }

  private interrupt(): void {
    if (this.running) L.eventFdSignal(this.wake);
  }

  private async loop(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const drain = Buffer.alloc(8);
    try {
      while (this.handlers.size > 0 && !this.disposed) {
        const fds = [this.wake, ...this.handlers.keys()];
        const buf = Buffer.alloc(8 * fds.length);
        fds.forEach((fd, i) => {
          buf.writeInt32LE(fd, i * 8);
          buf.writeInt16LE(POLLIN, i * 8 + 4);
        });
        this.polling = L.pollAsync(buf, -1);
        const n = (await this.polling) as number;
        if (n <= 0) continue; // EINTR
        if (buf.readInt16LE(6) !== 0) L.readNonBlocking(this.wake, drain);
        for (let i = 1; i < fds.length; i++) {
          const revents = buf.readInt16LE(i * 8 + 6);
          if (!(revents & (POLLIN | POLLERR | POLLHUP | POLLNVAL))) continue;
          const handler = this.handlers.get(fds[i]);
          if (!handler) continue; // unwatched while poll ran
          try {
            handler();
          } catch (e) {
            process.stderr.write(`fd ${fds[i]} handler failed: ${(e as Error).stack ?? e}\n`);
          }
          // An fd that reports an error forever would spin: drop it (its owner sees the error on its next read).
          if (revents & POLLNVAL) this.handlers.delete(fds[i]);
        }
      }
    } finally {
      this.running = false;
    }
  }

  dispose(): void {
    this.disposed = true;
    this.handlers.clear();
    if (this.wake >= 0) {
      L.eventFdSignal(this.wake);
      // The worker's poll returns on the signal; closing after it cannot race with a new poll.
      const fd = this.wake;
      this.wake = -1;
      setTimeout(() => L.closeFd(fd), 50).unref();
    }
  }
}
