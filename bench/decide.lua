-- wrk script of bench/decisions.py and bench/inbound.py: POST a random prepared decision body
-- (one JSON per line of $BENCH_BODIES) with the API key of $BENCH_API_KEY to the path given
-- as the script's argument: wrk -s bench/decide.lua http://127.0.0.1:8765 -- /bench/stub

local bodies = {}
local path
local headers = {}
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_no", threads)
end

function init(args)
  path = assert(args[1], "give the path to POST to: wrk -s bench/decide.lua <url> -- <path>")
  for line in io.lines(os.getenv("BENCH_BODIES")) do
    bodies[#bodies + 1] = line
  end
  headers["Content-Type"] = "application/json"
  headers["Authorization"] = "Bearer " .. os.getenv("BENCH_API_KEY")
  math.randomseed(os.time() * 97 + (thread_no or 0))
end

function request()
  return wrk.format("POST", path, headers, bodies[math.random(#bodies)])
end
