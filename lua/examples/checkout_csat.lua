-- After checkout: CSAT for big orders, NPS for a fifth of the others.
-- The shop's backend says what the order was worth in a response header
-- (nginx keeps it from the browser with proxy_hide_header if you like).
--
--   location = /checkout/done {
--       cx_touchpoint checkout;
--       cx_survey big_order_csat type=csat "question=How satisfied are you with your order?";
--       cx_survey checkout_nps type=nps;
--       cx_rules_lua /etc/nginx/cx/checkout_csat.lua;
--       proxy_pass http://shop;
--   }

local BIG_ORDER = 500          -- in the shop's currency

local M = {}

function M.trigger(r)
    if r.touchpoint ~= "checkout" then
        return nil
    end

    -- "1,250.00", "$1250" and "1250.00 EUR" all read as 1250
    local value = cx.number(r.resp_header["X-Order-Value"])

    if value and value >= BIG_ORDER then
        return "big_order_csat"
    end

    if cx.sample(0.20, "checkout_nps") then
        return "checkout_nps"
    end
end

return M
