-- A/B test of the question's wording on the home page, for 5% of
-- visitors.  cx.pick gives each visitor one of the variants and keeps it;
-- variant= names it, so that its impressions and answers are counted
-- apart and /cx/score?survey=home_nps&by=variant (and the dashboard's
-- Variants table) compares the two groups' scores and response rates,
-- the others against the first by name.  (Visitors without the cookie
-- yet draw again on each page view.)
--
--   location = /index.html {       # "/" is served from here
--       cx_touchpoint home;
--       cx_survey home_nps type=nps;
--       cx_rules_lua /etc/nginx/cx/ab_question.lua;
--   }

local VARIANTS = { "a-recommend", "b-tell-a-friend" }

local WORDINGS = {
    ["a-recommend"] =
        "How likely are you to recommend us to a friend or colleague?",
    ["b-tell-a-friend"] = "Would you tell a friend about us?",
}

local M = {}

function M.trigger(r)
    if not cx.sample(0.05, "home_nps") then
        return nil
    end

    local v = cx.pick(VARIANTS, "home_nps_wording")

    return {
        survey = "home_nps",
        variant = v,
        question = WORDINGS[v],
    }
end

return M
