--[[
  Releases a per-key mutex, only for the token that holds it (Inventory Guard, Unlock).

    Input:
      KEYS[1]  lock key, '<prefix>:lock:[<scope>:]<escaped key>'
      ARGV[1]  token received with the lock

    Output:
       1  released
      -6  not held: another token holds the lock (ours expired and someone took it): left untouched
      -7  missing: the lock expired or was never taken
]]
local value = redis.call('GET', KEYS[1])
if not value then
  return -7
end
if value ~= ARGV[1] then
  return -6
end
redis.call('DEL', KEYS[1])
return 1
