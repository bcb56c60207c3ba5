--[[
  Gives claims back after a failure so the event can be processed again at once (Inventory Guard, Release).
  Never undoes a commit. Variable key count: the caller passes it.

    Input:
      KEYS[1..n]  guard keys, '<prefix>:guard:[<scope>:]<escaped key>'
      ARGV[1]     '1': release a claim whatever owner holds it; '0': only the given owners' claims
      ARGV[1+i]   owner of KEYS[i]: 'inbox:<entry id>' for an item from the Inventory Inbox Trigger, else
                  '<n8n instance id>/<execution id>' of the releasing run (as claimKeys.lua)

    Output: one code per key, in KEYS order (positive: released, the next claim is new):
       1  released this owner's claim
       2  released another owner's claim (only with ARGV[1] = '1')
      -2  committed: left untouched
      -3  nothing to release: the claim expired or the key was never claimed
      -4  claimed by another owner: left untouched (only with ARGV[1] = '0')
]]
local any = ARGV[1] == '1'
local out = {}
for i = 1, #KEYS do
  local key = KEYS[i]
  local claimed = 'c:' .. ARGV[1 + i]
  local value = redis.call('GET', key)
  if not value then
    out[i] = -3
  elseif string.sub(value, 1, 2) == 'd:' then
    out[i] = -2
  elseif value == claimed then
    redis.call('DEL', key)
    out[i] = 1
  elseif any then
    redis.call('DEL', key)
    out[i] = 2
  else
    out[i] = -4
  end
end
return out
