--[[
  Publish's bookkeeping for a run of SKUs, atomically (nodes/shared/channel/publish.ts recordWork):
  what the channel confirmed goes into each SKU's pub hash, observations (a compare-and-set answer) too when
  newer, and a SKU's dirty mark is removed only if its score (the ledger rev it was marked at) is not above
  the rev the work was computed from: a SKU marked again meanwhile stays dirty for the next pass. A lag sample
  (first unpublished change -> confirmed) is added for SKUs whose mark is cleared after a confirmed write.

  KEYS[1]  '<prefix>:dirty:<channel>' (zset, score = rev)
  KEYS[2]  '<prefix>:dirty:<channel>:at' (hash: sku -> ms of its first unpublished change)
  KEYS[3]  '<prefix>:lag:<channel>' (stream of lag samples)
  KEYS[4..] the SKUs' pub hashes, in the order of the SKUs below
  ARGV[1]  now, ms;  ARGV[2] lag stream cap;  ARGV[3] channel;  ARGV[4] op name for the sample
  ARGV[5]  JSON (one argument, so the caller builds one string instead of thousands of arguments): an array,
           per SKU { s = sku, r = rev, c = clear, f = [field, value, …], o = [[place, qty, version], …] };
           clear '1': clear the mark if not moved, with a lag sample; '2': clear it without a sample (the work
           was dead-lettered, not confirmed); '0': keep it.
  Returns { cleared count, kept count }.
]]
local now = tonumber(ARGV[1])
local cap = ARGV[2]
local channel = ARGV[3]
local op = ARGV[4]
local items = cjson.decode(ARGV[5])
local cleared, kept = 0, 0
for i, it in ipairs(items) do
  local kp = KEYS[3 + i]
  local sku, rev, clear = it.s, tonumber(it.r), it.c
  local f = it.f
  if #f > 0 then redis.call('HSET', kp, unpack(f)) end
  for _, o in ipairs(it.o) do
    local place, qty, ver = o[1], o[2], tonumber(o[3])
    local cur = tonumber(redis.call('HGET', kp, 'obsv:' .. channel .. ':' .. place) or '-1')
    if ver >= cur then
      redis.call('HSET', kp, 'obs:' .. channel .. ':' .. place, qty, 'obsv:' .. channel .. ':' .. place, ver)
    end
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
