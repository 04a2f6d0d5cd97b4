/** declare-group.lua: create a consumer group idempotently, choosing its start atomically. */
export const declareGroupLua = `
--[[ declare-group: create consumer group ARGV[1] on stream KEYS[1] if it does not exist.
  KEYS[1]  stream (created empty by MKSTREAM when missing)
  ARGV[1]  group name
  ARGV[2]  start: "auto" = "0" when the stream has no group yet (entries published before any group
           existed are kept for the first one), "$" when other groups exist (a late group does not
           replay their history); or an explicit id such as "0"
  Returns  1 created, 0 already existed (left unchanged)
]]
local start = ARGV[2]
if redis.call('EXISTS', KEYS[1]) == 1 then
  local groups = redis.call('XINFO', 'GROUPS', KEYS[1])
  for _, g in ipairs(groups) do
    for i = 1, #g, 2 do
      if g[i] == 'name' and g[i + 1] == ARGV[1] then return 0 end
    end
  end
  if start == 'auto' then
    if #groups == 0 then start = '0' else start = '$' end
  end
elseif start == 'auto' then
  start = '0'
end
redis.call('XGROUP', 'CREATE', KEYS[1], ARGV[1], start, 'MKSTREAM')
return 1
`;
