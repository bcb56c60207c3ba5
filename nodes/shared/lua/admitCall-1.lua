--[[
  Asks a channel's circuit breaker whether a call may go out (shared/breaker.ts, breakerAllow). Time is Redis's
  own clock (TIME), so workers with skewed clocks agree on when a cool-down or a probe slot ends.

    Input:
      KEYS[1]  breaker hash, '<prefix>:breaker:<escaped channel>'
                 state           'closed' | 'open' | 'half-open' (absent hash = closed, no failures)
                 failures        consecutive failures, count
                 openedAt        when it last opened, ms since epoch (Redis time)
                 halfOpenAt      when its cool-down ends, ms since epoch (openedAt + the cool-down it opened with)
                 lastFailureAt   last failure recorded, ms since epoch
                 probeToken      the probe's token (only while state = 'half-open')
                 probeExpiresAt  when the probe slot frees itself if the probe never reports, ms since epoch
      ARGV[1]  probe token: 16 random bytes, hex, new for each call (kept only if this call gets the probe)
      ARGV[2]  probe timeout, milliseconds

    Only one caller gets the probe: open past its cool-down, or half-open with an expired probe slot, hands the
    probe to this caller and records it (state 'half-open', probeToken, probeExpiresAt = now + ARGV[2]); every
    other caller is refused until the probe reports (recordCall-1.lua) or its slot expires. Closed and refused
    answers write nothing.

    Output: { code, state, retry in ms, failures }
       { 1, 'closed', 0, failures }          allowed: closed
       { 2, 'half-open', 0, failures }       allowed as the probe (this call's token holds the slot)
      { -1, 'open', ms, failures }           refused: open, cooling down; ms until the cool-down ends
      { -2, 'half-open', ms, failures }      refused: another caller's probe is out; ms until its slot expires
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local s = redis.call('HMGET', KEYS[1], 'state', 'failures', 'halfOpenAt', 'probeExpiresAt')
local state = s[1]
local failures = tonumber(s[2]) or 0
if not state or state == 'closed' then
  return { 1, 'closed', 0, failures }
end
local halfOpenAt = tonumber(s[3]) or 0
if state == 'open' and now < halfOpenAt then
  return { -1, 'open', halfOpenAt - now, failures }
end
if state == 'half-open' then
  local expires = tonumber(s[4]) or 0
  if now < expires then
    return { -2, 'half-open', expires - now, failures }
  end
end
redis.call('HSET', KEYS[1], 'state', 'half-open', 'probeToken', ARGV[1],
  'probeExpiresAt', now + tonumber(ARGV[2]))
return { 2, 'half-open', 0, failures }
