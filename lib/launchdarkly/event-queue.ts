// The stream session's queue of received events waiting to be applied, bounded while the store is slow.
// Events are applied one at a time; if DynamoDB slows down while LaunchDarkly keeps sending, a plain queue
// would grow without limit. Two rules keep it bounded by the size of the environment instead of by time:
// - a `put` is the whole data set, so it supersedes everything queued before it;
// - past COLLAPSE_AT queued events, the patches and deletes of one flag or segment collapse into the one
//   with the highest version, which is what applying them in turn would have left (the store keeps the
//   highest version). Below that the queue is kept event for event, so ordinary sessions apply exactly
//   what was sent.
import type { StreamEvent } from './parse.js';

/** Queued events beyond which same-key events are collapsed. */
export const COLLAPSE_AT = 1000;

export class EventQueue {
  private events: (StreamEvent | undefined)[] = [];
  private head = 0;
  private collapseAt = COLLAPSE_AT;
  /** Events dropped because a later put or a newer version of the same item superseded them. */
  superseded = 0;

  get length(): number {
    return this.events.length - this.head;
  }

  push(event: StreamEvent): void {
    if (event.type === 'put') {
      this.superseded += this.length;
      this.clear();
    }
    this.events.push(event);
    if (this.length > this.collapseAt) this.collapse();
  }

  shift(): StreamEvent | undefined {
    if (this.head >= this.events.length) return undefined;
    const event = this.events[this.head];
    this.events[this.head++] = undefined;
    if (this.head === this.events.length) this.clear();
    return event;
  }

  clear(): void {
    this.events = [];
    this.head = 0;
    this.collapseAt = COLLAPSE_AT;
  }

  private collapse(): void {
    const kept: StreamEvent[] = [];
    const at = new Map<string, number>();
    for (let i = this.head; i < this.events.length; i++) {
      const event = this.events[i]!;
      if (event.type === 'put') {
        kept.push(event);
        continue;
      }
      const id = `${event.kind}\u0000${event.type === 'patch' ? event.item.key : event.key}`;
      const index = at.get(id);
      if (index === undefined) {
        at.set(id, kept.length);
        kept.push(event);
      } else if (versionOf(event) > versionOf(kept[index]!)) {
        kept[index] = event;
      }
    }
    this.superseded += this.length - kept.length;
    this.events = kept;
    this.head = 0;
    // Collapse again only once the queue has doubled: amortised constant work per event.
    this.collapseAt = Math.max(COLLAPSE_AT, 2 * kept.length);
  }
}

function versionOf(event: StreamEvent): number {
  if (event.type === 'patch') return event.item.version;
  if (event.type === 'delete') return event.version;
  return Infinity;
}
