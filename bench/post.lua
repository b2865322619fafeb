-- wrk script: POST /posts with a JSON body. Each thread keeps the ids the server
-- answered 201 for; at the end they are printed as one line, so the caller can
-- check that every accepted post is stored.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"title": "written by wrk", "content": "one post of a benchmark run"}'

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  created = {}
end

function response(status, headers, body)
  if status == 201 then
    table.insert(created, body:match('"id":%s*(%d+)'))
  end
end

function done(summary, latency, requests)
  local ids = {}
  for _, thread in ipairs(threads) do
    for _, id in ipairs(thread:get("created")) do
      table.insert(ids, id)
    end
  end
  io.write("created_ids ", table.concat(ids, ","), "\n")
end
