# fuzz/common.mk: what the libFuzzer harnesses share, flags and rules
# (included by fuzz/collect/Makefile and fuzz/cookie/Makefile).  They
# need `make` at the top first: build/nginx has the headers.

ROOT    := ../..
NGX     ?= $(ROOT)/build/nginx
MOD     := $(ROOT)/ngx_cx_module
OUT     ?= $(ROOT)/fuzz/out
CLANG   ?= clang
SECONDS ?= 60

INCS    := -I$(NGX)/src/core -I$(NGX)/src/event -I$(NGX)/src/event/modules \
           -I$(NGX)/src/os/unix -I$(NGX)/objs -I$(MOD)
SAN     := -O1 -g -fsanitize=fuzzer,address,undefined \
           -fno-sanitize-recover=all -fno-omit-frame-pointer

# A harness sets NAME (the binary), SRCS (what it is built from, its own
# .c first), DEPS (headers), MAXLEN, DICT and CORPUS (its folder under
# $(OUT) for new inputs) before including this file; XINCS and LIBS if
# it needs more.

.PHONY: fuzz run clean

fuzz: $(OUT)/$(NAME)

$(OUT)/$(NAME): $(SRCS) $(DEPS)
	mkdir -p $(OUT)
	$(CLANG) $(SAN) $(INCS) $(XINCS) $(SRCS) $(LIBS) -o $@

# bounded: SECONDS of fuzzing from the corpus; new inputs go to out/, the
# committed corpus only grows by hand (minimised: -merge=1)
run: $(OUT)/$(NAME)
	mkdir -p $(OUT)/$(CORPUS)
	$(OUT)/$(NAME) -max_total_time=$(SECONDS) -max_len=$(MAXLEN) \
	    -dict=$(DICT) -print_final_stats=1 \
	    $(OUT)/$(CORPUS) corpus

clean:
	rm -f $(OUT)/$(NAME)
