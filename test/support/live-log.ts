// Reading a task's live log (GET /v3/tasks/:guid/log as Server-Sent Events) over real HTTP, for
// tests that check lines arrive while the task still runs.

export interface FollowedLog {
  /** The stream as received, up to and including its `end` event. */
  text: string;
  /** The task's state (asked of `stateNow`) when the line `firstLine` had arrived. */
  stateAtFirstLine?: string;
  /** The texts of the output lines, in order. */
  lines: string[];
}

export async function followLiveLog(
  base: string,
  guid: string,
  token: string,
  firstLine: string,
  stateNow: () => Promise<string | undefined>,
): Promise<FollowedLog> {
  const res = await fetch(`${base}/v3/tasks/${guid}/log`, { headers: { accept: 'text/event-stream', authorization: `bearer ${token}` } });
  if (res.status !== 200) throw new Error(`live log answered ${res.status}: ${await res.text()}`);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let stateAtFirstLine: string | undefined;
  while (!text.includes('event: end')) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    if (stateAtFirstLine === undefined && text.includes(firstLine)) stateAtFirstLine = await stateNow();
  }
  await reader.cancel().catch(() => {});
  const lines = [...text.matchAll(/^data: (\{"seq".*\})$/gm)].map((m) => JSON.parse(m[1]!).text as string);
  return { text, stateAtFirstLine, lines };
}
