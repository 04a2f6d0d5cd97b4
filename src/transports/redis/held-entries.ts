/**
 * The stream entries one Redis subscription holds: reserved (on their way to the buffer), buffered
 * (read, waiting for a free handler) and in flight (a handler runs). Every entry is held at most once,
 * so a re-read of the consumer's own pending entries or a reclaim never delivers twice what the
 * consumer already has in hand; and the free capacity (prefetch minus what is held) decides how much
 * the read loop and the reclaim may take.
 */
import type { RawEntry } from "./fields.js";
import type { PartitionKeys } from "./naming.js";
import type { RedisDelivery } from "./delivery.js";

/** An entry read and buffered, waiting for a free handler. */
export interface HeldItem {
  readonly raw: RawEntry;
  /** The entry id (`raw[0]` as text). */
  readonly id: string;
  readonly stream: string;
  readonly keys: PartitionKeys;
  /** Deliveries of the entry so far (XPENDING's count; 1 for a first read). */
  readonly deliveryCount: number;
}

/** One running handler. */
export interface HandlerSlot {
  /** Set once the entry decoded into a delivery. */
  delivery: RedisDelivery | undefined;
  readonly stream: string;
  readonly id: string;
  /** {@link entryKey} of stream and id. */
  readonly key: string;
  readonly partition: number;
  /** Settles (never rejects) when the handler and its settlement are done. */
  done: Promise<void>;
}

/** The key an entry is held under: its stream and id. */
export function entryKey(stream: string, id: string): string {
  return `${stream}\u0000${id}`;
}

/** What a subscription holds; see the module comment. */
export class HeldEntries {
  private readonly slots = new Map<string, HandlerSlot>();
  /** Keys of every reserved, buffered or in-flight entry. */
  private readonly keys = new Set<string>();
  private items: HeldItem[] = [];

  constructor(readonly prefetch: number) {}

  /** How many more entries may be taken: prefetch minus buffered and in-flight ones. */
  get capacity(): number {
    return this.prefetch - this.slots.size - this.items.length;
  }

  /** Entries buffered or in flight. */
  get size(): number {
    return this.slots.size + this.items.length;
  }

  get inFlight(): number {
    return this.slots.size;
  }

  get buffered(): readonly HeldItem[] {
    return this.items;
  }

  /** The running handlers. */
  running(): IterableIterator<HandlerSlot> {
    return this.slots.values();
  }

  /** Mark an entry as held here; false when it already is (then it must not be delivered again). */
  reserve(stream: string, id: string): boolean {
    const key = entryKey(stream, id);
    if (this.keys.has(key)) return false;
    this.keys.add(key);
    return true;
  }

  /** Forget a reservation that was not handed out (it stays pending in Redis for a later read). */
  unreserve(stream: string, id: string): void {
    this.keys.delete(entryKey(stream, id));
  }

  /** Buffer an entry reserved with {@link reserve}. */
  buffer(item: HeldItem): void {
    this.items.push(item);
  }

  /**
   * Take the oldest buffered entry into a handler slot; `run` starts its handler and returns the
   * handler's end, which must call {@link finish}. Undefined when nothing is buffered.
   */
  startNext(run: (item: HeldItem, slot: HandlerSlot) => Promise<void>): HandlerSlot | undefined {
    const item = this.items.shift();
    if (!item) return undefined;
    const id = item.id;
    const key = entryKey(item.stream, id);
    const slot: HandlerSlot = {
      delivery: undefined,
      stream: item.stream,
      id,
      key,
      partition: item.keys.partition,
      done: Promise.resolve(),
    };
    this.slots.set(key, slot);
    slot.done = run(item, slot);
    return slot;
  }

  /** A handler finished: the entry is no longer held. */
  finish(slot: HandlerSlot): void {
    this.slots.delete(slot.key);
    this.keys.delete(slot.key);
  }

  /** Forget buffered items (they stay pending in Redis, for a reclaim or the next owner). */
  dropBuffered(which: (item: HeldItem) => boolean): void {
    const keep: HeldItem[] = [];
    for (const item of this.items) {
      if (which(item)) this.keys.delete(entryKey(item.stream, item.id));
      else keep.push(item);
    }
    this.items = keep;
  }

  /** Ids per stream of everything buffered or in flight (to give back on close). */
  byStream(): Map<string, string[]> {
    const back = new Map<string, string[]>();
    const add = (stream: string, id: string): void => {
      const ids = back.get(stream);
      if (ids) ids.push(id);
      else back.set(stream, [id]);
    };
    for (const slot of this.slots.values()) add(slot.stream, slot.id);
    for (const item of this.items) add(item.stream, item.id);
    return back;
  }
}
