-- wrk script: POST a new project on every request (each one a committed insert).
request = function()
    return wrk.format("POST", wrk.path, {["Content-Type"] = "application/json"},
                      '{"name":"Posted","description":"made by bench/api/post.lua","owner":"ann"}')
end
