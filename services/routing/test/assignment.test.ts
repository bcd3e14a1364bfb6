import { chooseAgent, policyFor, DEFAULT_ASSIGNMENT_POLICY, type AssignmentPolicy } from '../src/domain/assignment';

const agents = [
  { agentId: 'ana', online: true, active: 2 },
  { agentId: 'bob', online: true, active: 0 },
  { agentId: 'cem', online: false, active: 0 },
  { agentId: 'dia', online: true, active: 5 },
];

describe('assignment policies', () => {
  it('least-busy picks the online agent with the fewest active conversations', () => {
    expect(chooseAgent({ strategy: 'least-busy', onlineOnly: true, maxActivePerAgent: 5 }, agents, 0)).toBe('bob');
  });

  it('online-only keeps offline agents out; without it they are eligible', () => {
    const onlyCem = agents.filter((a) => a.agentId === 'cem');
    expect(chooseAgent({ strategy: 'least-busy', onlineOnly: true, maxActivePerAgent: 5 }, onlyCem, 0)).toBeUndefined();
    expect(chooseAgent({ strategy: 'least-busy', onlineOnly: false, maxActivePerAgent: 5 }, onlyCem, 0)).toBe('cem');
  });

  it('round-robin takes eligible agents in turn, skipping those at their maximum', () => {
    const policy: AssignmentPolicy = { strategy: 'round-robin', onlineOnly: true, maxActivePerAgent: 5 };
    expect([0, 1, 2, 3].map((turn) => chooseAgent(policy, agents, turn))).toEqual(['ana', 'bob', 'ana', 'bob']);
  });

  it('manual never assigns', () => {
    expect(chooseAgent({ strategy: 'manual', onlineOnly: false, maxActivePerAgent: 5 }, agents, 0)).toBeUndefined();
  });

  it('a queue without its own policy takes the default entry, else the built-in default', () => {
    const rr: AssignmentPolicy = { strategy: 'round-robin', onlineOnly: true, maxActivePerAgent: 3 };
    expect(policyFor('madrid/cardiology', { default: rr })).toBe(rr);
    expect(policyFor('madrid/cardiology', {})).toBe(DEFAULT_ASSIGNMENT_POLICY);
  });
});
