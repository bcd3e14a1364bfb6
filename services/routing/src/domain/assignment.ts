/**
 * Assignment policy of a queue: how a waiting conversation finds an agent.
 * round-robin: agents take turns; least-busy: the agent with the fewest active
 * conversations; manual: agents pick from the queue themselves. onlineOnly
 * keeps offline agents out of automatic assignment.
 */
export type AssignmentStrategy = 'round-robin' | 'least-busy' | 'manual';

export interface AssignmentPolicy {
  readonly strategy: AssignmentStrategy;
  readonly onlineOnly: boolean;
  /** An agent never gets more than this many active conversations automatically. */
  readonly maxActivePerAgent: number;
}

export const DEFAULT_ASSIGNMENT_POLICY: AssignmentPolicy = { strategy: 'least-busy', onlineOnly: true, maxActivePerAgent: 5 };

export interface Candidate {
  readonly agentId: string;
  readonly online: boolean;
  readonly active: number;
}

/** The agent to assign, or undefined when nobody fits (the conversation waits in the queue). */
export function chooseAgent(policy: AssignmentPolicy, candidates: readonly Candidate[], turn: number): string | undefined {
  if (policy.strategy === 'manual') return undefined;
  const eligible = candidates
    .filter((c) => (!policy.onlineOnly || c.online) && c.active < policy.maxActivePerAgent)
    .sort((a, b) => a.agentId.localeCompare(b.agentId));
  if (eligible.length === 0) return undefined;
  switch (policy.strategy) {
    case 'round-robin':
      return eligible[turn % eligible.length]?.agentId;
    case 'least-busy':
      return [...eligible].sort((a, b) => a.active - b.active || a.agentId.localeCompare(b.agentId))[0]?.agentId;
  }
}

/** The policy for a queue: its own entry, else the default entry, else the built-in default. */
export function policyFor(queue: string, policies: Readonly<Record<string, AssignmentPolicy>>): AssignmentPolicy {
  return policies[queue] ?? policies['default'] ?? DEFAULT_ASSIGNMENT_POLICY;
}
