# The protocol examples (http_server, redis_server) and their Check suite
# (tests/examples: the parsers in-process, the servers over loopback). Their
# parsers' fuzz targets (tests/fuzz/fuzz_http.c, fuzz_resp.c) run with make fuzz
# (mk/fuzz.mk), e.g. make fuzz FUZZ_TARGETS="fuzz_http fuzz_resp".
#
#   make test-examples          the suite (also part of make test)

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

.PHONY: test-examples
