/** trim-stream.lua: trim a topic stream without ever removing an entry a group still needs. */
export const trimStreamLua = `
--[[ trim-stream: XTRIM MINID ~ <floor>, where floor is the lowest of
    - the policy's bound (the id of the ARGV[2]-th newest entry for "maxlen", now - ARGV[2] ms for "maxage")
    - for every group: its oldest pending entry, or its last-delivered id when nothing is pending
  so no entry some group has not yet read or acknowledged is removed. Approximate (~) MINID only
  drops whole radix-tree nodes below the floor, so it never goes past it.
  KEYS[1]  topic stream
  ARGV[1]  "maxlen" or "maxage"
  ARGV[2]  entries to keep (maxlen) or age in ms (maxage)
  Returns  { entries trimmed, floor id used or "" when nothing was trimmed }
]]
local function parse(id)
  local dash = string.find(id, '-', 1, true)
  if not dash then return tonumber(id), 0 end
  return tonumber(string.sub(id, 1, dash - 1)), tonumber(string.sub(id, dash + 1))
end
local function less(a, b)
  local am, as = parse(a)
  local bm, bs = parse(b)
  return am < bm or (am == bm and as < bs)
end
if redis.call('EXISTS', KEYS[1]) == 0 then return { 0, '' } end
local floor
if ARGV[1] == 'maxlen' then
  local keep = tonumber(ARGV[2])
  if redis.call('XLEN', KEYS[1]) <= keep then return { 0, '' } end
  local newest = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', keep)
  floor = newest[#newest][1]
else
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  floor = tostring(now - tonumber(ARGV[2])) .. '-0'
end
for _, g in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
  local name, lastDelivered
  for i = 1, #g, 2 do
    if g[i] == 'name' then name = g[i + 1] end
    if g[i] == 'last-delivered-id' then lastDelivered = g[i + 1] end
  end
  local needed = lastDelivered
  local summary = redis.call('XPENDING', KEYS[1], name)
  if summary[1] > 0 then needed = summary[2] end
  if less(needed, floor) then floor = needed end
end
local trimmed = redis.call('XTRIM', KEYS[1], 'MINID', '~', floor)
return { trimmed, floor }
`;
