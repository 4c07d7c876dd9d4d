# The protocol examples (http_server, redis_server), their parsers' Check suite
# and end-to-end tests (tests/examples), and their fuzz targets (tests/fuzz).
#
#   make test-examples          the suite (also part of make test)
#   make fuzz-http FUZZ_TIME=60 run a libFuzzer target for that long (clang); fuzz-resp

HTTP_SRCS := $(wildcard examples/http/*.c)
HTTP_HDRS := $(wildcard examples/http/*.h)
EXCOMMON_SRCS := $(wildcard examples/common/*.c)
EXCOMMON_HDRS := $(wildcard examples/common/*.h)

$(BUILD)/examples/http_server: examples/http_server.c $(HTTP_SRCS) $(HTTP_HDRS) $(EXCOMMON_SRCS) $(EXCOMMON_HDRS) $(ALL_ARCHIVES) | $(BUILD)/examples
	$(CC) $(BASE_CFLAGS) $(ALL_INCLUDES) -Iexamples $(CFLAGS) -o $@ examples/http_server.c \
	    $(HTTP_SRCS) $(EXCOMMON_SRCS) $(ALL_ARCHIVES) $(ALL_LDFLAGS) $(ALL_LDLIBS)

RESP_SRCS := $(wildcard examples/resp/*.c)
RESP_HDRS := $(wildcard examples/resp/*.h)

$(BUILD)/examples/redis_server: examples/redis_server.c $(RESP_SRCS) $(RESP_HDRS) $(EXCOMMON_SRCS) $(EXCOMMON_HDRS) $(ALL_ARCHIVES) | $(BUILD)/examples
	$(CC) $(BASE_CFLAGS) $(ALL_INCLUDES) -Iexamples $(CFLAGS) -o $@ examples/redis_server.c \
	    $(RESP_SRCS) $(EXCOMMON_SRCS) $(ALL_ARCHIVES) $(ALL_LDFLAGS) $(ALL_LDLIBS)

EXAMPLES_TEST := $(BUILD)/tests/test-examples
EXAMPLES_TEST_SRCS := $(wildcard tests/examples/*.c)
EXAMPLES_TEST_BINS := $(BUILD)/examples/http_server $(BUILD)/examples/redis_server

$(EXAMPLES_TEST): $(EXAMPLES_TEST_SRCS) $(HTTP_SRCS) $(HTTP_HDRS) $(RESP_SRCS) $(RESP_HDRS) $(wildcard tests/examples/*.h tests/common/*.h) $(EXAMPLES_TEST_BINS) | need-check
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -Iexamples -Itests/common $(CHECK_CFLAGS) $(CFLAGS) \
	    -DGN_EXAMPLES_BIN='"$(CURDIR)/$(BUILD)/examples"' -o $@ \
	    $(EXAMPLES_TEST_SRCS) $(HTTP_SRCS) examples/resp/resp_parser.c examples/common/outbuf.c \
	    $(ALL_LDFLAGS) $(CHECK_LIBS)

test: $(EXAMPLES_TEST)
test-examples: $(EXAMPLES_TEST)
	@sh mk/run-tests.sh "$(TEST_ENV)" $^

FUZZ_CC ?= clang
FUZZ_TIME ?= 30
FUZZ_FLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -Iexamples

build/fuzz/fuzz_http: tests/fuzz/fuzz_http.c $(HTTP_SRCS) $(HTTP_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_http.c $(HTTP_SRCS) examples/common/outbuf.c

# New inputs go to build/fuzz/corpus-<name>; tests/fuzz/corpus/<name> holds the seeds.
fuzz-http: build/fuzz/fuzz_http
	@mkdir -p build/fuzz/corpus-http
	build/fuzz/fuzz_http -max_total_time=$(FUZZ_TIME) -max_len=4096 build/fuzz/corpus-http tests/fuzz/corpus/http

build/fuzz/fuzz_resp: tests/fuzz/fuzz_resp.c examples/resp/resp_parser.c $(RESP_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_resp.c examples/resp/resp_parser.c

fuzz-resp: build/fuzz/fuzz_resp
	@mkdir -p build/fuzz/corpus-resp
	build/fuzz/fuzz_resp -max_total_time=$(FUZZ_TIME) -max_len=4096 build/fuzz/corpus-resp tests/fuzz/corpus/resp

.PHONY: test-examples fuzz-http fuzz-resp
