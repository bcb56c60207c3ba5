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
      ARGV[4]  '1' for a background caller (catch-up and nightly reads): it takes a slot only when one is
               free now, never one ahead in the queue, so a foreground request (Publish, Adjust) arriving
               after it waits for at most that one background request; '0' (or absent): foreground

    Output: the wait before this request, ms (0: now). A background caller that finds no slot free now
    takes nothing and gets minus the wait until the next one is (the caller asks again then, or gives up).
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local s = redis.call('HMGET', KEYS[1], 'next', 'notBefore')
local startAt = now
local notBefore = tonumber(s[2])
if notBefore and notBefore > startAt then startAt = notBefore end
local maxWait = tonumber(ARGV[3])
local background = ARGV[4] == '1'
if interval > 0 then
  local nextFree = tonumber(s[1])
  if nextFree and nextFree > startAt then startAt = nextFree end
  if background and startAt > now then return now - startAt end
  if maxWait and startAt - now > maxWait then return startAt - now end
  redis.call('HSET', KEYS[1], 'next', startAt + interval)
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return startAt - now
