/**
 * An async iterator fed by push(). Unlike a stream's or an async generator's iterator, return() ends it at
 * once even while a next() is waiting (graphql-ws calls return() when a client completes or goes away;
 * a generator would only see it after one more value, which may never come).
 */
export interface PushQueue<T> extends AsyncIterableIterator<T> {
  push(value: T): void;
  /** Ends it: a waiting next() and every later one answer done. */
  end(): void;
  /** Values pushed and not yet taken. */
  readonly queued: number;
  readonly ended: boolean;
}

export function createPushQueue<T>(onEnd: () => void): PushQueue<T> {
  const values: T[] = [];
  let waiting: ((result: IteratorResult<T>) => void) | undefined;
  let ended = false;
  const end = (): IteratorResult<T> => {
    if (!ended) {
      ended = true;
      values.length = 0;
      waiting?.({ value: undefined, done: true });
      waiting = undefined;
      onEnd();
    }
    return { value: undefined, done: true };
  };
  return {
    push(value) {
      if (ended) return;
      if (waiting) {
        const resolve = waiting;
        waiting = undefined;
        resolve({ value, done: false });
      } else values.push(value);
    },
    end() {
      end();
    },
    get queued() {
      return values.length;
    },
    get ended() {
      return ended;
    },
    next() {
      if (values.length > 0) return Promise.resolve({ value: values.shift() as T, done: false });
      if (ended) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve) => {
        waiting = resolve;
      });
    },
    return: () => Promise.resolve(end()),
    throw: (error: unknown) => {
      end();
      return Promise.reject(error);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
