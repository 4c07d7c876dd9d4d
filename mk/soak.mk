# Soak: one engine under mixed loopback load for SOAK_SECONDS, RSS and fds
# sampled into $(BUILD)/soak.csv every second (see tests/soak/soak.c for the
# load and the pass rule). SOAK_RSS_KB / SOAK_FDS: allowed growth after warm-up.
#
#   make soak SOAK_SECONDS=600
#   make soak SAN=address,undefined SOAK_SECONDS=60 SOAK_RSS_KB=65536

SOAK_SECONDS ?= 60
SOAK_RSS_KB ?= 1024
SOAK_FDS ?= 16
SOAK_BIN := $(BUILD)/tests/test-soak

$(SOAK_BIN): tests/soak/soak.c $(ALL_ARCHIVES)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(ALL_INCLUDES) $(GN_GEN_INC) $(CFLAGS) -o $@ $< $(ALL_ARCHIVES) \
	    $(ALL_LDFLAGS) $(ALL_LDLIBS)

soak: $(SOAK_BIN)
	$(SOAK_BIN) $(SOAK_SECONDS) $(BUILD)/soak.csv $(SOAK_RSS_KB) $(SOAK_FDS)

.PHONY: soak
