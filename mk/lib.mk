# Generic rules for one library. A library declares itself in <dir>/lib.mk:
#
#   LIBS += queue                  short name (required)
#   queue_DIR := pkg/queue         folder (default pkg/<name>)
#   queue_NAME := gnet-queue       archive, soname and pkg-config name (default gnet-<name>)
#   queue_REQUIRES :=              gnet libraries it uses, by short name, transitively
#   queue_LDLIBS := -pthread       system libraries it needs (also Libs.private)
#   queue_TEST_LDLIBS :=           extra libraries for its test suite
#   queue_TEST_REQUIRES :=         gnet libraries only its tests (and benchmark) use
#   queue_BENCH_CFLAGS :=          extra flags for its benchmark (e.g. peer libraries found
#   queue_BENCH_LDLIBS :=          with pkg-config; guard them with a -DHAVE_... define)
#
# Sources are <dir>/src/*.c, public headers <dir>/include/gnet/*.h, tests
# tests/<name>/*.c (one Check suite binary), benchmarks bench/<name>/*.c (one binary).
# Every library also gets version/version.c (gn_version, gn_version_string) and a
# shared object whose exports are exactly the GN_EXPORT functions of its headers
# (mk/symbols.sh writes the version script from them).

# The generated <gnet/version.h> (see mk/version.mk) and where it is found.
GN_VERSION_H := $(BUILD)/include/gnet/version.h
GN_GEN_INC := -I$(BUILD)/include

# Quiet build (kbuild's convention): one "CC file" line per step, V=1 prints the
# full commands. $(call gn_say,CC,file) goes in front of a recipe line.
V ?= 0
gn_say = $(if $(filter 1,$(V)),,@printf '  %-7s %s\n' '$(1)' '$(2)';)

