-- bench/rules-shop.lua: the rule file bench/rules measures -- what a
-- shop would write: touchpoints from the path, opt-outs, the visitor's
-- cool-down and page count, the order value, the time of day and a
-- per-visitor sample.  The benchmarked page view (an article, third
-- view, no survey for 40 days) gets the survey "bench".

local route, cooled_down, sample, number =
      cx.route, cx.cooled_down, cx.sample, cx.number

local TOUCHPOINTS = {
    { "/", "home" }, { "/products/**", "product" }, { "/cart", "cart" },
    { "/checkout/**", "checkout" }, { "/help/**", "support" },
    { "/*.html", "article" },
}

local M = {}

function M.touchpoint(r)
    return (route(r.path, TOUCHPOINTS))
end

function M.trigger(r)
    if r.header["DNT"] == "1" or r.cookie["cx_optout"] then return nil end
    if not cooled_down(r, 30) then return nil end
    local tp = r.touchpoint
    if tp == "checkout" then
        local value = number(r.resp_header["X-Order-Value"])
        if value and value >= 500 then return "big_order_csat" end
    elseif tp == "article" and r.visitor.views >= 2 and r.time.hour >= 0 then
        if sample(0.999, "bench") then return "bench" end
    end
    return nil
end

return M
