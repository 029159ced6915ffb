-- wrk script: PATCH one project with a description that changes on every request, so that every
-- request is a real committed write (a PATCH that changes nothing is answered without writing).
local counter = 0
local thread_id = 0
local threads = 0

function setup(thread)
    threads = threads + 1
    thread:set("thread_id", threads)
end

function init(args)
    thread_id = thread_id or 0
end

request = function()
    counter = counter + 1
    local body = string.format('{"description":"t%d-%d"}', thread_id, counter)
    return wrk.format("PATCH", wrk.path, {["Content-Type"] = "application/json"}, body)
end
