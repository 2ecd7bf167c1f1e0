// Wait for a condition in an end-to-end test, polling; on time-out, say what was awaited (and, when given, what the
// state was then, computed at that moment rather than when the wait began).
export async function until(
  cond: () => boolean | Promise<boolean>,
  ms = 20_000,
  what: string | (() => string) = 'condition',
  describe?: () => unknown,
): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) {
      const name = typeof what === 'function' ? what() : what;
      throw new Error(`timed out waiting for ${name}${describe ? `: ${JSON.stringify(describe())}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}
