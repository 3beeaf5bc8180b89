/**
 * A red-black tree of sector ranges keyed by start sector, with the exact
 * shape-changing algorithms of the Linux kernel's lib/rbtree.c
 * (`__rb_insert`, `__rb_erase_augmented`, `____rb_erase_color`), which btt
 * links in through its own copy (blktrace `btt/rbtree.c`).
 *
 * Why the exact algorithm matters: btt answers two questions by walking this
 * tree, and both answers depend on its shape, not only on its contents:
 *  - `findContaining(sec)` (btt `rb_find_sec`): the FIRST node met on the
 *    descent whose [start, end) holds `sec` — with overlapping in-flight
 *    ranges, which one is met first depends on the shape;
 *  - `forEachContainedBtt(lo, hi)` (btt `rb_foreach`): a pruned pre-order
 *    walk that enters the right subtree only while `node.end < hi`, so a
 *    range lying right of a larger overlapping ancestor is never visited.
 * Reproducing btt's numbers therefore means reproducing its tree.
 *
 * The correct tracker (lifetime.ts) uses the same tree with duplicates kept
 * (`insertMulti`) and plain in-order range scans (`lowerBound`/`next`).
 */

export interface RbNode {
  /** First sector (key). */
  start: number;
  /** One past the last sector. */
  end: number;
  left: RbNode | null;
  right: RbNode | null;
  parent: RbNode | null;
  red: boolean;
}

export function rbFields(): Pick<RbNode, 'left' | 'right' | 'parent' | 'red'> {
  return { left: null, right: null, parent: null, red: true };
}

export class RbTree<N extends RbNode> {
  root: N | null = null;
  size = 0;

  /**
   * btt `rb_insert`: a node whose start equals an existing node's start
   * REPLACES it in place (`rb_replace_node`, same position and colour); the
   * old node is returned and is no longer in the tree.
   */
  insertReplace(node: N): N | null {
    let parent: RbNode | null = null;
    let p = this.root as RbNode | null;
    let left = false;
    const s = node.start;
    while (p) {
      parent = p;
      if (s < p.start) {
        p = p.left;
        left = true;
      } else if (s > p.start) {
        p = p.right;
        left = false;
      } else {
        this.replace(p, node);
        return p as N;
      }
    }
    this.link(node, parent, left);
    return null;
  }

  /**
   * Insert keeping duplicates: an equal start goes to the right (after
   * existing ones in order). Returns whether a node with the same start was
   * already there (a search for a key always passes one that exists).
   */
  insertMulti(node: N): boolean {
    let parent: RbNode | null = null;
    let p = this.root as RbNode | null;
    let left = false;
    let dup = false;
    while (p) {
      parent = p;
      if (node.start === p.start) dup = true;
      left = node.start < p.start;
      p = left ? p.left : p.right;
    }
    this.link(node, parent, left);
    return dup;
  }

  /** Forget every node (they are not unlinked). */
  clear(): void {
    this.root = null;
    this.size = 0;
  }

  /** btt `rb_find_sec`: descend; the first node whose [start, end) holds `sec`. */
  findContaining(sec: number): N | null {
    let n = this.root as RbNode | null;
    while (n) {
      if (sec < n.start) n = n.left;
      else if (sec >= n.end) n = n.right;
      else return n as N;
    }
    return null;
  }

  /**
   * btt `rb_foreach`: nodes with lo <= start and end <= hi, in btt's pruned
   * pre-order (left subtree only if lo < node.start, right only if node.end < hi).
   */
  forEachContainedBtt(lo: number, hi: number, out: N[]): void {
    const stack: RbNode[] = [];
    if (this.root) stack.push(this.root);
    while (stack.length > 0) {
      const n = stack.pop()!;
      if (lo <= n.start && n.end <= hi) out.push(n as N);
      // pre-order: left before right, so push right first
      if (n.end < hi && n.right) stack.push(n.right);
      if (lo < n.start && n.left) stack.push(n.left);
    }
  }

  /** First node in order with start >= `start`. */
  lowerBound(start: number): N | null {
    let n = this.root as RbNode | null;
    let best: RbNode | null = null;
    while (n) {
      if (n.start >= start) {
        best = n;
        n = n.left;
      } else n = n.right;
    }
    return best as N | null;
  }

