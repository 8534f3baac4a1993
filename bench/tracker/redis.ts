/**
 * The Redis a tracker benchmark may run against (`--registry redis://...`): emptied before each size, and its
 * memory read afterwards. New: no WeApRous twin.
 */

import Redis from 'ioredis';

/** Deletes what an earlier run left under the tracker's prefix, so each size starts from an empty registry. */
export async function cleanRedis(url: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', 'weaprous:tracker:*', 'COUNT', 10_000);
      if (keys.length > 0) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

export async function redisMemory(url: string): Promise<number> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    return Number(/used_memory_rss:(\d+)/.exec(await redis.info('memory'))?.[1] ?? NaN);
  } finally {
    redis.disconnect();
  }
}
