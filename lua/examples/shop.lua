-- A whole shop's rules in one file: touchpoints from the URL, and which
-- survey each page view gets (bench/rules measures its sibling,
-- bench/rules-shop.lua).

local TOUCHPOINTS = {
    { "/", "home" }, { "/products/**", "product" }, { "/cart", "cart" },
    { "/checkout/**", "checkout" }, { "/help/**", "support" },
}

local M = {}

function M.touchpoint(r)
    for _, t in ipairs(TOUCHPOINTS) do
        if cx.glob(r.path, t[1]) then
            return t[2]
        end
    end
end

function M.trigger(r)
    if not cx.cooled_down(r, 30) or r.header["DNT"] == "1" then
        return nil
    end

    local tp = r.touchpoint
    if tp == "checkout" then
        local value = cx.number(r.resp_header["X-Order-Value"])
        if value and value >= 500 then return "big_order_csat" end
        return cx.sample(0.2, "checkout_nps") and "checkout_nps" or nil
    elseif tp == "support" and cx.glob(r.path, "/help/*/*.html") then
        return { survey = "help_ces", delay = 20 }
    elseif tp == "product" and r.visitor.views >= 2 and cx.weekday(r) then
        return cx.sample(0.1, "product_nps") and "product_nps" or nil
    end
end

return M