  /** In-order successor. */
  next(node: N): N | null {
    let n: RbNode | null = node;
    if (n.right) {
      n = n.right;
      while (n.left) n = n.left;
      return n as N;
    }
    let p = n.parent;
    while (p && n === p.right) {
      n = p;
      p = p.parent;
    }
    return p as N | null;
  }

  /** In-order predecessor. */
  prev(node: N): N | null {
    let n: RbNode | null = node;
    if (n.left) {
      n = n.left;
      while (n.right) n = n.right;
      return n as N;
    }
    let p = n.parent;
    while (p && n === p.left) {
      n = p;
      p = p.parent;
    }
    return p as N | null;
  }

  /**
   * Remove the `count` nodes with the smallest `age(node)` (oldest first);
   * returns them. O(n log n): meant for rare memory-cap evictions.
   */
  evictOldest(count: number, age: (n: N) => number): N[] {
    const all: N[] = [];
    for (let n = this.first(); n; n = this.next(n)) all.push(n);
    all.sort((a, b) => age(a) - age(b));
    const out = all.slice(0, Math.max(0, Math.min(count, all.length)));
    for (const n of out) this.erase(n);
    return out;
  }

  first(): N | null {
    let n = this.root as RbNode | null;
    if (!n) return null;
    while (n.left) n = n.left;
    return n as N;
  }

  private link(node: RbNode, parent: RbNode | null, left: boolean): void {
    node.parent = parent;
    node.left = node.right = null;
    node.red = true;
    if (!parent) this.root = node as N;
    else if (left) parent.left = node;
    else parent.right = node;
    this.size++;
    this.insertColor(node);
  }

  /**
   * `node` takes `victim`'s place (lib/rbtree.c `rb_replace_node`: same
   * position and colour, no rebalancing); the caller keeps the order valid.
   */
  replace(victim: RbNode, node: RbNode): void {
    node.parent = victim.parent;
    node.left = victim.left;
    node.right = victim.right;
    node.red = victim.red;
    this.changeChild(victim, node, victim.parent);
    if (victim.left) victim.left.parent = node;
    if (victim.right) victim.right.parent = node;
    victim.left = victim.right = victim.parent = null;
  }

  private changeChild(old: RbNode, neu: RbNode | null, parent: RbNode | null): void {
    if (!parent) this.root = neu as N | null;
    else if (parent.left === old) parent.left = neu;
    else parent.right = neu;
  }

  /** Makes `neu` take `old`'s place (parent link and colour); old becomes neu's child. */
  private rotateSetParents(old: RbNode, neu: RbNode, red: boolean): void {
    const parent = old.parent;
    neu.parent = parent;
    neu.red = old.red;
    old.parent = neu;
    old.red = red;
    this.changeChild(old, neu, parent);
  }

  /** lib/rbtree.c `__rb_insert`. */
  private insertColor(node: RbNode): void {
    let parent = node.parent;
    for (;;) {
      if (!parent) {
        node.red = false;
        return;
      }
      if (!parent.red) return;
      const gparent = parent.parent!;
      let tmp = gparent.right;
      if (parent !== tmp) {
        if (tmp && tmp.red) {
          tmp.red = false;
          parent.red = false;
          node = gparent;
          parent = node.parent;
          node.red = true;
          continue;
        }
        tmp = parent.right;
        if (node === tmp) {
          tmp = node.left;
          parent.right = tmp;
          node.left = parent;
          if (tmp) tmp.parent = parent;
          parent.parent = node;
          parent = node;
          tmp = node.right;
        }
        tmp = parent.right;
        gparent.left = tmp;
        parent.right = gparent;
        if (tmp) tmp.parent = gparent;
        this.rotateSetParents(gparent, parent, true);
        return;
      } else {
        tmp = gparent.left;
        if (tmp && tmp.red) {
          tmp.red = false;
          parent.red = false;
          node = gparent;
          parent = node.parent;
          node.red = true;
          continue;
        }
        tmp = parent.left;
        if (node === tmp) {
          tmp = node.right;
          parent.left = tmp;
          node.right = parent;
          if (tmp) tmp.parent = parent;
          parent.parent = node;
          parent = node;
        }
        tmp = parent.left;
        gparent.right = tmp;
        parent.left = gparent;
        if (tmp) tmp.parent = gparent;
        this.rotateSetParents(gparent, parent, true);
        return;
      }
    }
  }

