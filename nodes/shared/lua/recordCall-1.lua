--[[
  Records how a channel call ended in the channel's circuit breaker (shared/breaker.ts, breakerRecord). Time is
  Redis's own clock (TIME). The hash's fields are listed in admitCall-1.lua.

    Input:
      KEYS[1]  breaker hash, '<prefix>:breaker:<escaped channel>'
      ARGV[1]  outcome: 'success' | 'failure'
      ARGV[2]  the probe token admitCall-1.lua handed out, or '' for a call that was not the probe
      ARGV[3]  failure threshold: consecutive failures that open a closed breaker, count
      ARGV[4]  cool-down, milliseconds: how long the breaker stays open before it lets one probe through

    Transitions:
      closed, success                    failures reset to 0 (nothing written when already 0)
      closed, failure                    failures + 1, lastFailureAt; at the threshold: open (openedAt = now,
                                         halfOpenAt = now + cool-down)
      half-open, the current probe       success: closed, failures 0, probe cleared
                                         failure: open again, the cool-down restarts from now, probe cleared
                                         (also after its slot expired, as long as no other probe took it)
      open / half-open, not the probe    a call let through before the breaker opened, or a probe whose slot
                                         another probe has taken: a failure counts (failures + 1,
                                         lastFailureAt) but no state changes, and a success changes nothing

    Output: { code, state, failures } (state and failures after the call)
       { 3, 'closed', failures }      recorded in closed (reset or counted), no transition
       { 4, 'open', failures }        closed → open: the threshold was reached
       { 5, 'closed', 0 }             probe succeeded: half-open → closed
       { 6, 'open', failures }        probe failed: half-open → open, cool-down restarted
      { -3, state, failures }         not the probe while open or half-open: no transition ('half-open' is
                                      also reported for an open breaker whose cool-down has ended)
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local s = redis.call('HMGET', KEYS[1], 'state', 'failures', 'probeToken', 'halfOpenAt')
local state = s[1] or 'closed'
local failures = tonumber(s[2]) or 0
local success = ARGV[1] == 'success'

if state == 'half-open' and ARGV[2] ~= '' and s[3] == ARGV[2] then
  redis.call('HDEL', KEYS[1], 'probeToken', 'probeExpiresAt')
  if success then
    redis.call('HSET', KEYS[1], 'state', 'closed', 'failures', 0)
    return { 5, 'closed', 0 }
  end
  failures = failures + 1
  redis.call('HSET', KEYS[1], 'state', 'open', 'failures', failures, 'openedAt', now,
    'halfOpenAt', now + tonumber(ARGV[4]), 'lastFailureAt', now)
  return { 6, 'open', failures }
end

if state == 'closed' then
  if success then
    if failures ~= 0 then
      redis.call('HSET', KEYS[1], 'failures', 0)
    end
    return { 3, 'closed', 0 }
  end
  failures = failures + 1
  if failures >= tonumber(ARGV[3]) then
    redis.call('HSET', KEYS[1], 'state', 'open', 'failures', failures, 'openedAt', now,
      'halfOpenAt', now + tonumber(ARGV[4]), 'lastFailureAt', now)
    return { 4, 'open', failures }
  end
  redis.call('HSET', KEYS[1], 'state', 'closed', 'failures', failures, 'lastFailureAt', now)
  return { 3, 'closed', failures }
end

if not success then
  failures = failures + 1
  redis.call('HSET', KEYS[1], 'failures', failures, 'lastFailureAt', now)
end
if state == 'open' and now >= (tonumber(s[4]) or 0) then
  state = 'half-open'
end
return { -3, state, failures }
