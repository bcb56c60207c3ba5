--[[
  Claims dedupe keys for a batch of items: the first sight of a key wins (Inventory Guard, Deduplicate).
  Variable key count: the caller passes it (one key per item; a key may repeat within a batch, and only its
  first occurrence is new).

    Input:
      KEYS[1..n]  guard keys, '<prefix>:guard:[<scope>:]<escaped key>'
      ARGV[1]     claim TTL, milliseconds (how long the key stays in flight if nobody commits or releases)
      ARGV[2]     owner: '<n8n instance id>/<execution id>' of the run claiming, kept in the value so that
                  Release gives back only this run's claims

    Stored value: 'c:<owner>' in flight, 'd:<owner>' committed (written by commitKeys.lua).

    Output: a flat array, two entries per key, in KEYS order:
      code   1  new: the key was free and is now claimed by this owner
            -1  duplicate: the key is claimed by a run still in flight (this run included)
            -2  duplicate: the key is committed (done)
      ttl    milliseconds the state still lasts (the claim TTL for a new claim)
]]
local ttl = ARGV[1]
local claimed = 'c:' .. ARGV[2]
local out = {}
for i = 1, #KEYS do
  local key = KEYS[i]
  if redis.call('SET', key, claimed, 'NX', 'PX', ttl) then
    out[#out + 1] = 1
    out[#out + 1] = tonumber(ttl)
  else
    local value = redis.call('GET', key)
    if string.sub(value, 1, 2) == 'd:' then
      out[#out + 1] = -2
    else
      out[#out + 1] = -1
    end
    out[#out + 1] = redis.call('PTTL', key)
  end
end
return out
