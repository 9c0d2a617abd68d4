/**
 * The Lua scripts bulwark runs on Redis. Each operation is one script, so it is atomic and costs
 * one round trip; each reads Redis `TIME`, so no replica's clock matters; each checks the type of
 * what it reads and, finding something it did not write (a list, a string that is not a number),
 * resets that key and says so in its reply instead of failing. docs/redis.md explains them.
 */
import { createHash } from 'node:crypto';
import type { Script } from './client.js';

function script(name: string, source: string): Script {
  return { name, source, sha: createHash('sha1').update(source).digest('hex') };
}

/** Milliseconds from Redis TIME, with microseconds as the fraction. */
const NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
`;

/** Resets KEYS[i] when it is neither `want` nor absent; returns what it found, or ''. */
const CHECK_TYPE = `
local function check(key, want)
  local kind = redis.call('TYPE', key)['ok']
  if kind ~= want and kind ~= 'none' then
    redis.call('DEL', key)
    return key .. ' held a ' .. kind .. ', not a ' .. want .. '; reset'
  end
  return ''
end
local function num(v)
  if v then return tonumber(v) or 0 end
  return 0
end
`;

/**
 * GCRA on one key holding the theoretical arrival time (TAT) in ms, with a TTL that ends when
 * the TAT passes (an absent key and a past TAT mean the same: a full bucket).
 * KEYS[1]: the limit. ARGV: intervalMs, burst, maxWaitMs, cost.
 * Reply: { granted 0|1, waitMs (rounded up: never early), remaining[, bad data] }.
 */
export const GCRA = script(
  'gcra',
  `${NOW}
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local maxWait = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local tat = now
local bad
-- One GET, no TYPE: a key of another type answers an error, caught here (the hot path stays short).
local stored = redis.pcall('GET', KEYS[1])
if type(stored) == 'table' then
  bad = KEYS[1] .. ' held a ' .. redis.call('TYPE', KEYS[1])['ok'] .. ', not a string; reset'
  redis.call('DEL', KEYS[1])
elseif stored then
  local value = tonumber(stored)
  if value == nil then
    bad = KEYS[1] .. ' held ' .. string.sub(stored, 1, 32) .. ', not a number; reset'
    redis.call('DEL', KEYS[1])
  elseif value > now then
    tat = value
  end
end
-- The arithmetic of src/rate-limit/gcra.ts, its float slack included: one microsecond, or half
-- an interval when that is less (never a whole permit early).
local early = 0.001
if interval <= 2 * early then early = interval / 2 end
local wait = tat + (cost - burst) * interval - now
local granted = 1
local remaining
if wait > maxWait + early then
  granted = 0
  remaining = math.floor((now - tat) / interval + burst + early / interval)
else
  local nextTat = tat + cost * interval
  redis.call('SET', KEYS[1], string.format('%.3f', nextTat), 'PX', math.max(1, math.ceil(nextTat - now)))
  remaining = math.floor(-wait / interval + early / interval)
  if wait <= early then wait = 0 elseif wait > maxWait then wait = maxWait end
end
if remaining < 0 then remaining = 0 end
if bad then return { granted, math.ceil(wait), remaining, bad } end
return { granted, math.ceil(wait), remaining }
`,
);

/**
 * One replica's report on a shared breaker, and the fleet's answer.
 * KEYS[1]: the state hash (epoch, openUntil, closedEpoch, v:<replica> votes, r:<replica> reports),
 * KEYS[2]: the isolations hash (<replica> = holds), KEYS[3..]: the probe lease keys.
 * ARGV: replica, seenEpoch (-1: none yet), voting 0|1, calls, failures, event ('', 'closed',
 * 'probe-failed'), quorum, openMs, reportTtlMs, holds, releaseLeases 0|1.
 * Reply: { state 0 closed|1 open|2 half-open, openRemainingMs, epoch, votes, voteCounted 0|1,
 * isolatedByOthers 0|1, replicas, calls, failures, bad data or '' }.
 */
export const BREAKER_SYNC = script(
  'breaker-sync',
  `${NOW}${CHECK_TYPE}
local bad = check(KEYS[1], 'hash') .. check(KEYS[2], 'hash')
local replica = ARGV[1]
local seen = tonumber(ARGV[2])
local quorum = tonumber(ARGV[7])
local openMs = tonumber(ARGV[8])
local ttl = tonumber(ARGV[9])
local holds = tonumber(ARGV[10])
local epoch = num(redis.call('HGET', KEYS[1], 'epoch'))
local openUntil = num(redis.call('HGET', KEYS[1], 'openUntil'))
local closedEpoch = num(redis.call('HGET', KEYS[1], 'closedEpoch'))
local function releaseLeases(all)
  for i = 3, #KEYS do
    local kind = redis.call('TYPE', KEYS[i])['ok']
    if kind ~= 'none' and (all or kind ~= 'string' or redis.call('GET', KEYS[i]) == replica) then
      redis.call('DEL', KEYS[i])
    end
  end
end
if ARGV[11] == '1' then releaseLeases(false) end
local event = ARGV[6]
if event == 'closed' and seen == epoch and openUntil > 0 and now >= openUntil then
  epoch = epoch + 1
  openUntil = 0
  closedEpoch = epoch
  for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
    if string.sub(field, 1, 2) == 'v:' then redis.call('HDEL', KEYS[1], field) end
  end
  releaseLeases(true)
elseif event == 'probe-failed' and seen == epoch and openUntil > 0 and now >= openUntil then
  epoch = epoch + 1
  openUntil = now + openMs
