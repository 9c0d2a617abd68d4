/**
 * `bulwark/redis` (Node only): limits that replicas share on Redis or Valkey, through the
 * application's own ioredis, iovalkey or node-redis client.
 *
 * @packageDocumentation
 */
export type { IoredisLike, NodeRedisLike, RedisClientLike } from './client.js';
export type { RedisOperation, RedisStore, RedisStoreEvents, RedisStoreOptions, RedisStoreStats } from './store.js';
export { redisStore } from './store.js';