  /** lib/rbtree.c `__rb_erase_augmented` + `____rb_erase_color`. */
  erase(node: N): void {
    const child = node.right;
    let tmp = node.left;
    let parent: RbNode | null;
    let rebalance: RbNode | null;
    if (!tmp) {
      parent = node.parent;
      this.changeChild(node, child, parent);
      if (child) {
        child.parent = parent;
        child.red = node.red;
        rebalance = null;
      } else rebalance = node.red ? null : parent;
    } else if (!child) {
      parent = node.parent;
      tmp.parent = parent;
      tmp.red = node.red;
      this.changeChild(node, tmp, parent);
      rebalance = null;
    } else {
      let successor: RbNode = child;
      let child2: RbNode | null;
      tmp = child.left;
      if (!tmp) {
        parent = successor;
        child2 = successor.right;
      } else {
        do {
          parent = successor;
          successor = tmp;
          tmp = tmp.left;
        } while (tmp);
        child2 = successor.right;
        parent.left = child2;
        successor.right = child;
        child.parent = successor;
      }
      tmp = node.left!;
      successor.left = tmp;
      tmp.parent = successor;
      const wasRed = successor.red;
      this.changeChild(node, successor, node.parent);
      successor.parent = node.parent;
      successor.red = node.red;
      if (child2) {
        child2.parent = parent;
        child2.red = false;
        rebalance = null;
      } else rebalance = wasRed ? null : parent;
    }
    node.left = node.right = node.parent = null;
    this.size--;
    if (rebalance) this.eraseColor(rebalance);
  }

  private eraseColor(parentIn: RbNode): void {
    let parent: RbNode = parentIn;
    let node: RbNode | null = null;
    for (;;) {
      let sibling = parent.right;
      if (node !== sibling) {
        // node is the left child
        if (sibling!.red) {
          const t1 = sibling!.left;
          parent.right = t1;
          sibling!.left = parent;
          t1!.parent = parent;
          this.rotateSetParents(parent, sibling!, true);
          sibling = t1;
        }
        let t1 = sibling!.right;
        if (!t1 || !t1.red) {
          const t2 = sibling!.left;
          if (!t2 || !t2.red) {
            sibling!.red = true;
            if (parent.red) parent.red = false;
            else {
              node = parent;
              const p = node.parent;
              if (p) {
                parent = p;
                continue;
              }
            }
            return;
          }
          t1 = t2.right;
          sibling!.left = t1;
          t2.right = sibling;
          parent.right = t2;
          if (t1) {
            t1.parent = sibling;
            t1.red = false;
          }
          sibling!.parent = t2;
          t1 = sibling;
          sibling = t2;
        }
        const t2 = sibling!.left;
        parent.right = t2;
        sibling!.left = parent;
        t1!.parent = sibling;
        t1!.red = false;
        if (t2) t2.parent = parent;
        this.rotateSetParents(parent, sibling!, false);
        return;
      } else {
        sibling = parent.left;
        if (sibling!.red) {
          const t1 = sibling!.right;
          parent.left = t1;
          sibling!.right = parent;
          t1!.parent = parent;
          this.rotateSetParents(parent, sibling!, true);
          sibling = t1;
        }
        let t1 = sibling!.left;
        if (!t1 || !t1.red) {
          const t2 = sibling!.right;
          if (!t2 || !t2.red) {
            sibling!.red = true;
            if (parent.red) parent.red = false;
            else {
              node = parent;
              const p = node.parent;
              if (p) {
                parent = p;
                continue;
              }
            }
            return;
          }
          t1 = t2.left;
          sibling!.right = t1;
          t2.left = sibling;
          parent.left = t2;
          if (t1) {
            t1.parent = sibling;
            t1.red = false;
          }
          sibling!.parent = t2;
          t1 = sibling;
          sibling = t2;
        }
        const t2 = sibling!.right;
        parent.left = t2;
        sibling!.right = parent;
        t1!.parent = sibling;
        t1!.red = false;
        if (t2) t2.parent = parent;
        this.rotateSetParents(parent, sibling!, false);
        return;
      }
    }
  }
}
