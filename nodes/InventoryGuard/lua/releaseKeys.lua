--[[
  Gives claims back after a failure so the event can be processed again at once (Inventory Guard, Release).
  Never undoes a commit. Variable key count: the caller passes it.

    Input:
      KEYS[1..n]  guard keys, '<prefix>:guard:[<scope>:]<escaped key>'
      ARGV[1]     owner: '<n8n instance id>/<execution id>' of the releasing run
      ARGV[2]     '1': release a claim whatever run holds it; '0': only this owner's claims

    Output: one code per key, in KEYS order (positive: released, the next claim is new):
       1  released this owner's claim
       2  released another run's claim (only with ARGV[2] = '1')
      -2  committed: left untouched
      -3  nothing to release: the claim expired or the key was never claimed
      -4  claimed by another run: left untouched (only with ARGV[2] = '0')
]]
local claimed = 'c:' .. ARGV[1]
local any = ARGV[2] == '1'
local out = {}
for i = 1, #KEYS do
  local key = KEYS[i]
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
