/**
 * Rate-limit windows are clock minutes. A test that spends a budget and expects the next request
 * refused must not straddle a minute's end, where the budget refills: when fewer than `marginMs`
 * remain of the current minute, wait for the next one to begin.
 */
export async function awayFromMinuteEdge(marginMs = 5_000): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < marginMs) await new Promise((resolve) => setTimeout(resolve, left + 50));
}
