// Streams the helper pushes to a client (trace lines, ring-buffer records) as batched
// notifications with flow control: at most one batch is unacknowledged at any time. While the client
// has not acknowledged (batch.ack), new items collect up to the batch size and the rest are counted
// as dropped, never queued: helper memory stays bounded and the client is never more than one batch
// behind.

export interface Subscription {
  /** The client processed the last batch. */
  ack(): void;
  /** Stop reading and free everything (unsubscribe, or the helper exits); resolves when the fds are released. */
  close(): void | Promise<void>;
}

const subscriptions = new Map<number, Subscription>();
let nextId = 1;

export function register(make: (id: number) => Subscription): number {
  const id = nextId++;
  subscriptions.set(id, make(id));
  return id;
}

export function ack(id: number): void {
  subscriptions.get(id)?.ack();
}

/** Resolves false when there was no such subscription, true once it is closed. */
export async function close(id: number): Promise<boolean> {
  const s = subscriptions.get(id);
  if (!s) return false;
  subscriptions.delete(id);
  await s.close();
  return true;
}

/** Forgets a subscription whose setup failed (its owner frees what it had opened). */
export function forget(id: number): void {
  subscriptions.delete(id);
}

export function closeAll(): void {
  for (const id of [...subscriptions.keys()]) void close(id);
}

/**
 * Collects items into batches of at most `cap`, sends a batch `delayMs` after its first item (or at
 * once when full), and holds the next batch until the previous one is acknowledged.
 */
export class Outbox<T> {
  private items: T[] = [];
  private inFlight = false;
  private timer: NodeJS.Timeout | undefined;
  private dirty = false;
  private closed = false;
  /** Items offered while the batch was full. */
  dropped = 0;

  constructor(
    private readonly send: (items: T[]) => void,
    private readonly cap: number,
    private readonly delayMs = 50,
  ) {}

  /** Whether an item offered now would be kept (so a producer can skip decoding one that would not). */
  get hasRoom(): boolean {
    return this.items.length < this.cap;
  }

  push(item: T): void {
    if (this.items.length >= this.cap) {
      this.dropped++;
      return;
    }
    this.items.push(item);
    if (this.items.length >= this.cap) this.flush();
    else this.schedule();
  }

  /** Counts changed without new items (drops, lost records): send them with the next batch, even an empty one. */
  touch(): void {
    this.dirty = true;
    this.schedule();
  }

  ack(): void {
    this.inFlight = false;
    if (this.items.length >= this.cap) this.flush();
    else if (this.items.length || this.dirty) this.schedule();
  }

  private schedule(): void {
    if (this.timer || this.inFlight || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, this.delayMs);
  }

  private flush(): void {
    if (this.inFlight || this.closed || (this.items.length === 0 && !this.dirty)) return;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const batch = this.items;
    this.items = [];
    this.dirty = false;
    this.inFlight = true;
    this.send(batch);
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.items = [];
  }
}
