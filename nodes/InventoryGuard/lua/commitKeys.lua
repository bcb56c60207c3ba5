--[[
  Marks dedupe keys done (Inventory Guard, Commit): a committed key stays a duplicate for the commit TTL.
  Variable key count: the caller passes it.

    Input:
      KEYS[1..n]  guard keys, '<prefix>:guard:[<scope>:]<escaped key>'
      ARGV[1]     commit TTL, milliseconds (default 72 h: longer than Shopify's and n8n's retries)
      ARGV[1+i]   owner of KEYS[i]: 'inbox:<entry id>' for an item from the Inventory Inbox Trigger, else
                  '<n8n instance id>/<execution id>' of the committing run (as claimKeys.lua)

    A key already committed is left as it is (value and TTL); every other key ends committed by this owner.

    Output: one code per key, in KEYS order (positive: committed now), saying what the key held before:
       1  this owner's claim (the usual case)
       2  another owner's claim (committed all the same: the event was processed)
       3  nothing: the claim expired or the key was never claimed (committed all the same)
      -2  already committed: left untouched
]]
local ttl = ARGV[1]
local out = {}
for i = 1, #KEYS do
  local key = KEYS[i]
  local claimed = 'c:' .. ARGV[1 + i]
  local done = 'd:' .. ARGV[1 + i]
  local value = redis.call('GET', key)
  if value and string.sub(value, 1, 2) == 'd:' then
    out[i] = -2
  else
    redis.call('SET', key, done, 'PX', ttl)
    if value == claimed then
      out[i] = 1
    elseif value then
      out[i] = 2
    else
      out[i] = 3
    end
  end
end
return out
