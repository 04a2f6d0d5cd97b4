/** acquire-lease.lua: take or renew a partition ownership lease. */
export const acquireLeaseLua = `
--[[ acquire-lease: take the lease KEYS[1] for consumer ARGV[1] if it is free, or renew it if
  ARGV[1] already holds it.
  KEYS[1]  lease key of one partition and group
  ARGV[1]  consumer name
  ARGV[2]  lease time, ms
  Returns  1 held by ARGV[1] now, 0 held by another consumer
]]
local owner = redis.call('GET', KEYS[1])
if owner == false or owner == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', tonumber(ARGV[2]))
  return 1
end
return 0
`;
