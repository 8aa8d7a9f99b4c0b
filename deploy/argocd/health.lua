-- Argo CD health check for serin's Rollout (serin.dev, kind Rollout).
--
-- Argo CD runs this with the live object as `obj` and reads the table it
-- returns: `hs.status` (Healthy, Progressing, Suspended, Degraded or
-- Unknown) and `hs.message`. Written for Lua 5.1 (Argo CD's interpreter is
-- gopher-lua) with only the base library. Install it in argocd-cm under
-- `resource.customizations.health.serin.dev_Rollout` (docs/install.md,
-- "Argo CD"); tests: health_test.yaml, run by test_health.py.
--
-- serin's controller writes status.phase and status.message
-- (crates/engine/src/report.rs); the phase maps to a health status:
--   Healthy -> Healthy, Progressing -> Progressing, Paused -> Suspended,
--   Aborted and Degraded -> Degraded.
-- A spec the controller has not observed yet (status.observedGeneration
-- behind metadata.generation) is Progressing whatever the old phase said.

local hs = {}

-- The first argument that is a non-empty string.
local function first_text(...)
  for i = 1, select("#", ...) do
    local v = select(i, ...)
    if type(v) == "string" and v ~= "" then
      return v
    end
  end
  return nil
end

local status = obj.status
if status == nil or status.phase == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for serin's controller to report the rollout's status"
  return hs
end

local generation = nil
if obj.metadata ~= nil then
  generation = tonumber(obj.metadata.generation)
end
local observed = tonumber(status.observedGeneration)
if generation ~= nil and (observed == nil or observed < generation) then
  hs.status = "Progressing"
  hs.message = "Waiting for serin's controller to observe generation " .. tostring(generation)
  return hs
end

local phase = status.phase
if phase == "Healthy" then
  hs.status = "Healthy"
  hs.message = first_text(status.message, "The stable version serves all traffic")
elseif phase == "Progressing" then
  hs.status = "Progressing"
  hs.message = first_text(status.message, "Releasing a new version")
elseif phase == "Paused" then
  hs.status = "Suspended"
  hs.message = first_text(status.message, "Paused")
elseif phase == "Aborted" then
  hs.status = "Degraded"
  local reason = first_text(status.abortReason)
  hs.message = first_text(status.message, reason and ("aborted: " .. reason), "The release was aborted")
elseif phase == "Degraded" then
  hs.status = "Degraded"
  hs.message = first_text(status.message, "Progress deadline exceeded or the stable version is unhealthy")
else
  hs.status = "Unknown"
  hs.message = "Unknown phase " .. tostring(phase)
end
return hs
