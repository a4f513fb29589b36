-- Never from email campaigns: no survey, on any page of a visit that
-- came from an email (utm_source or utm_medium "email", in any case).
-- r.visitor.source is the first touch of the current visit: the landing
-- page's utm_* and Referer host, remembered in the cx_v cookie for the
-- pages after it, lower-cased.
--
--   server {
--       cx_survey site_nps type=nps;
--       cx_rules_lua /etc/nginx/cx/no_email_campaigns.lua;
--   }

local M = {}

function M.trigger(r)
    local source = r.visitor.source

    if source.utm_source == "email" or source.utm_medium == "email" then
        return nil
    end

    return "site_nps"
end

return M
