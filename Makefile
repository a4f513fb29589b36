# ngx_cx_module -- see README.md.  `make demo` and `make test` are the
# front door; both install what is missing (Debian packages) first.

BUILD   := build
MODULE  := $(BUILD)/ngx_http_cx_module.so
WIDGET  := widget/dist/cx-widget.js widget/dist/cx-widget.js.gz \
           widget/dist/cx-widget-lang.pack
DASH    := dashboard/index.html dashboard/dashboard.js dashboard/dashboard.css
SRCS    := config $(wildcard ngx_cx_module/*.c ngx_cx_module/*.h lua/redis/*.lua) \
           lua/sandbox.lua lua/cx/init.lua lua/check.lua $(WIDGET) $(DASH)
PROVE   ?= prove
T       ?= t/

.PHONY: all deps test test-asan fuzz demo demo-stop bench bench-inject \
        bench-rules bench-counters bench-score bench-hostile bench-fleet clean \
        widget widget-check \
        deb deb-check rules-try mutants

all: $(MODULE)

$(MODULE): $(SRCS) util/build.sh
	util/build.sh $(BUILD)

# The survey widget: widget/src/ built into widget/dist/ (committed, so
# the module builds without Node) by the npm tooling pinned in
# widget/package-lock.json.  Only these targets and the tests need Node.
widget: widget/node_modules/.package-lock.json
	cd widget && node build.js
	widget/size.sh

widget-check: widget/node_modules/.package-lock.json
	cd widget && node build.js --check
	widget/size.sh

widget/node_modules/.package-lock.json: widget/package.json \
                                        widget/package-lock.json
	widget/test/setup.sh

deps:
	util/deps.sh test

test:
	util/deps.sh test
	$(MAKE) all
	TEST_NGINX_MODULE=$(CURDIR)/$(MODULE) $(PROVE) -I t/lib -r $(T)

test-asan:
	util/deps.sh asan
	util/build-asan.sh $(BUILD)/asan
	TEST_NGINX_BINARY=$(CURDIR)/$(BUILD)/asan/sbin/nginx \
	TEST_NGINX_MODULE=$(CURDIR)/$(BUILD)/asan/ngx_http_cx_module.so \
	TEST_NGINX_ASAN=1 $(PROVE) -I t/lib -r $(T)

# a rule file tried on described page views, in a private nginx (README
# "Trying a rule"): make rules-try RULES=my.lua [REQUEST=cases], without
# REQUEST the cases of RULES.test
rules-try:
	$(MAKE) all
	util/cx-rules-try $(RULES) $(REQUEST)

# libFuzzer on the request parsers, the rules' pattern matcher and the
# Redis Cluster replies (slot map, redirections),
# FUZZ_SECONDS each (CI: the default)
FUZZ_SECONDS ?= 60

fuzz:
	util/deps.sh fuzz
	$(MAKE) all
	$(MAKE) -C fuzz/collect run SECONDS=$(FUZZ_SECONDS)
	$(MAKE) -C fuzz/html run SECONDS=$(FUZZ_SECONDS)
	$(MAKE) -C fuzz/html run-inflate SECONDS=$(FUZZ_SECONDS)
	$(MAKE) -C fuzz/cookie run SECONDS=$(FUZZ_SECONDS)
	$(MAKE) -C fuzz/pattern run SECONDS=$(FUZZ_SECONDS)
	$(MAKE) -C fuzz/cluster run SECONDS=$(FUZZ_SECONDS)
	$(MAKE) -C fuzz/visitor run SECONDS=$(FUZZ_SECONDS)

demo:
	util/deps.sh demo
	$(MAKE) all
	util/demo.sh start

demo-stop:
	util/demo.sh stop

bench: bench-inject bench-counters bench-rules bench-score

bench-inject:
	util/deps.sh bench
	$(MAKE) all
	bench/inject

bench-rules:
	util/deps.sh bench
	$(MAKE) all
	bench/rules

# what hostile rule files cost per page view (README "Hostile rules")
bench-hostile:
	$(MAKE) all
	bench/hostile

bench-counters:
	util/deps.sh bench
	$(MAKE) all
	bench/counters

# /cx/score over 90 days and a year: this tree against main before the
# rollups (README "Scores")
bench-score:
	util/deps.sh bench
	$(MAKE) all
	bench/score

# a Sentinel fleet, a Redis Cluster and several nginx, a failover under load
bench-fleet:
	util/deps.sh test
	$(MAKE) all
	bench/fleet

# 30 minutes of the fleet: reloads, failovers, RSS, exact counts (not in CI)
.PHONY: bench-soak bench-capacity
bench-soak:
	util/deps.sh test
	$(MAKE) all
	bench/soak

# what one Redis primary carries: Redis CPU per view, answer, flush; memory
bench-capacity:
	util/deps.sh test
	$(MAKE) all
	bench/capacity

# the Debian package libnginx-mod-http-cx (pkg/deb/, version in VERSION):
# build/libnginx-mod-http-cx_<version>_<arch>.deb; deb-check (root)
# installs it, runs the system nginx -t with it, and removes it
deb:
	util/deps.sh deb
	$(MAKE) all
	util/deb.sh $(BUILD)

deb-check:
	util/deps.sh deb-check
	$(MAKE) deb
	util/deb-check.sh $(BUILD)

clean:
	rm -rf $(BUILD)

# mutation testing (t/mutants.list, t/README.md "Mutants"), in a scratch
# copy of the tree: not part of `make test`; MUTANTS=name[,...] runs some
mutants:
	util/deps.sh test
	util/mutants
