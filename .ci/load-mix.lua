-- One request in each of these, in turn, per connection: the journeys of officers and researchers.
local paths = {
  "/case-studies/",
  "/case-studies/?response=collaborate&service=adult-social-care",
  "/case-studies/?q=libraries",
  "/case-studies/?q=health&sector=nhs&council_type=unitary",
  "/case-studies/wigan-deal/",
  "/case-studies/?nation=wales&sort=title&page=1",
  "/case-studies/lincolnshire-library-hubs/",
  "/",
}
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1])
end

-- Count anything but 200 (wrk itself only flags 4xx/5xx). Each thread keeps its own count.
local threads = {}
setup = function(thread)
  table.insert(threads, thread)
end
init = function()
  not_ok = 0
end
response = function(status)
  if status ~= 200 then not_ok = not_ok + 1 end
end
done = function()
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("not_ok") end
  io.write(string.format("Responses other than 200: %d\n", total))
end
