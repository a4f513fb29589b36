-- NPS on product pages from the visitor's third page view on, Monday to
-- Friday only (r.time is in cx_rules_time_zone).
--
--   cx_rules_time_zone Europe/Paris;
--   location /products/ {
--       cx_survey product_nps type=nps;
--       cx_rules_lua /etc/nginx/cx/product_nps_weekdays.lua;
--   }

local M = {}

function M.touchpoint(r)
    if cx.glob(r.path, "/products/*") then
        return "product"
    end
end

function M.trigger(r)
    if not cx.glob(r.path, "/products/*") then
        return nil
    end

    -- views counts the visitor's earlier page views: 2 or more means
    -- this is at least the third
    if r.visitor.views < 2 then
        return nil
    end

    if not cx.weekday(r) then
        return nil
    end

    return "product_nps"
end

return M
