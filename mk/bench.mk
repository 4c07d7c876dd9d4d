# The echo measuring kit: bench/load/echo_load (load generator), bench/peers/echo_*
# (peer servers: hand-written epoll, and libuv, libevent, libev where their Debian
# -dev packages are installed), bench/scripts/echo.sh (interleaved rounds).
#
#   make bench-kit     builds the load generator, the peers found and examples/echo
#   make bench-echo    runs gnet-c's examples/echo against the peers, interleaved;
#                      ECHO_ARGS changes the run (see bench/scripts/echo.sh), e.g.
#                      ECHO_ARGS='-r 5 -t "1000x4096" -p 16 -x'
#   make plots         renders docs/bench-echo-{cpu,rate}.png from results/echo.csv
#help bench-kit           build/bench/kit/: echo_load and the peer echo servers found
#help bench-echo          examples/echo against the peers in bench/peers, interleaved (ECHO_ARGS=...)
#help plots               docs/bench-echo-{cpu,rate}.png from results/echo.csv (gnuplot)

KIT := $(BUILD)/bench/kit
ECHO_LOAD := $(KIT)/echo_load
PEER_COMMON := bench/peers/peer.c bench/peers/peer.h

# A peer is built only when its library is installed, so that `make all` works
# without them; bench-echo says which ones it skipped.
HAVE_LIBUV := $(shell $(PKG_CONFIG) --exists libuv 2>/dev/null && echo yes)
HAVE_LIBEVENT := $(shell $(PKG_CONFIG) --exists libevent 2>/dev/null && echo yes)
HAVE_LIBEV := $(shell printf '\#include <ev.h>\n' | $(CC) -E -x c - >/dev/null 2>&1 && echo yes)

PEERS := $(KIT)/echo_epoll
PEERS += $(if $(HAVE_LIBUV),$(patsubst bench/peers/%.c,$(KIT)/%,$(wildcard bench/peers/echo_libuv.c)))
PEERS += $(if $(HAVE_LIBEVENT),$(patsubst bench/peers/%.c,$(KIT)/%,$(wildcard bench/peers/echo_libevent.c)))
PEERS += $(if $(HAVE_LIBEV),$(patsubst bench/peers/%.c,$(KIT)/%,$(wildcard bench/peers/echo_libev.c)))

$(ECHO_LOAD): $(wildcard bench/load/*.c bench/load/*.h)
	@mkdir -p $(@D)
	$(call gn_say,LD,$@)$(CC) $(BASE_CFLAGS) $(CFLAGS) -o $@ $(filter %.c,$^) $(ALL_LDFLAGS)

$(KIT)/echo_epoll: bench/peers/echo_epoll.c $(PEER_COMMON)
	@mkdir -p $(@D)
	$(call gn_say,LD,$@)$(CC) $(BASE_CFLAGS) $(CFLAGS) -o $@ $(filter %.c,$^) $(ALL_LDFLAGS)

$(KIT)/echo_libuv: bench/peers/echo_libuv.c $(PEER_COMMON)
	@mkdir -p $(@D)
	$(call gn_say,LD,$@)$(CC) $(BASE_CFLAGS) $(shell $(PKG_CONFIG) --cflags libuv) $(CFLAGS) -o $@ $(filter %.c,$^) \
	    $(ALL_LDFLAGS) $(shell $(PKG_CONFIG) --libs libuv)

$(KIT)/echo_libevent: bench/peers/echo_libevent.c $(PEER_COMMON)
	@mkdir -p $(@D)
	$(call gn_say,LD,$@)$(CC) $(BASE_CFLAGS) $(shell $(PKG_CONFIG) --cflags libevent) $(CFLAGS) -o $@ $(filter %.c,$^) \
	    $(ALL_LDFLAGS) $(shell $(PKG_CONFIG) --libs libevent)

$(KIT)/echo_libev: bench/peers/echo_libev.c $(PEER_COMMON)
	@mkdir -p $(@D)
	$(call gn_say,LD,$@)$(CC) $(BASE_CFLAGS) $(CFLAGS) -o $@ $(filter %.c,$^) $(ALL_LDFLAGS) -lev

bench-kit: $(ECHO_LOAD) $(PEERS) $(BUILD)/examples/echo
all: bench-kit

# The reference (hand-written epoll) first: ratios are against it.
ECHO_SERVERS = epoll=$(KIT)/echo_epoll gnet-c=$(BUILD)/examples/echo \
    $(foreach p,libuv libevent libev,$(if $(filter $(KIT)/echo_$(p),$(PEERS)),$(p)=$(KIT)/echo_$(p)))
ECHO_ARGS ?= -r 3 -t "100x512 1000x4096" -p 1,16

bench-echo: bench-kit
	@for p in libuv libevent libev; do [ -x $(KIT)/echo_$$p ] || \
	    echo "bench-echo: echo_$$p not built (its Debian -dev package is missing)" >&2; done
	LOAD=$(ECHO_LOAD) bash bench/scripts/echo.sh $(ECHO_ARGS) -- $(ECHO_SERVERS)

# Charts for the README from the last bench-echo run (PLOT_CSV to pick another run).
PLOT_CSV ?= results/echo.csv
plots:
	bash bench/scripts/plots.sh $(PLOT_CSV) docs

.PHONY: bench-kit bench-echo plots
