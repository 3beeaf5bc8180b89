/**
 * The detection rule shared by the full registry and the lazy catalogue: every
 * format scores the head; the highest positive score wins, the earlier format
 * on a tie (list order only breaks ties); a detector that throws scores 0.
 */
export function bestMatch<T extends { detect(head: Buffer): number }>(formats: readonly T[], head: Buffer): { format: T; confidence: number } | undefined {
  let best: { format: T; confidence: number } | undefined;
  for (const format of formats) {
    let confidence = 0;
    try {
      confidence = format.detect(head);
    } catch {
      confidence = 0;
    }
    if (confidence > 0 && (!best || confidence > best.confidence)) best = { format, confidence };
  }
  return best;
}
