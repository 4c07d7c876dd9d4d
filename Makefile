# gnet-c: hand-written GNU make build.
#
#   make                     every library (.a and .so), examples, benchmarks
#   make test                build and run every Check suite (non-zero exit on failure)
#   make test SAN=address,undefined | SAN=thread    same suites, sanitized, in build-<san>/
#   make test-<lib>          one library's suite          (e.g. make test-buffer)
#   make bench               build and run every benchmark; bench-<lib> for one
#   make demo                the main job (see README)
#   make install PREFIX=/usr/local DESTDIR=   headers, libraries, pkg-config files
#   make uninstall / check (= test) / help / format / format-check / clean
#   V=1                      print full commands instead of one line per step
#
# Each library declares itself in <dir>/lib.mk (see mk/lib.mk for the fields);
# this file only holds the generic rules.

# The one place the release is set: <gnet/version.h>, the shared objects' names,
# the pkg-config and CMake files all take it from here.
VERSION_MAJOR := 0
VERSION_MINOR := 1
VERSION_PATCH := 0
VERSION := $(VERSION_MAJOR).$(VERSION_MINOR).$(VERSION_PATCH)

PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
DESTDIR ?=

CC ?= cc
AR ?= ar
PKG_CONFIG ?= pkg-config

# SAN is passed to -fsanitize= as is; every sanitizer set gets its own build dir.
SAN ?=
BUILD ?= build$(if $(SAN),-$(subst $(comma),-,$(SAN)))
comma := ,

WARN := -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion \
        -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
# CI (CI=true in the environment) turns warnings into errors; WERROR=1 does it by hand.
WERROR ?= $(CI)
ifneq ($(WERROR),)
WARN += -Werror
endif

OPT ?= -O2 -g
SANFLAGS := $(if $(SAN),-fsanitize=$(SAN) -fno-omit-frame-pointer -fno-sanitize-recover=all)
# -fno-semantic-interposition: a library's calls to its own exported functions stay
# direct in the .so (nobody interposes them), as they are in the archive.
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -fPIC -fvisibility=hidden -fno-semantic-interposition $(WARN) $(OPT) $(SANFLAGS)
CFLAGS ?=
LDFLAGS ?=
ALL_LDFLAGS := $(SANFLAGS) $(LDFLAGS)
# Shared objects must resolve every symbol, except under sanitizers (their runtime
# comes with the executable). A variable, not an $(if) inside $(call): a comma in
# SAN (address,undefined) would split the call's arguments.
SO_NO_UNDEFINED := $(if $(SAN),,-Wl$(comma)--no-undefined)

CHECK_FOUND := $(shell $(PKG_CONFIG) --exists check 2>/dev/null && echo yes)
CHECK_CFLAGS := $(shell $(PKG_CONFIG) --cflags check 2>/dev/null)
CHECK_LIBS := $(shell $(PKG_CONFIG) --libs check 2>/dev/null)

# Test suites read these at run time (see tests/common/gn_test.h).
TEST_ENV := GN_TEST_SAN=$(if $(SAN),1,0) CK_DEFAULT_TIMEOUT=$(if $(SAN),600,120)

LIBS :=
DEMO_CMD := $(BUILD)/examples/echo_demo

all:

include mk/lib.mk
# Link order for static archives: dependents before their dependencies.
LIB_ORDER := engine codec netpoll pool queue buffer socket logging
include $(sort $(wildcard pkg/*/lib.mk engine/lib.mk))
$(foreach l,$(LIBS),$(eval $(call GN_LIB_VARS,$(l))))
$(foreach l,$(LIBS),$(eval $(call GN_LIB_RULES,$(l))))

ORDERED_LIBS := $(foreach l,$(LIB_ORDER),$(filter $(l),$(LIBS))) $(filter-out $(LIB_ORDER),$(LIBS))
ALL_ARCHIVES := $(foreach l,$(ORDERED_LIBS),$($(l)_AR))
ALL_INCLUDES := $(foreach l,$(LIBS),-I$($(l)_DIR)/include) $(GN_GEN_INC)
ALL_LDLIBS := $(sort $(foreach l,$(LIBS),$($(l)_LDLIBS)))

# Examples: examples/<name>.c -> $(BUILD)/examples/<name>, with the helpers in
# examples/common, linked with every archive.
EXAMPLE_SRCS := $(wildcard examples/*.c)
EXAMPLES := $(EXAMPLE_SRCS:examples/%.c=$(BUILD)/examples/%)
EXAMPLE_COMMON := $(wildcard examples/common/*.c)
$(BUILD)/examples/%: examples/%.c $(EXAMPLE_COMMON) $(wildcard examples/common/*.h) $(ALL_ARCHIVES) | $(BUILD)/examples $(GN_VERSION_H)
	$(call gn_say,LD,$@)$(CC) $(BASE_CFLAGS) $(ALL_INCLUDES) -Iexamples $(CFLAGS) -o $@ $< $(EXAMPLE_COMMON) \
	    $(ALL_ARCHIVES) $(ALL_LDFLAGS) $(ALL_LDLIBS)

$(BUILD)/examples:
	@mkdir -p $@

all: libs $(EXAMPLES) benches
libs: $(foreach l,$(LIBS),$($(l)_AR) $($(l)_SO))
examples: $(EXAMPLES)
benches: $(foreach l,$(LIBS),$($(l)_BENCH))

# Runs every suite even after a failure, then prints one summary line per suite.
test: $(foreach l,$(LIBS),$($(l)_TEST))
	@sh mk/run-tests.sh "$(TEST_ENV)" $^
check: test

# Every suite binary depends on this (order-only), so a missing Check says so
# instead of failing on check.h.
need-check:
ifneq ($(CHECK_FOUND),yes)
	@echo "the test suites need the Check framework, found through pkg-config:" >&2
	@echo "    apt-get update && apt-get install -y check pkg-config   (as root)" >&2
	@exit 1
endif

bench: $(foreach l,$(LIBS),$($(l)_BENCH))
	@set -e; for b in $^; do echo "== $$b"; $$b; done

demo: $(DEMO_CMD)
	$(DEMO_CMD)

# install, uninstall: mk/install.mk.

# Further targets (fuzzing, soak, benchmarks, docs...) each live in a mk/<name>.mk
# fragment of their own, included here.
include $(sort $(filter-out mk/lib.mk,$(wildcard mk/*.mk)))

FORMAT_SRCS = $(shell git ls-files '*.c' '*.h' 2>/dev/null)
format:
	clang-format -i $(FORMAT_SRCS)
format-check:
	clang-format --dry-run --Werror $(FORMAT_SRCS)

clean:
	rm -rf build build-*

.PHONY: all libs examples benches test check need-check bench demo format format-check clean
.SECONDARY:
