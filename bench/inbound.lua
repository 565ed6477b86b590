-- wrk script of bench/inbound.py: POST a random prepared inbound decision body (one JSON per
-- line of $BENCH_BODIES: to, from, channel) with the API key of $BENCH_API_KEY (the PBX's).
-- The first script argument is the path (default /v1/decisions/inbound; /bench/stub-inbound too).

local bodies = {}
local path = "/v1/decisions/inbound"
local headers = {}
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_no", threads)
end

function init(args)
  if args[1] then
    path = args[1]
  end
  for line in io.lines(os.getenv("BENCH_BODIES")) do
    bodies[#bodies + 1] = line
  end
  headers["Content-Type"] = "application/json"
  headers["Authorization"] = "Bearer " .. os.getenv("BENCH_API_KEY")
  math.randomseed(os.time() * 89 + (thread_no or 0))
end

function request()
  return wrk.format("POST", path, headers, bodies[math.random(#bodies)])
end
