-- A/B test of the question's wording on the home page, for 5% of
-- visitors.  cx.pick gives each visitor one of the wordings and keeps it,
-- so the two groups' scores can be compared.  (Visitors without the
-- cookie yet draw again on each page view.)
--
--   location = /index.html {       # "/" is served from here
--       cx_touchpoint home;
--       cx_survey home_nps type=nps;
--       cx_rules_lua /etc/nginx/cx/ab_question.lua;
--   }

local WORDINGS = {
    "How likely are you to recommend us to a friend or colleague?",
    "Would you tell a friend about us?",
}

local M = {}

function M.trigger(r)
    if not cx.sample(0.05, "home_nps") then
        return nil
    end

    return {
        survey = "home_nps",
        question = cx.pick(WORDINGS, "home_nps_wording"),
    }
end

return M
