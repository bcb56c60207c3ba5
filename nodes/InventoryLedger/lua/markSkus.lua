--[[
  Freeze, Unfreeze and Resync SKUs (Inventory Ledger). Variable key count: the caller passes it.

    Input:
      KEYS[1..]   ledger hashes, audit streams and dirty zsets, each once, named by index below
      ARGV[1]     audit cap (XADD MAXLEN ~)
      ARGV[2]     n items; then 6 fields per item from ARGV[3]:
        1 ledger hash (KEYS index)   2 audit stream (KEYS index)   3 dirty zsets, comma-separated indexes
        4 sku   5 action: 'freeze' (never published) | 'unfreeze' (published again: marked dirty) |
                'resync' (marked dirty now, score = rev)   6 source
    Output: 3 entries per item: code (1 done), rev, '1' if the SKU was frozen before else '0'.
    Each action adds an audit entry (kind = the action).
]]
local cap = ARGV[1]
local n = tonumber(ARGV[2])
local F = 6
local out = {}
for i = 1, n do
  local b = 2 + (i - 1) * F
  local kl = KEYS[tonumber(ARGV[b + 1])]
  local sku, action = ARGV[b + 4], ARGV[b + 5]
  local cur = redis.call('HMGET', kl, 'rev', 'frozen')
  local rev = tonumber(cur[1]) or 0
  local was = cur[2] == '1' and '1' or '0'
  if action == 'freeze' then
    redis.call('HSET', kl, 'frozen', '1')
  else
    if action == 'unfreeze' then redis.call('HDEL', kl, 'frozen') end
    for index in string.gmatch(ARGV[b + 3], '%d+') do
      redis.call('ZADD', KEYS[tonumber(index)], rev, sku)
    end
  end
  redis.call('XADD', KEYS[tonumber(ARGV[b + 2])], 'MAXLEN', '~', cap, '*', 'id', action, 'src', ARGV[b + 6],
    'kind', action, 'loc', '', 'prev', was, 'new', action == 'freeze' and '1' or '0', 'delta', '', 'ver', '',
    'rev', rev, 'out', 'applied', 'eff', action, 'frz', action == 'freeze' and '1' or '0')
  out[#out + 1] = 1
  out[#out + 1] = rev
  out[#out + 1] = was
end
return out
