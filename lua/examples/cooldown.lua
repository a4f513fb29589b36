-- Never twice in 30 days: no survey for a visitor who was shown one (or
-- answered one) in the last 30 days, whatever the page.  Wrap any rule
-- in the same test.
--
--   server {
--       cx_survey site_nps type=nps;
--       cx_rules_lua /etc/nginx/cx/cooldown.lua;
--   }

local M = {}

function M.trigger(r)
    if not cx.cooled_down(r, 30) then
        return nil
    end

    return "site_nps"
end

return M
