-- wrk script: OBS get of a 10 KB object that exists (run.py puts it before the run).
request = function()
  return wrk.format("GET", "/bench-bucket/objects/existing.bin",
                    {["Authorization"] = "AWS bench:c2lnbmF0dXJl"})
end
