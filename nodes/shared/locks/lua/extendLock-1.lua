--[[
  Extends a per-key mutex, only for the token that holds it (Inventory Guard, Extend).

    Input:
      KEYS[1]  lock key, '<prefix>:lock:[<scope>:]<escaped key>'
      ARGV[1]  token received with the lock
      ARGV[2]  new TTL from now, milliseconds

    Output:
       1  extended
      -6  not held: another token holds the lock: left untouched (the caller lost it and must stop)
      -7  missing: the lock expired (nobody holds it; the caller lost it all the same)
]]
local value = redis.call('GET', KEYS[1])
if not value then
  return -7
end
if value ~= ARGV[1] then
  return -6
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
