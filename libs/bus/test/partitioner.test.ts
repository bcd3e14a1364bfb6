import fc from 'fast-check';
import { Partitioners, type PartitionerArgs, type PartitionMetadata } from 'kafkajs';
import { MemoizedDefaultPartitioner } from '@careloop/bus';

const partitions = (n: number, leaderless: readonly number[] = []): PartitionMetadata[] =>
  Array.from({ length: n }, (_, partitionId) => ({ partitionId, leader: leaderless.includes(partitionId) ? -1 : 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));
const args = (key: PartitionerArgs['message']['key'], n: number, extra: Partial<PartitionerArgs['message']> = {}): PartitionerArgs => ({
  topic: 't',
  partitionMetadata: partitions(n),
  message: { key, value: 'v', ...extra },
});

describe('memoized default partitioner', () => {
  // Apache Kafka's own murmur2 vectors (clients UtilsTest): a key goes to (hash & 0x7fffffff) % n,
  // where any Java-compatible producer puts it.
  it.each([
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ])('puts %s where Kafka does, asked once or again', (key, hash) => {
    const partition = MemoizedDefaultPartitioner();
    for (const n of [1, 3, 7, 12]) {
      const expected = (hash & 0x7fffffff) % n;
      expect(partition(args(key, n))).toBe(expected);
      expect(partition(args(key, n))).toBe(expected);
    }
  });

  it('agrees with kafkajs’s default for any keys, repeated, across partition counts', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string({ maxLength: 40 }), fc.integer({ min: 1, max: 64 })), { maxLength: 200 }), (calls) => {
        const memoized = MemoizedDefaultPartitioner();
        const plain = Partitioners.DefaultPartitioner();
        for (const [key, n] of [...calls, ...calls]) expect(memoized(args(key, n))).toBe(plain(args(key, n)));
      }),
    );
  });

  it('keeps giving the default’s answer after its memo fills up', () => {
    const memoized = MemoizedDefaultPartitioner();
    const plain = Partitioners.DefaultPartitioner();
    for (let i = 0; i < 120_000; i += 7) expect(memoized(args(`contact-${i % 60_000}`, 6))).toBe(plain(args(`contact-${i % 60_000}`, 6)));
  });

  it('leaves an explicit partition, a Buffer key and a missing key to the default', () => {
    const memoized = MemoizedDefaultPartitioner();
    expect(memoized(args('k', 3, { partition: 2 }))).toBe(2);
    expect(memoized(args('k', 3, { partition: 0 }))).toBe(0);
    expect(memoized(args(Buffer.from('foobar'), 7))).toBe((-790332482 & 0x7fffffff) % 7);
    // No key: round robin over the partitions that have a leader.
    const spread = new Set(Array.from({ length: 20 }, () => memoized({ topic: 't', partitionMetadata: partitions(4, [1, 3]), message: { key: null, value: 'v' } })));
    expect([...spread].sort()).toEqual([0, 2]);
  });
});
