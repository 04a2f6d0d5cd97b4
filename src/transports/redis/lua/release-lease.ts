/** release-lease.lua: give up a partition ownership lease. */
export const releaseLeaseLua = `
--[[ release-lease: delete the lease KEYS[1] only if consumer ARGV[1] holds it.
  KEYS[1]  lease key of one partition and group
  ARGV[1]  consumer name
  Returns  1 released, 0 not held by ARGV[1] (expired or taken over)
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
`;
