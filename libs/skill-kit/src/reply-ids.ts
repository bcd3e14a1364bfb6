/**
 * Interactive reply ids carry their owner's namespace and the skill's own parts:
 * "sched:slot:abc123" → ["sched", "slot", "abc123"]. WhatsApp limits ids to 256 characters,
 * so parts are short ids, never PHI (a reply id travels through Meta).
 */
export function replyIdParts(replyId: string): readonly string[] {
  return replyId === '' ? [] : replyId.split(':');
}
