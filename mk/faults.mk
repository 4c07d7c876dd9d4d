# The fault-injection suite (tests/faults): engine scenarios with the n-th
# allocation failing for every n. Linked with --wrap so that every allocation
# of the libraries goes through tests/faults/inject.c; part of make test.
#
#   make test-faults [SAN=address,undefined]

FAULTS_TEST := $(BUILD)/tests/test-faults
FAULTS_SRCS := $(wildcard tests/faults/*.c)
FAULTS_WRAP := -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=aligned_alloc,--wrap=strdup

$(FAULTS_TEST): $(FAULTS_SRCS) $(wildcard tests/faults/*.h tests/common/*.h) $(ALL_ARCHIVES) | need-check
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(ALL_INCLUDES) $(GN_GEN_INC) -Itests/common -Itests/faults $(CHECK_CFLAGS) \
	    $(CFLAGS) -o $@ $(FAULTS_SRCS) $(ALL_ARCHIVES) $(FAULTS_WRAP) $(ALL_LDFLAGS) $(ALL_LDLIBS) \
	    $(CHECK_LIBS)

test: $(FAULTS_TEST)
test-faults: $(FAULTS_TEST)
	@sh mk/run-tests.sh "$(TEST_ENV)" $^

.PHONY: test-faults
