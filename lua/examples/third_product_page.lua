-- NPS after the 3rd product page: a visitor who has seen two product
-- pages before this one is asked on the third.  r.visitor.touchpoints
-- counts the page views of each touchpoint before this one (the module
-- counts them in the cx_v cookie), 0 for a touchpoint never seen.
--
--   location /products/ {
--       cx_touchpoint product;
--       cx_survey product_nps type=nps;
--       cx_rules_lua /etc/nginx/cx/third_product_page.lua;
--   }

local M = {}

function M.trigger(r)
    if r.visitor.touchpoints.product >= 2 then
        return "product_nps"
    end

    return nil
end

return M
