-- CES after a support article: once the visitor has read it for 20
-- seconds, ask how easy it was to find an answer -- but not on the help
-- centre's index pages, and not who answered a survey in the last 30 days.
--
--   location /help/ {
--       cx_survey help_ces type=ces "question=How easy was it to solve your issue?";
--       cx_rules_lua /etc/nginx/cx/support_ces.lua;
--   }

local M = {}

function M.touchpoint(r)
    if cx.glob(r.path, "/help/**") then
        return "support"
    end
end

function M.trigger(r)
    -- articles are /help/<topic>/<article>.html
    if not cx.glob(r.path, "/help/*/*.html") then
        return nil
    end

    if cx.answered_within(r, 30) then
        return nil
    end

    return { survey = "help_ces", delay = 20 }
end

return M
