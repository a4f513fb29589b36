-- Thank-you page NPS for 10% of buyers.
--
--   location = /thanks.html {
--       cx_touchpoint thanks;
--       cx_survey post_purchase type=nps
--                 "question=How likely are you to recommend us?";
--       cx_rules_lua /etc/nginx/cx/thanks_nps.lua;
--   }
--
-- cx.sample draws once per visitor: a buyer who comes back to the page
-- gets the same answer, so the 10% are 10% of people, not of page views.

local M = {}

function M.trigger(r)
    if r.path ~= "/thanks.html" then
        return nil
    end

    if cx.sample(0.10, "post_purchase") then
        return "post_purchase"
    end
end

return M
