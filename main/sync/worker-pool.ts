// One way to run "at most N at once" over a list, shared by the scan, the pull loop and the uploader's parts, so the
// three do not each grow their own slightly different worker loop (and its stop and ordering bugs).

/**
 * Run `fn` over `items` with at most `limit` in flight, starting them in order. `shouldStop` is asked before each
 * new item: once it says true, no further item starts (those in flight finish). Results keep the items' order;
 * items never started are left undefined.
 */
export async function mapPool<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
  shouldStop: () => boolean = () => false,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (!shouldStop()) {
      const i = next++;
      if (i >= items.length) return;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(0, Math.min(Math.max(1, limit), items.length)) }, worker));
  return out;
}
