--[[
  Reads a channel's circuit breaker for Health (shared/breaker.ts, breakerState): its stored fields and Redis's
  own time, in one atomic step, so the state it reports (an open breaker past its cool-down is half-open) is
  judged on the same clock the breaker runs on. Writes nothing. The hash's fields are listed in admitCall-1.lua.

    Input:
      KEYS[1]  breaker hash, '<prefix>:breaker:<escaped channel>'

    Output: { code, now, state, failures, openedAt, halfOpenAt, lastFailureAt, probeExpiresAt }
      code 7 (read); now in ms since epoch (Redis time); the fields as stored, '' where absent (state '' =
      closed: no hash yet)
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local s = redis.call('HMGET', KEYS[1], 'state', 'failures', 'openedAt', 'halfOpenAt', 'lastFailureAt',
  'probeExpiresAt')
local out = { 7, now }
for i = 1, 6 do
  out[#out + 1] = s[i] or ''
end
return out
