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

# Two passes: GN_LIB_VARS for every library first, so that the rules of a library
# (parsed by GN_LIB_RULES) can name the archives of libraries declared after it.
define GN_LIB_VARS
$(1)_DIR ?= pkg/$(1)
$(1)_NAME ?= gnet-$(1)
$(1)_SRCS := $$(wildcard $$($(1)_DIR)/src/*.c)
$(1)_OBJS := $$($(1)_SRCS:$$($(1)_DIR)/src/%.c=$(BUILD)/obj/$(1)/%.o)
$(1)_AR := $(BUILD)/lib/lib$$($(1)_NAME).a
$(1)_SO := $(BUILD)/lib/lib$$($(1)_NAME).so.$(VERSION_MAJOR)
$(1)_DEP_ARS = $$(foreach d,$$($(1)_REQUIRES) $$($(1)_TEST_REQUIRES),$$($$(d)_AR))
$(1)_INC = -I$$($(1)_DIR)/include -I$$($(1)_DIR)/src \
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

$(BUILD)/obj/$(1)/%.o: $$($(1)_DIR)/src/%.c
	@mkdir -p $$(@D)
	$$(CC) $$(BASE_CFLAGS) $$($(1)_INC) $$(CFLAGS) -MMD -MP -c -o $$@ $$<

$$($(1)_AR): $$($(1)_OBJS)
	@mkdir -p $$(@D)
	@rm -f $$@
	$$(AR) rcs $$@ $$^

$$($(1)_SO): $$($(1)_OBJS) $$(foreach d,$$($(1)_REQUIRES),$$($$(d)_SO))
	@mkdir -p $$(@D)
	$$(CC) -shared -Wl,-soname,lib$$($(1)_NAME).so.$(VERSION_MAJOR) $$(SO_NO_UNDEFINED) \
	    -o $$@ $$($(1)_OBJS) -L$(BUILD)/lib $$(foreach d,$$($(1)_REQUIRES),-l$$($$(d)_NAME)) \
	    $$(ALL_LDFLAGS) $$($(1)_LDLIBS)
	ln -sf lib$$($(1)_NAME).so.$(VERSION_MAJOR) $(BUILD)/lib/lib$$($(1)_NAME).so

$(BUILD)/tests/test-$(1): $$($(1)_TEST_SRCS) $$($(1)_AR) $$($(1)_DEP_ARS) $$(wildcard tests/common/*.h tests/$(1)/*.h) | need-check
	@mkdir -p $$(@D)
	$$(CC) $$(BASE_CFLAGS) $$($(1)_INC) -Itests/common $$(CHECK_CFLAGS) $$(CFLAGS) -o $$@ \
	    $$($(1)_TEST_SRCS) $$($(1)_AR) $$($(1)_DEP_ARS) $$(ALL_LDFLAGS) $$($(1)_TEST_LDLIBS) \
	    $$($(1)_DEP_LDLIBS) $$(CHECK_LIBS)

$(BUILD)/bench/bench-$(1): $$($(1)_BENCH_SRCS) $$($(1)_AR) $$($(1)_DEP_ARS)
	@mkdir -p $$(@D)
	$$(CC) $$(BASE_CFLAGS) $$($(1)_INC) $$($(1)_BENCH_CFLAGS) $$(CFLAGS) -o $$@ \
	    $$($(1)_BENCH_SRCS) $$($(1)_AR) $$($(1)_DEP_ARS) $$(ALL_LDFLAGS) $$($(1)_BENCH_LDLIBS) \
	    $$($(1)_DEP_LDLIBS)

test-$(1): $$($(1)_TEST)
	@sh mk/run-tests.sh "$$(TEST_ENV)" $$^

bench-$(1): $$($(1)_BENCH)
	$$($(1)_BENCH)

.PHONY: test-$(1) bench-$(1)
-include $$($(1)_OBJS:.o=.d)
endef
