--[[
  Reserves the next request slot of a store's shared request rate (channel/sharedPace.ts, WooRequestPacer;
  pacing.ts reserveSlot does the same arithmetic), on Redis's clock.

    Input:
      KEYS[1]  slot hash, '<prefix>:pace:woocommerce:<escaped shop>'
                 next        when the next slot is free, ms since epoch
                 notBefore   nobody sends before this (a Retry-After the store answered), ms since epoch
      ARGV[1]  spacing of the slots, ms (0: no rate, only notBefore holds requests back)
      ARGV[2]  lifetime of the hash, ms
      ARGV[3]  the longest wait the caller can afford, ms; a longer wait takes no slot (a caller that gives up
               must not push every later caller's slot further out)

    Output: the wait before this request, ms (0: now).
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local s = redis.call('HMGET', KEYS[1], 'next', 'notBefore')
local startAt = now
local notBefore = tonumber(s[2])
if notBefore and notBefore > startAt then startAt = notBefore end
local maxWait = tonumber(ARGV[3])
if interval > 0 then
  local nextFree = tonumber(s[1])
  if nextFree and nextFree > startAt then startAt = nextFree end
  if maxWait and startAt - now > maxWait then return startAt - now end
  redis.call('HSET', KEYS[1], 'next', startAt + interval)
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return startAt - now
