# libFuzzer targets: every tests/fuzz/fuzz_<name>.c is one target, linked with
# every library built with coverage, ASan and UBSan by clang into build-fuzz/
# (the libraries' warnings are the main build's business: -w here).
#
#   make fuzz                  build the targets and run each FUZZ_SECONDS (default 30)
#   make fuzz FUZZ_SECONDS=3600 FUZZ_TARGETS="fuzz_addr"   longer, or only some
#   make fuzz-build            build only
#
# Seeds live in tests/fuzz/corpus/<name>/ (or corpus/<name without fuzz_>/) and a
# dictionary in tests/fuzz/<name>.dict
# (both optional); what a run discovers goes to build-fuzz/corpus/<name>/, crashes
# to build-fuzz/artifacts/. See tests/fuzz/README.md for adding a target.

FUZZ_CC ?= clang
FUZZ_SECONDS ?= 30
FUZZ_BUILD := build-fuzz
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 $(FUZZ_SAN) -Wall -Wextra -Wno-unused-parameter
# The targets see every allocation (to fail it on purpose) and never resolve a
# name through DNS: see tests/fuzz/support/fuzz.h.
FUZZ_WRAP := -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=getaddrinfo

FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(FUZZ_BUILD)/%)
FUZZ_TARGETS ?= $(FUZZ_SRCS:tests/fuzz/%.c=%)
# The archive holds every library and the examples' parsers (examples/<dir>/*.c),
# so a target for a protocol parser needs nothing but its own file.
FUZZ_EXAMPLE_SRCS := $(wildcard examples/*/*.c)
FUZZ_LIB_OBJS := $(foreach l,$(LIBS),$($(l)_SRCS:$($(l)_DIR)/src/%.c=$(FUZZ_BUILD)/obj/$(l)/%.o)) \
    $(FUZZ_EXAMPLE_SRCS:%.c=$(FUZZ_BUILD)/obj/%.o)
FUZZ_AR := $(FUZZ_BUILD)/libgnet-fuzz.a
FUZZ_SUPPORT := $(wildcard tests/fuzz/support/*.c)

define GN_FUZZ_OBJ_RULE
$(FUZZ_BUILD)/obj/$(1)/%.o: $$($(1)_DIR)/src/%.c | $$(GN_VERSION_H)
	@mkdir -p $$(@D)
	$$(FUZZ_CC) $$(FUZZ_CFLAGS) -w -fsanitize=fuzzer-no-link $$($(1)_INC) -MMD -MP -c -o $$@ $$<
endef
$(foreach l,$(LIBS),$(eval $(call GN_FUZZ_OBJ_RULE,$(l))))

$(FUZZ_BUILD)/obj/examples/%.o: examples/%.c | $(GN_VERSION_H)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -w -fsanitize=fuzzer-no-link -Iexamples $(ALL_INCLUDES) -MMD -MP -c -o $@ $<

$(FUZZ_AR): $(FUZZ_LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_SUPPORT) $(wildcard tests/fuzz/support/*.h) $(FUZZ_AR)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -Itests/fuzz -Iexamples $(ALL_INCLUDES) -o $@ \
	    $< $(FUZZ_SUPPORT) $(FUZZ_AR) $(FUZZ_WRAP) -pthread -lm

fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	@sh mk/fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

.PHONY: fuzz fuzz-build
-include $(FUZZ_LIB_OBJS:.o=.d)
