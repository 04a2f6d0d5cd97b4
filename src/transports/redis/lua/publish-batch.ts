/** publish-batch.lua: append several entries to one stream in one round trip (the publisher's coalesced XADDs). */
export const publishBatchLua = `
--[[ publish-batch: XADD each entry, in order, to one stream. Publishes issued in the same tick of the
  publisher go to Redis as one call instead of one XADD each: one command to parse, dispatch and answer
  instead of N (docs/performance.md). Each XADD is the same as the publisher's single one (id '*').
  KEYS[1]  the stream
  ARGV     entries, each as: field count n, then n field/value arguments (n is even)
  Returns  { ids, error }: ids are the entry ids of the entries stored, in order; error is '' when all were
           stored, else the error reply of the first XADD that failed (that entry and the ones after it are
           not stored; in practice the first XADD fails or none does: WRONGTYPE, OOM and NOPERM do not depend
           on the entry)
]]
local ids = {}
local i = 1
while i <= #ARGV do
  local n = tonumber(ARGV[i])
  local ok = redis.pcall('XADD', KEYS[1], '*', unpack(ARGV, i + 1, i + n))
  if type(ok) == 'table' and ok.err then
    return { ids, ok.err }
  end
  ids[#ids + 1] = ok
  i = i + n + 1
end
return { ids, '' }
`;
