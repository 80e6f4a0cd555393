/**
 * `target` with every method whose promise rejects told to `onRejected` by its name (the store's
 * failures, for metrics, without a line in each store). The caller still gets the same promise.
 * Each method is wrapped once, on first use.
 */
export function countRejections<T extends object>(target: T, onRejected: (method: string) => void): T {
  const wrapped = new Map<string, (...args: unknown[]) => unknown>();
  return new Proxy(target, {
    get(object, property, receiver) {
      const value: unknown = Reflect.get(object, property, receiver);
      if (typeof value !== "function" || typeof property !== "string") return value;
      let wrapper = wrapped.get(property);
      if (!wrapper) {
        wrapper = (...args: unknown[]) => {
          const result: unknown = Reflect.apply(value, object, args);
          if (result instanceof Promise) result.catch(() => onRejected(property));
          return result;
        };
        wrapped.set(property, wrapper);
      }
      return wrapper;
    },
  });
}
