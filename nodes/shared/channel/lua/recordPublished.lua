--[[
  Publish's bookkeeping for a run of SKUs, atomically (nodes/shared/channel/publish.ts):
  what the channel confirmed goes into each SKU's pub hash, observations (a compare-and-set answer) too when
  newer, and a SKU's dirty mark is removed only if its score (the ledger rev it was marked at) is not above
  the rev the work was computed from: a SKU marked again meanwhile stays dirty for the next pass. A lag sample
  (first unpublished change -> confirmed) is added for SKUs whose mark is cleared.

  KEYS[1]  '<prefix>:dirty:<channel>' (zset, score = rev)
  KEYS[2]  '<prefix>:dirty:<channel>:at' (hash: sku -> ms of its first unpublished change)
  KEYS[3]  '<prefix>:lag:<channel>' (stream of lag samples)
  KEYS[4..] the SKUs' pub hashes, in the order of the SKUs below
  ARGV[1]  now, ms;  ARGV[2] lag stream cap;  ARGV[3] n SKUs;  ARGV[4] channel;  ARGV[5] op name for the sample
  then per SKU: sku, rev, clear ('1': clear the mark if not moved, with a lag sample; '2': clear it without a sample
    — the work was dead-lettered, not confirmed; '0' keep), np (pub fields to set),
    np pairs (field, value), no (observations), no triples (place, qty, version)
  Returns { cleared count, kept count }.
]]
local now = tonumber(ARGV[1])
local cap = ARGV[2]
local n = tonumber(ARGV[3])
local channel = ARGV[4]
local op = ARGV[5]
local pos = 6
local cleared, kept = 0, 0
for i = 1, n do
  local kp = KEYS[3 + i]
  local sku, rev, clear = ARGV[pos], tonumber(ARGV[pos + 1]), ARGV[pos + 2]
  local np = tonumber(ARGV[pos + 3])
  pos = pos + 4
  for _ = 1, np do
    redis.call('HSET', kp, ARGV[pos], ARGV[pos + 1])
    pos = pos + 2
  end
  local no = tonumber(ARGV[pos])
  pos = pos + 1
  for _ = 1, no do
    local place, qty, ver = ARGV[pos], ARGV[pos + 1], tonumber(ARGV[pos + 2])
    local cur = tonumber(redis.call('HGET', kp, 'obsv:' .. channel .. ':' .. place) or '-1')
    if ver >= cur then
      redis.call('HSET', kp, 'obs:' .. channel .. ':' .. place, qty, 'obsv:' .. channel .. ':' .. place, ver)
    end
    pos = pos + 3
  end
  if clear == '1' or clear == '2' then
    local score = tonumber(redis.call('ZSCORE', KEYS[1], sku) or '-1')
    if score >= 0 and score <= rev then
      redis.call('ZREM', KEYS[1], sku)
      local at = tonumber(redis.call('HGET', KEYS[2], sku) or '')
      redis.call('HDEL', KEYS[2], sku)
      if at and op ~= '' and clear == '1' then
        redis.call('XADD', KEYS[3], 'MAXLEN', '~', cap, '*', 'ms', math.max(0, now - at), 'sku', sku, 'op', op)
      end
      cleared = cleared + 1
    elseif score >= 0 then
      kept = kept + 1
    end
  end
end
return { cleared, kept }