# Two passes: GN_LIB_VARS for every library first, so that the rules of a library
# (parsed by GN_LIB_RULES) can name the archives of libraries declared after it.
define GN_LIB_VARS
$(1)_DIR ?= pkg/$(1)
$(1)_NAME ?= gnet-$(1)
$(1)_SRCS := $$(wildcard $$($(1)_DIR)/src/*.c)
$(1)_OBJS := $$($(1)_SRCS:$$($(1)_DIR)/src/%.c=$(BUILD)/obj/$(1)/%.o) $(BUILD)/obj/$(1)/gnet-version.o
$(1)_AR := $(BUILD)/lib/lib$$($(1)_NAME).a
# Real name, soname and development link: libgnet-x.so.0.1.0, .so.0, .so.
$(1)_SONAME = lib$$($(1)_NAME).so.$(VERSION_MAJOR)
$(1)_SO := $(BUILD)/lib/lib$$($(1)_NAME).so.$(VERSION)
$(1)_MAP := $(BUILD)/lib/lib$$($(1)_NAME).map
$(1)_HEADERS := $$(wildcard $$($(1)_DIR)/include/gnet/*.h)
# Version node: GNET_BUFFER_0 for gnet-buffer, GNET_0 for gnet.
$(1)_NODE = $$(shell echo '$$($(1)_NAME)_$(VERSION_MAJOR)' | tr 'a-z-' 'A-Z_')
$(1)_DEP_ARS = $$(foreach d,$$($(1)_REQUIRES) $$($(1)_TEST_REQUIRES),$$($$(d)_AR))
$(1)_INC = -I$$($(1)_DIR)/include -I$$($(1)_DIR)/src $(GN_GEN_INC) \
    $$(foreach d,$$($(1)_REQUIRES) $$($(1)_TEST_REQUIRES),-I$$($$(d)_DIR)/include)
$(1)_DEP_LDLIBS = $$(sort $$($(1)_LDLIBS) \
    $$(foreach d,$$($(1)_REQUIRES) $$($(1)_TEST_REQUIRES),$$($$(d)_LDLIBS)))
$(1)_PC_REQUIRES = $$(foreach d,$$($(1)_REQUIRES),$$($$(d)_NAME))
$(1)_TEST_SRCS := $$(wildcard tests/$(1)/*.c)
$(1)_TEST := $$(if $$($(1)_TEST_SRCS),$(BUILD)/tests/test-$(1))
$(1)_BENCH_SRCS := $$(wildcard bench/$(1)/*.c)
$(1)_BENCH := $$(if $$($(1)_BENCH_SRCS),$(BUILD)/bench/bench-$(1))
endef

define GN_LIB_RULES

$(BUILD)/obj/$(1)/%.o: $$($(1)_DIR)/src/%.c | $(GN_VERSION_H)
	@mkdir -p $$(@D)
	$$(call gn_say,CC,$$<)$$(CC) $$(BASE_CFLAGS) $$($(1)_INC) $$(CFLAGS) -MMD -MP -c -o $$@ $$<

$(BUILD)/obj/$(1)/gnet-version.o: version/version.c $(GN_VERSION_H)
	@mkdir -p $$(@D)
	$$(call gn_say,CC,$$@)$$(CC) $$(BASE_CFLAGS) $(GN_GEN_INC) $$(CFLAGS) -c -o $$@ $$<

$$($(1)_AR): $$($(1)_OBJS)
	@mkdir -p $$(@D)
	@rm -f $$@
	$$(call gn_say,AR,$$@)$$(AR) rcs $$@ $$^

$$($(1)_MAP): $$($(1)_HEADERS) version/version.h.in mk/symbols.sh
	@mkdir -p $$(@D)
	$$(call gn_say,GEN,$$@)sh mk/symbols.sh map $$($(1)_NODE) $$($(1)_HEADERS) version/version.h.in > $$@

# $$ORIGIN in the runpath: each shared object finds the gnet-c libraries it needs
# in its own directory, at run time and when a program links against it (ld reads
# DT_RUNPATH), so an install prefix off the default path needs no environment.
$$($(1)_SO): $$($(1)_OBJS) $$($(1)_MAP) $$(foreach d,$$($(1)_REQUIRES),$$($$(d)_SO))
	@mkdir -p $$(@D)
	$$(call gn_say,LD,$$@)$$(CC) -shared -Wl,-soname,$$($(1)_SONAME) $$(SO_NO_UNDEFINED) \
	    -Wl,--version-script=$$($(1)_MAP) -Wl,-rpath,'$$$$ORIGIN' \
	    -o $$@ $$($(1)_OBJS) -L$(BUILD)/lib $$(foreach d,$$($(1)_REQUIRES),-l$$($$(d)_NAME)) \
	    $$(ALL_LDFLAGS) $$($(1)_LDLIBS)
	@ln -sf lib$$($(1)_NAME).so.$(VERSION) $(BUILD)/lib/$$($(1)_SONAME)
	@ln -sf $$($(1)_SONAME) $(BUILD)/lib/lib$$($(1)_NAME).so

$(BUILD)/tests/test-$(1): $$($(1)_TEST_SRCS) $$($(1)_AR) $$($(1)_DEP_ARS) $$(wildcard tests/common/*.h tests/$(1)/*.h) | need-check
	@mkdir -p $$(@D)
	$$(call gn_say,LD,$$@)$$(CC) $$(BASE_CFLAGS) $$($(1)_INC) -Itests/common $$(CHECK_CFLAGS) $$(CFLAGS) -o $$@ \
	    $$($(1)_TEST_SRCS) $$($(1)_AR) $$($(1)_DEP_ARS) $$(ALL_LDFLAGS) $$($(1)_TEST_LDLIBS) \
	    $$($(1)_DEP_LDLIBS) $$(CHECK_LIBS)

$(BUILD)/bench/bench-$(1): $$($(1)_BENCH_SRCS) $$($(1)_AR) $$($(1)_DEP_ARS)
	@mkdir -p $$(@D)
	$$(call gn_say,LD,$$@)$$(CC) $$(BASE_CFLAGS) $$($(1)_INC) $$($(1)_BENCH_CFLAGS) $$(CFLAGS) -o $$@ \
	    $$($(1)_BENCH_SRCS) $$($(1)_AR) $$($(1)_DEP_ARS) $$(ALL_LDFLAGS) $$($(1)_BENCH_LDLIBS) \
	    $$($(1)_DEP_LDLIBS)

test-$(1): $$($(1)_TEST)
	@sh mk/run-tests.sh "$$(TEST_ENV)" $$^

bench-$(1): $$($(1)_BENCH)
	$$($(1)_BENCH)

.PHONY: test-$(1) bench-$(1)
-include $$($(1)_OBJS:.o=.d)
endef
