// Live updates by polling: the API has no push for lists, and two seconds is live enough. Each
// round starts after the previous one finished, so a slow server is never asked twice at once.
export function poll(intervalMs: number, round: () => Promise<void>): () => void {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const tick = async () => {
    try {
      await round();
    } finally {
      if (!stopped) timer = setTimeout(tick, intervalMs);
    }
  };
  void tick();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
