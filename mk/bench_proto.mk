# Protocol benchmarks: the example HTTP and Redis servers against peers, with
# the kit of mk/bench.mk (included before this file) (bench/scripts/lib.sh: pinning, /proc CPU sampling).
#
#   make bench-http   wrk, plain and pipelined x16, -c 100: http_server against
#                     the same parser and routes on hand-written epoll
#                     (bench/peers/http_epoll.c) and on libuv (http_libuv.c)
#   make bench-resp   redis-benchmark -t ping,set,get -P 1 and -P 16, -c 50:
#                     redis_server against redis-server (persistence off)
#   HTTP_ARGS / RESP_ARGS change the runs (see bench/scripts/http.sh, resp.sh).
#help bench-http          http_server vs the same parser on epoll and libuv, wrk (HTTP_ARGS=...)
#help bench-resp          redis_server vs redis-server, redis-benchmark (RESP_ARGS=...)

HTTP_PEER_SRCS := $(wildcard examples/http/*.c) examples/common/outbuf.c $(filter %.c,$(PEER_COMMON))
HTTP_PEER_DEPS := $(HTTP_PEER_SRCS) $(wildcard examples/http/*.h) examples/common/outbuf.h bench/peers/peer.h

$(KIT)/http_epoll: bench/peers/http_epoll.c $(HTTP_PEER_DEPS)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -Iexamples -Ibench/peers $(CFLAGS) -o $@ $< $(HTTP_PEER_SRCS) $(ALL_LDFLAGS)

$(KIT)/http_libuv: bench/peers/http_libuv.c $(HTTP_PEER_DEPS)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -Iexamples -Ibench/peers $(shell $(PKG_CONFIG) --cflags libuv) $(CFLAGS) -o $@ $< \
	    $(HTTP_PEER_SRCS) $(ALL_LDFLAGS) $(shell $(PKG_CONFIG) --libs libuv)

HTTP_PEERS := $(KIT)/http_epoll $(if $(HAVE_LIBUV),$(KIT)/http_libuv)
all: $(HTTP_PEERS)

HTTP_SERVERS = epoll=$(KIT)/http_epoll gnet-c=$(BUILD)/examples/http_server \
    $(if $(HAVE_LIBUV),libuv=$(KIT)/http_libuv)
HTTP_ARGS ?=

bench-http: $(HTTP_PEERS) $(BUILD)/examples/http_server
	bash bench/scripts/http.sh $(HTTP_ARGS) -- $(HTTP_SERVERS)

RESP_ARGS ?=
bench-resp: $(BUILD)/examples/redis_server
	bash bench/scripts/resp.sh $(RESP_ARGS) -- redis=redis-server gnet-c=$(BUILD)/examples/redis_server

.PHONY: bench-http bench-resp
