-- wrk script for bench/wrk.ts: each connection writes `depth` GET requests at once and waits for all the
-- answers before writing the next batch (HTTP/1.1 pipelining, RFC 9112 §9.3.2). Usage: wrk ... -s bench/pipeline.lua URL -- 10
init = function(args)
  local depth = tonumber(args[1]) or 1
  local batch = {}
  for i = 1, depth do
    batch[i] = wrk.format("GET", "/")
  end
  pipelined = table.concat(batch)
end

request = function()
  return pipelined
end
