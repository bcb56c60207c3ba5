// Test helpers, once for every test file: the test Redis and keys (redis.ts), waiting (wait.ts), redis-servers of
// a test's own (redisServer.ts).
export * from './redis';
export * from './redisServer';
export * from './wait';
