-- bench/rules-minimal.lua: the least a rule file can do -- the fixed cost
-- of a call into the rules VM (RULES=bench/rules-minimal.lua bench/rules)
return { trigger = function(r) return "bench" end }
