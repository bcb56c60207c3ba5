--[[
  Claims dedupe keys for a batch of items: the first sight of a key wins (Inventory Guard, Deduplicate).
  Variable key count: the caller passes it (one key per item; the caller sends a key that repeats within a
  batch only once and answers its later occurrences as duplicates itself).

    Input:
      KEYS[1..n]    guard keys, '<prefix>:guard:[<scope>:]<escaped key>'
      ARGV[1]       claim TTL, milliseconds (how long the key stays in flight if nobody commits or releases)
      ARGV[1+i]     owner of KEYS[i]: what will be delivered again if this run dies —
                    'inbox:<entry id>' for an item from the Inventory Inbox Trigger (the entry stays pending and
                    comes back with the same id), else '<n8n instance id>/<execution id>' of the claiming run

    Stored value: 'c:<owner>' in flight, 'd:<owner>' committed (written by commitKeys.lua).

    Output: a flat array, two entries per key, in KEYS order:
      code   1  new: the key was free and is now claimed by this owner
             4  reclaimed: the key was in flight under this same owner — a redelivery of the same inbox entry
                after its run failed or died; the claim is renewed and the item is new again (a claim must
                never swallow its own redelivery)
            -1  duplicate: the key is claimed by another owner still in flight
            -2  duplicate: the key is committed (done)
      ttl    milliseconds the state still lasts (the claim TTL for a new or reclaimed claim)
]]
local ttl = ARGV[1]
local out = {}
for i = 1, #KEYS do
  local key = KEYS[i]
  local claimed = 'c:' .. ARGV[1 + i]
  if redis.call('SET', key, claimed, 'NX', 'PX', ttl) then
    out[#out + 1] = 1
    out[#out + 1] = tonumber(ttl)
  else
    local value = redis.call('GET', key)
    if string.sub(value, 1, 2) == 'd:' then
      out[#out + 1] = -2
      out[#out + 1] = redis.call('PTTL', key)
    elseif value == claimed then
      redis.call('PEXPIRE', key, ttl)
      out[#out + 1] = 4
      out[#out + 1] = tonumber(ttl)
    else
      out[#out + 1] = -1
      out[#out + 1] = redis.call('PTTL', key)
    end
  end
end
return out