end
local voteCounted = 0
if ARGV[3] == '1' and (seen < 0 or seen >= closedEpoch) then
  -- A vote lasts as long as the voter's own breaker stays open, however quiet the voter is.
  redis.call('HSET', KEYS[1], 'v:' .. replica, now + math.max(ttl, openMs))
  voteCounted = 1
else
  redis.call('HDEL', KEYS[1], 'v:' .. replica)
end
redis.call('HSET', KEYS[1], 'r:' .. replica, (now + ttl) .. ':' .. ARGV[4] .. ':' .. ARGV[5])
local votes, replicas, calls, failures = 0, 0, 0, 0
local fields = redis.call('HGETALL', KEYS[1])
for i = 1, #fields, 2 do
  local field, value = fields[i], fields[i + 1]
  local kind = string.sub(field, 1, 2)
  if kind == 'v:' then
    if num(value) > now then votes = votes + 1 else redis.call('HDEL', KEYS[1], field) end
  elseif kind == 'r:' then
    local expires, c, f = string.match(value, '^([%d%.]+):(%d+):(%d+)$')
    if expires and tonumber(expires) > now then
      replicas = replicas + 1
      calls = calls + tonumber(c)
      failures = failures + tonumber(f)
    else
      redis.call('HDEL', KEYS[1], field)
    end
  end
end
if openUntil == 0 and votes >= quorum then
  epoch = epoch + 1
  openUntil = now + openMs
end
redis.call('HSET', KEYS[1], 'epoch', epoch, 'openUntil', string.format('%.3f', openUntil), 'closedEpoch', closedEpoch)
redis.call('PEXPIRE', KEYS[1], math.ceil(openMs * 2 + ttl * 10))
if holds > 0 then redis.call('HSET', KEYS[2], replica, holds) else redis.call('HDEL', KEYS[2], replica) end
local others = redis.call('HLEN', KEYS[2])
if holds > 0 then others = others - 1 end
local state, remaining = 0, 0
if openUntil > now then
  state = 1
  remaining = math.ceil(openUntil - now)
elseif openUntil > 0 then
  state = 2
end
local isolated = 0
if others > 0 then isolated = 1 end
return { state, remaining, epoch, votes, voteCounted, isolated, replicas, calls, failures, bad }
`,
);

/**
 * A half-open replica asks for one of the probe leases (SET NX PX, so a crashed prober's lease
 * expires). KEYS as {@link BREAKER_SYNC}. ARGV: replica, seenEpoch, leaseMs.
 * Reply: { answer 0 granted|1 busy|2 open|3 closed|4 isolated, openRemainingMs, epoch, bad or '' }.
 */
export const BREAKER_LEASE = script(
  'breaker-lease',
  `${NOW}${CHECK_TYPE}
local bad = check(KEYS[1], 'hash') .. check(KEYS[2], 'hash')
local replica = ARGV[1]
local seen = tonumber(ARGV[2])
local epoch = num(redis.call('HGET', KEYS[1], 'epoch'))
local openUntil = num(redis.call('HGET', KEYS[1], 'openUntil'))
local closedEpoch = num(redis.call('HGET', KEYS[1], 'closedEpoch'))
local others = redis.call('HLEN', KEYS[2])
if redis.call('HEXISTS', KEYS[2], replica) == 1 then others = others - 1 end
if others > 0 then return { 4, 0, epoch, bad } end
if openUntil > now then return { 2, math.ceil(openUntil - now), epoch, bad } end
if openUntil == 0 and seen >= 0 and seen < closedEpoch then return { 3, 0, epoch, bad } end
for i = 3, #KEYS do
  bad = bad .. check(KEYS[i], 'string')
  if redis.call('SET', KEYS[i], replica, 'NX', 'PX', ARGV[3]) then return { 0, 0, epoch, bad } end
end
return { 1, 0, epoch, bad }
`,
);

/**
 * A shared retry budget: first attempts and retries counted in buckets of `bucketMs` (fields
 * `<bucket>:a` and `<bucket>:r`), summed over the window. KEYS[1]: the budget hash.
 * ARGV: attempts, retries, windowMs, bucketMs.
 * Reply: { attempts, retries, bad or '' } over the window, this report included.
 */
export const BUDGET_SYNC = script(
  'budget-sync',
  `${NOW}${CHECK_TYPE}
local bad = check(KEYS[1], 'hash')
local windowMs = tonumber(ARGV[3])
local bucketMs = tonumber(ARGV[4])
local current = math.floor(now / bucketMs)
local oldest = current - math.ceil(windowMs / bucketMs) + 1
if tonumber(ARGV[1]) > 0 then redis.call('HINCRBY', KEYS[1], current .. ':a', ARGV[1]) end
if tonumber(ARGV[2]) > 0 then redis.call('HINCRBY', KEYS[1], current .. ':r', ARGV[2]) end
local attempts, retries = 0, 0
local fields = redis.call('HGETALL', KEYS[1])
for i = 1, #fields, 2 do
  local bucket, kind = string.match(fields[i], '^(%-?%d+):([ar])$')
  local count = tonumber(fields[i + 1])
  if bucket == nil or count == nil or tonumber(bucket) < oldest then
    redis.call('HDEL', KEYS[1], fields[i])
  elseif kind == 'a' then
    attempts = attempts + count
  else
    retries = retries + count
  end
end
redis.call('PEXPIRE', KEYS[1], math.ceil(windowMs * 2))
return { attempts, retries, bad }
`,
);
