--[[
  A store answered 429/503 with Retry-After: nobody sends to it before then (channel/sharedPace.ts,
  WooRequestPacer.defer), every worker and execution alike, not only the caller that was refused.

    Input:
      KEYS[1]  slot hash (reserveSlot-1.lua)
      ARGV[1]  the wait the store asked for, ms from now (Redis time)
      ARGV[2]  lifetime of the hash, ms

    Output: the notBefore now in force, ms since epoch.
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local until_ = now + tonumber(ARGV[1])
local current = tonumber(redis.call('HGET', KEYS[1], 'notBefore'))
if current and current > until_ then until_ = current end
redis.call('HSET', KEYS[1], 'notBefore', until_)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return until_
