/**
 * A bounded, depth-first walk of a znode tree with pre- and post-order steps, for the bulk paths (copy, verify).
 *
 * Why not recursion with `Promise.all` over children: on a wide tree that starts one pending visit per node at
 * once — 100,000 promise chains and closures for a 100,000-node tree, each waiting for a request slot — and the
 * process spends its time collecting garbage. Here at most `concurrency` nodes are being entered at a time; the
 * rest are a stack of (parent, name) pairs, and a node's `leave` runs once all its children have left, which is
 * what the copy needs to set a restrictive ACL only after the children exist and verify needs to hash a subtree.
 */
import { childRel, Rel } from './tree-paths';

export interface TreeWalk<T> {
  /**
   * Reads a node: the children to walk (already filtered) and a value kept until the node leaves, or null when
   * the node is not part of the walk (absent, ephemeral).
   */
  enter(rel: Rel): Promise<{ children: string[]; value: T } | null>;
  /** Runs after every child has left; `present` lists the children whose `enter` did not return null. */
  leave?(rel: Rel, value: T, present: string[]): Promise<void> | void;
}

interface Frame<T> {
  rel: Rel;
  name: string;
  value: T;
  remaining: number;
  present: string[];
  parent?: Frame<T>;
}

interface Pending<T> {
  rel: Rel;
  name: string;
  parent?: Frame<T>;
}

/** Walks the tree under `root`; resolves whether the root was part of it. The first error stops the walk. */
export function walkTree<T>(root: Rel, walk: TreeWalk<T>, concurrency: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const stack: Pending<T>[] = [{ rel: root, name: '' }];
    let active = 0;
    let failure: { error: unknown } | undefined;
    let rootPresent = false;

    const settle = (): void => {
      if (active > 0) return;
      if (failure) reject(failure.error);
      else if (stack.length === 0) resolve(rootPresent);
    };
    const fail = (error: unknown): void => {
      failure ??= { error };
      stack.length = 0;
    };
    /** A child has left (or was not part of the walk); its parent leaves once the last child has. */
    const childDone = (parent: Frame<T> | undefined, name: string, present: boolean): void => {
      if (!parent) {
        rootPresent = present;
        return;
      }
      if (present) parent.present.push(name);
      if (--parent.remaining === 0) leave(parent);
    };
    const leave = (frame: Frame<T>): void => {
      if (failure) return;
      if (!walk.leave) return childDone(frame.parent, frame.name, true);
      active++;
      Promise.resolve()
        .then(() => walk.leave!(frame.rel, frame.value, frame.present))
        .then(
          () => childDone(frame.parent, frame.name, true),
          (err: unknown) => fail(err),
        )
        .finally(() => {
          active--;
          pump();
        });
    };
    const pump = (): void => {
      while (!failure && active < concurrency && stack.length > 0) {
        const next = stack.pop()!;
        active++;
        walk
          .enter(next.rel)
          .then(
            (entered) => {
              if (failure) return;
              if (!entered) return childDone(next.parent, next.name, false);
              const frame: Frame<T> = { rel: next.rel, name: next.name, value: entered.value, remaining: entered.children.length, present: [], parent: next.parent };
              // Pushed in reverse so they are entered in listing order.
              for (let i = entered.children.length - 1; i >= 0; i--) stack.push({ rel: childRel(next.rel, entered.children[i]), name: entered.children[i], parent: frame });
              if (frame.remaining === 0) leave(frame);
            },
            (err: unknown) => fail(err),
          )
          .finally(() => {
            active--;
            pump();
          });
      }
      settle();
    };
    pump();
  });
}
