--[[
  Stores the sync profile, versioned (Inventory Ledger, Profile). Saving the same text again changes nothing.

    Input:
      KEYS[1]  '<prefix>:profile' (hash: version, json, updatedAt)
      ARGV[1]  the normalised profile, JSON
      ARGV[2]  expected current version ('' = whatever it is; '0' = no profile yet), for compare-and-set
      ARGV[3]  updatedAt, ISO text

    Output: {code, version, previous json ('' when none)}
       1   saved as a new version
      -2   unchanged: the stored profile is this text (version unchanged)
      -10  conflict: the stored version is not ARGV[2] (nothing written)
]]
local cur = redis.call('HMGET', KEYS[1], 'version', 'json')
local version = cur[1] or '0'
if ARGV[2] ~= '' and ARGV[2] ~= version then
  return {-10, version, ''}
end
if cur[2] == ARGV[1] then
  return {-2, version, cur[2]}
end
local next_version = redis.call('HINCRBY', KEYS[1], 'version', 1)
redis.call('HSET', KEYS[1], 'json', ARGV[1], 'updatedAt', ARGV[3])
return {1, next_version, cur[2] or ''}
