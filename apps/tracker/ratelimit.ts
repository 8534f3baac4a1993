/**
 * Forwards to `apps/ratelimit.ts`, where the rate limiter now lives, until `apps/peer/inbox.ts` imports it from
 * there; then this file goes.
 */

export { RateLimiter } from '../ratelimit';
