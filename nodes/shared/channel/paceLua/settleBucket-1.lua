--[[
  What a Shopify answer teaches the shop's shared bucket estimate (channel/sharedPace.ts,
  SharedShopifyBucket.settle; pacing.ts settleBucket does the same arithmetic).

    Input:
      KEYS[1]  estimate hash (reserveBucket-1.lua)
      ARGV[1]  refund: points reserved for this call and not charged (reserved − actual; all for THROTTLED)
      ARGV[2]  '1' when the answer carried a throttleStatus, else '0'
      ARGV[3]  reported currentlyAvailable
      ARGV[4]  reported maximumAvailable
      ARGV[5]  reported restoreRate
      ARGV[6]  '1' when the answer was THROTTLED
      ARGV[7]  lifetime of the hash, ms

    The estimate never rises above the reported figure (other apps spend from the bucket too), and otherwise
    keeps its own lower one (calls reserved and not yet answered are not in the report).

    Output: 1 when the estimate was written, 0 when there was none and the answer had no status.
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local reported = ARGV[2] == '1'
local s = redis.call('HMGET', KEYS[1], 'a', 't', 'm', 'r')
local a, m, r
if s[1] and s[2] and s[3] and s[4] then
  m = tonumber(s[3])
  r = tonumber(s[4])
  local elapsed = now - tonumber(s[2])
  if elapsed < 0 then elapsed = 0 end
  a = tonumber(s[1]) + r * elapsed / 1000 + tonumber(ARGV[1])
  if a > m then a = m end
  if reported then
    local c = tonumber(ARGV[3])
    if c < a then a = c end
    m = tonumber(ARGV[4])
    r = tonumber(ARGV[5])
  elseif ARGV[6] == '1' and a > 0 then
    a = 0
  end
elseif reported then
  a = tonumber(ARGV[3])
  m = tonumber(ARGV[4])
  r = tonumber(ARGV[5])
else
  return 0
end
redis.call('HSET', KEYS[1], 'a', string.format('%.6f', a), 't', now, 'm', m, 'r', r)
redis.call('PEXPIRE', KEYS[1], ARGV[7])
return 1
