-- bench/rules-openresty.lua: the same decision as bench/rules-shop.lua
-- with OpenResty's API (Debian's libnginx-mod-http-lua), for bench/rules:
--   header_filter_by_lua_block { require("rules-openresty").decide() }
-- It only decides (into ngx.ctx.cx_survey): the module injects in both
-- variants, so the difference is the cost of deciding.

local PAGES = {
    { "^/$", "home" }, { "^/products/.*$", "product" }, { "^/cart$", "cart" },
    { "^/checkout/.*$", "checkout" }, { "^/help/.*$", "support" },
    { "^/[^/]*%.html$", "article" },
}

local M = {}

local function touchpoint(path)
    for _, p in ipairs(PAGES) do
        if path:find(p[1]) then return p[2] end
    end
end

-- cx_v=1.ID.VIEWS.SESSIONS.SHOWN.ANSWERED: days since SHOWN, ANSWERED
-- (days_from_civil, as the module does: no mktime per request)
local floor = math.floor
local function days(d)
    if d == "0" then return nil end
    local y, m, dd = tonumber(d:sub(1, 4)), tonumber(d:sub(5, 6)),
                     tonumber(d:sub(7, 8))
    if m <= 2 then y = y - 1 end
    local mp = m > 2 and m - 3 or m + 9
    local n = y * 365 + floor(y / 4) - floor(y / 100) + floor(y / 400)
              + floor((153 * mp + 2) / 5) + dd - 1 - 719468
    return floor(ngx.time() / 86400) - n
end

function M.decide()
    local var = ngx.var
    if var.http_dnt == "1" or var.cookie_cx_optout then return end
    local id, views, _, shown, answered = (var.cookie_cx_v or ""):match(
        "^1%.([%w_-]+)%.(%d+)%.(%d+)%.(%d+)%.(%d+)$")
    local ds, da = shown and days(shown), answered and days(answered)
    if (ds and ds < 30) or (da and da < 30) then return end
    local path = var.request_uri:match("^[^?]*")
    local tp = touchpoint(ngx.unescape_uri(path))
    if tp == "checkout" then
        local value = tonumber(ngx.header["X-Order-Value"])
        if value and value >= 500 then ngx.ctx.cx_survey = "big_order_csat" end
    elseif tp == "article" and tonumber(views or 0) >= 2
           and tonumber(ngx.localtime():sub(12, 13)) >= 0
    then
        local draw = id and ngx.crc32_long(id .. "|bench") / 4294967296
                     or math.random()
        if draw < 0.999 then ngx.ctx.cx_survey = "bench" end
    end
end

return M
