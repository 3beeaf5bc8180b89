/**
 * A first-in first-out queue over an array with a moving head (no O(n)
 * Array.shift per event); removal from the middle is allowed for the rare
 * out-of-order match and compacts lazily.
 */
import { emptyInPlace } from '../model/arrays.js';
export class Fifo<T> {
  private items: Array<T | undefined> = [];
  private head = 0;
  private live = 0;

  get length(): number {
    return this.live;
  }

  push(x: T): void {
    this.items.push(x);
    this.live++;
  }

  /** Remove and return the oldest item. */
  shift(): T | undefined {
    while (this.head < this.items.length) {
      const x = this.items[this.head];
      this.items[this.head++] = undefined;
      if (x !== undefined) {
        this.live--;
        this.compact();
        return x;
      }
    }
    return undefined;
  }

  /** Oldest item matching `pred`, left in place. */
  find(pred: (x: T) => boolean): T | undefined {
    for (let i = this.head; i < this.items.length; i++) {
      const x = this.items[i];
      if (x !== undefined && pred(x)) return x;
    }
    return undefined;
  }

  /** Remove and return the oldest item matching `pred`. */
  takeFirst(pred: (x: T) => boolean): T | undefined {
    for (let i = this.head; i < this.items.length; i++) {
      const x = this.items[i];
      if (x !== undefined && pred(x)) {
        this.items[i] = undefined;
        this.live--;
        this.compact();
        return x;
      }
    }
    return undefined;
  }

  forEach(fn: (x: T) => void): void {
    for (let i = this.head; i < this.items.length; i++) {
      const x = this.items[i];
      if (x !== undefined) fn(x);
    }
  }

  private compact(): void {
    while (this.head < this.items.length && this.items[this.head] === undefined) this.head++;
    if (this.head === this.items.length) {
      emptyInPlace(this.items);
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    } else {
      const holes = this.items.length - this.head - this.live;
      // an old item that never leaves must not make the array grow with the trace
      if (holes > 1024 && holes > this.live) {
        this.items = this.items.slice(this.head).filter((x) => x !== undefined);
        this.head = 0;
      }
    }
  }
}
